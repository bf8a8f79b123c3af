"""Releases expired holds in the background, so that none lingers; forgets old idempotency keys."""

from __future__ import annotations

import logging

from flask import Flask

from app.extensions import db, socketio
from app.idempotency import services as idempotency
from app.stock import reservations

log = logging.getLogger(__name__)
INTERVAL_SECONDS = 5


def sweep_once(app: Flask) -> int:
    """Release every hold whose time ran out; returns how many."""
    with app.app_context():
        try:
            released = reservations.expire_due()
            idempotency.purge_expired()
            db.session.commit()
            return released
        except Exception:  # noqa: BLE001 - a failed sweep is retried at the next tick
            db.session.rollback()
            log.exception("releasing expired holds failed")
            return 0
        finally:
            db.session.remove()


def _loop(app: Flask) -> None:
    while True:
        released = sweep_once(app)
        if released:
            log.info("released %d expired hold(s)", released)
        socketio.sleep(INTERVAL_SECONDS)


def start_sweeper(app: Flask) -> None:
    """Start the sweeper as a background task of the server (any async mode)."""
    socketio.start_background_task(_loop, app)
