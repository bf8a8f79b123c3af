"""Orders' periodic work on the job runner: settle card orders left pending with the card provider."""

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
    """Ask the provider about card orders left pending (a lost notification, a crash); returns how many changed."""
    wait = timedelta(seconds=current_app.config["PENDING_SETTLE_SECONDS"])
    settled = 0
    for order_id in [order.id for order in services.stale_pending_orders(wait)]:
        db.session.rollback()
        try:
            begin_write(db.session)
            # settle_pending does nothing to an order another run settled first.
            order = services.settle_pending(db.session.get(Order, order_id))
            changed = order.status != "pending_payment"
            db.session.commit()
            settled += changed
        except Exception:  # noqa: BLE001 - one order's trouble must not stop the others; retried next run
            db.session.rollback()
            log.exception("settling order %s failed", order_id)
    if settled:
        log.info("settled %d pending card order(s) with the card provider", settled)
    return settled


@every(300)
def expire_uncollected_parcels() -> int:
    """Parcels left at a store past COLLECT_DAYS: units back on the shelf, the money back; returns how many."""
    from app.fulfilment import store_work

    expired = 0
    for parcel_id in [parcel.id for parcel in store_work.due_to_expire()]:
        db.session.rollback()
        try:
            begin_write(db.session)
            parcel = store_work.get(parcel_id)
            if parcel.status == "ready":  # another run may have expired it first
                services.expire_parcel(parcel)
                expired += 1
            db.session.commit()
        except Exception:  # noqa: BLE001 - one parcel's trouble must not stop the others; retried next run
            db.session.rollback()
            log.exception("expiring parcel %s failed", parcel_id)
    return expired
