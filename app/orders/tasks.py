"""Orders' periodic work on the job runner: settle card orders left pending with the gateway."""

from __future__ import annotations

import logging
from datetime import timedelta

from flask import current_app

from app.db import begin_write
from app.extensions import db
from app.jobs.queue import every
from app.orders import services
from app.orders.models import Order

log = logging.getLogger(__name__)


@every(5)
def settle_pending_card_orders() -> int:
    """Make card orders left pending (a crash, a lost answer) agree with the gateway; returns how many."""
    wait = timedelta(seconds=current_app.config["PENDING_SETTLE_SECONDS"])
    settled = 0
    for order_id in [order.id for order in services.stale_pending_orders(wait)]:
        db.session.rollback()
        try:
            begin_write(db.session)
            # settle_pending does nothing to an order another run settled first.
            services.settle_pending(db.session.get(Order, order_id))
            db.session.commit()
            settled += 1
        except Exception:  # noqa: BLE001 - one order's trouble must not stop the others; retried next run
            db.session.rollback()
            log.exception("settling order %s failed", order_id)
    if settled:
        log.info("settled %d pending card order(s) with the gateway", settled)
    return settled
