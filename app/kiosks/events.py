"""Socket.IO on /live: a kiosk screen follows its session; a signed-in phone follows its member.

Rooms are joined by the server after checking who is connected, never from a name the client sends.
"""

from __future__ import annotations

import marshmallow as ma
from flask import request, session
from flask_socketio import join_room, leave_room, rooms
from sqlalchemy.exc import IntegrityError

from app.errors import DomainError, error_ack
from app.extensions import socketio
from app.kiosks import auth, presence, scanning, schemas, services
from app.members import auth as member_auth
from app.members import services as members
from app.transaction import socket_writes


@socketio.on("kiosk:subscribe", namespace="/live")
@socket_writes
def kiosk_subscribe(data=None):
    """A kiosk screen joins the room of its open session: {"token"?}; the screen's cookie is enough."""
    token = data.get("token") if isinstance(data, dict) else None
    device = services.verify_device_token(token) if isinstance(token, str) else auth.screen_device()
    if device is None:
        raise DomainError("unauthorized", "Only a registered kiosk can follow a kiosk session.", status=401)
    kiosk_session = services.ensure_session(device)
    presence.remember(request.sid, device.id)
    for room in rooms(namespace="/live"):
        if room.startswith("kiosk:"):
            leave_room(room, namespace="/live")
    join_room(services.kiosk_room(kiosk_session.id), namespace="/live")
    return {"ok": True, "session": schemas.KioskSessionOut().dump(schemas.session_json(kiosk_session))}


@socketio.on("member:subscribe", namespace="/live")
def member_subscribe(data=None):
    """A signed-in phone joins its member's room (kiosk pairings and other news for that member)."""
    # Not current_member(): it caches on the environ, which lives as long as the connection.
    member = members.member_for_token(session.get(member_auth.SESSION_KEY))
    if member is None:
        return error_ack(DomainError("not_signed_in", "Sign in to follow your account.", status=401))
    join_room(services.member_room(member.id), namespace="/live")
    return {"ok": True, "member": member.id}


def _validationerror_ack(error: ma.ValidationError) -> DomainError:
    fields = ", ".join(sorted(error.messages)) if isinstance(error.messages, dict) else "the scan"
    return DomainError("invalid_scan", f'Send {{"id", "code", "symbology"?, "seen_at"?}}; check {fields}.')


def _scan_ack(received: scanning.Received) -> dict:
    scan = received.scan
    return {
        "ok": True,
        "id": scan.client_id,
        "duplicate": received.duplicate,
        "scan": scan.id,
        "result": received.result,
    }


@socketio.on("kiosk:scan", namespace="/live")
def kiosk_scan(data=None):
    """The kiosk program saw a code: record it once (by its id) and show the answer on the kiosk screen."""
    device_id = presence.device_id_of(request.sid)
    try:
        body = schemas.KioskScanIn().load(data if isinstance(data, dict) else {})
    except ma.ValidationError as error:
        return error_ack(_validationerror_ack(error))
    try:
        return _record_scan(device_id, body)
    except IntegrityError:
        # The same scan, sent again while the first was still being recorded: that one counts.
        device = services.live_device(device_id)
        earlier = scanning.find_scan(device, body["id"]) if device else None
        if earlier is None:
            raise
        return _scan_ack(scanning.Received(earlier, True, scanning.result_of(earlier, device.location)))


@socket_writes
def _record_scan(device_id, body: dict) -> dict:
    """Record one scan of a live kiosk, in one transaction."""
    device = services.live_device(device_id)
    if device is None:
        raise DomainError("unauthorized", "Connect with a valid kiosk token to send scans.", status=401)
    received = scanning.receive_scan(
        device, body["id"], body["code"], symbology=body["symbology"], seen_at=body["seen_at"]
    )
    return _scan_ack(received)
