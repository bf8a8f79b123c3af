"""The /live Socket.IO namespace that phones, kiosks and staff screens connect to."""

from __future__ import annotations

from app.extensions import socketio


@socketio.on("connect", namespace="/live")
def live_connect(auth=None) -> bool:
    """Anyone may connect; rooms are joined by the server after an access check."""
    return True
