"""Socket.IO on /live: the phone that asked for help hears when a clerk is on the way.

The server picks the room from the caller's own cookies (the member's session, else the
shopper session cookie of the connection): a client never names the room it joins.
"""

from __future__ import annotations

from flask import request, session
from flask_socketio import join_room

from app.errors import DomainError, error_ack
from app.extensions import socketio
from app.kiosks.services import member_room
from app.members import auth as member_auth
from app.members import services as members
from app.scans.services import SHOPPER_COOKIE
from app.service import services


def _connection_shopper_session() -> str | None:
    value = request.cookies.get(SHOPPER_COOKIE, "")
    return value if len(value) == 32 and all(c in "0123456789abcdef" for c in value) else None


@socketio.on("help:subscribe", namespace="/live")
def help_subscribe(data=None):
    """Follow this phone's help requests; the ack lists the ones still open, claimed or answered."""
    try:
        # Not current_member(): it caches on the environ, which lives as long as the connection.
        member = members.member_for_token(session.get(member_auth.SESSION_KEY))
        session_id = _connection_shopper_session()
        if member is None and session_id is None:
            raise DomainError("no_shopper", "Open a product page first, then ask for help.", status=401)
        if member is not None:
            join_room(member_room(member.id), namespace="/live")
        if session_id is not None:
            join_room(services.shopper_room(session_id), namespace="/live")
        mine = services.requests_of_shopper(member_id=member.id if member else None, shopper_session=session_id)
        return {"ok": True, "requests": [services.help_json(item) for item in mine]}
    except DomainError as error:
        return error_ack(error)
