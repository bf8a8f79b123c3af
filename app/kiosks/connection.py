"""Connecting to /live, the Socket.IO namespace that phones, kiosks and staff screens share."""

from __future__ import annotations

from flask import request
from flask_socketio import ConnectionRefusedError

from app.extensions import socketio
from app.kiosks import presence, services


@socketio.on("connect", namespace="/live")
def live_connect(auth=None) -> bool:
    """Anyone may connect; a kiosk program proves which device it is with ``auth={"token": ...}``."""
    token = auth.get("token") if isinstance(auth, dict) else None
    if token is None:
        return True
    device = services.verify_device_token(token) if isinstance(token, str) else None
    if device is None:
        raise ConnectionRefusedError({"code": "invalid_token", "message": "The device token is unknown or revoked."})
    presence.remember(request.sid, device.id)
    return True


@socketio.on("disconnect", namespace="/live")
def live_disconnect(*_reason) -> None:
    """Forget what the connection was."""
    presence.forget(request.sid)
