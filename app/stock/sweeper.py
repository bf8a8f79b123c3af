"""Releases expired holds in the background, settles card orders left pending, forgets old idempotency keys."""

from __future__ import annotations

import logging

from flask import Flask

from app.db import begin_write
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


def settle_once(app: Flask) -> int:
    """Make card orders left pending (a crash, a lost answer) agree with the gateway; returns how many."""
    from datetime import timedelta

    from app.orders import services as orders

    settled = 0
    with app.app_context():
        wait = timedelta(seconds=app.config["PENDING_SETTLE_SECONDS"])
        for order_id in [order.id for order in orders.stale_pending_orders(wait)]:
            try:
                begin_write(db.session)
                orders.settle_pending(db.session.get(orders.Order, order_id))
                db.session.commit()
                settled += 1
            except Exception:  # noqa: BLE001 - retried at the next tick
                db.session.rollback()
                log.exception("settling order %s failed", order_id)
        db.session.remove()
    return settled


def _loop(app: Flask) -> None:
    while True:
        released = sweep_once(app)
        if released:
            log.info("released %d expired hold(s)", released)
        if settled := settle_once(app):
            log.info("settled %d pending card order(s) with the gateway", settled)
        socketio.sleep(INTERVAL_SECONDS)


def start_sweeper(app: Flask) -> None:
    """Start the sweeper as a background task of the server (any async mode)."""
    socketio.start_background_task(_loop, app)
