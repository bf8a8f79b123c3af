"""Socket.IO on /live: a kiosk screen follows its session; a signed-in phone follows its member.

Rooms are joined by the server after checking who is connected, never from a name the client sends.
"""

from __future__ import annotations

from flask import session
from flask_socketio import join_room, leave_room, rooms

from app.db import begin_write
from app.errors import DomainError
from app.extensions import db, socketio
from app.kiosks import auth, schemas, services
from app.members import auth as member_auth
from app.members import services as members


def _error(error: DomainError) -> dict:
    return {"ok": False, "error": {"code": error.code, "message": error.message}}


@socketio.on("kiosk:subscribe", namespace="/live")
def kiosk_subscribe(data=None):
    """A kiosk screen joins the room of its open session: {"token"?}; the screen's cookie is enough."""
    try:
        begin_write(db.session)
        token = data.get("token") if isinstance(data, dict) else None
        device = services.verify_device_token(token) if isinstance(token, str) else auth.screen_device()
        if device is None:
            raise DomainError("unauthorized", "Only a registered kiosk can follow a kiosk session.", status=401)
        kiosk_session = services.ensure_session(device)
        db.session.commit()
        for room in rooms(namespace="/live"):
            if room.startswith("kiosk:"):
                leave_room(room, namespace="/live")
        join_room(services.kiosk_room(kiosk_session.id), namespace="/live")
        return {"ok": True, "session": schemas.KioskSessionOut().dump(schemas.session_json(kiosk_session))}
    except DomainError as error:
        db.session.rollback()
        return _error(error)


@socketio.on("member:subscribe", namespace="/live")
def member_subscribe(data=None):
    """A signed-in phone joins its member's room (kiosk pairings and other news for that member)."""
    # Not current_member(): it caches on the environ, which lives as long as the connection.
    member = members.member_for_token(session.get(member_auth.SESSION_KEY))
    if member is None:
        return _error(DomainError("not_signed_in", "Sign in to follow your account.", status=401))
    join_room(services.member_room(member.id), namespace="/live")
    return {"ok": True, "member": member.id}
