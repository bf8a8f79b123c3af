"""Which Socket.IO connections belong to which kiosk, so that a revoked kiosk is cut off.

A kiosk program connects with ``auth={"token": ...}``; a kiosk screen follows its session with
its cookie. Both are remembered here (per server process: a connection lives in one process),
and a watch disconnects every connection of a revoked device within ``WATCH_SECONDS``.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask, current_app
from sqlalchemy import select

from app.extensions import db, socketio
from app.kiosks.models import Device

log = logging.getLogger(__name__)
WATCH_SECONDS = 15
NAMESPACE = "/live"

_lock = threading.Lock()


def _devices() -> dict[str, int]:
    """sid -> device id, of this app in this process."""
    return current_app.extensions.setdefault("kiosk_presence", {})


def remember(sid: str, device_id: int) -> None:
    """This connection speaks for this device."""
    with _lock:
        _devices()[sid] = device_id


def forget(sid: str) -> None:
    """The connection is gone."""
    with _lock:
        _devices().pop(sid, None)


def device_id_of(sid: str) -> int | None:
    """The device this connection speaks for, if any."""
    return _devices().get(sid)


def disconnect_revoked() -> int:
    """Disconnect every connection of a device that was revoked (or deleted); returns how many."""
    with _lock:
        connected = dict(_devices())
    if not connected:
        return 0
    live = set(
        db.session.scalars(select(Device.id).where(Device.id.in_(set(connected.values())), Device.revoked_at.is_(None)))
    )
    cut = [sid for sid, device_id in connected.items() if device_id not in live]
    for sid in cut:
        forget(sid)
        socketio.server.disconnect(sid, namespace=NAMESPACE)
    return len(cut)


def _watch(app: Flask) -> None:
    while True:
        socketio.sleep(WATCH_SECONDS)
        with app.app_context():
            try:
                if cut := disconnect_revoked():
                    log.info("disconnected %d connection(s) of revoked kiosks", cut)
            except Exception:  # noqa: BLE001 - retried at the next tick
                log.exception("checking for revoked kiosks failed")
            finally:
                db.session.remove()


def start_watch(app: Flask) -> None:
    """Start the revoked-kiosk watch as a background task of the server."""
    socketio.start_background_task(_watch, app)
