"""A location's work on the parcels it sends: pick by scanning, pack, hand over, collect, expire.

Every step is a move along ``TRANSITIONS`` (models.py); the rest is refused. The units stay
held at the source until the parcel leaves it: a parcel handed to the courier (or sent to
another store for collection) sells its holds; one collected where it was kept sells them at
the counter. A parcel not collected within ``COLLECT_DAYS`` expires: its units go back on the
shelf where they are (a released hold, or a return movement at the store it travelled to), and
the order domain refunds it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import Select, or_, select

from app.catalog import services as catalog
from app.db import utcnow
from app.errors import Conflict, NotFound
from app.extensions import db
from app.fulfilment.models import DONE, TRANSITIONS, Fulfilment, FulfilmentLine
from app.fulfilment.services import announce, holds_of
from app.stock import reservations
from app.stock import scanning as stock_scanning
from app.stock import services as stock

QUEUE_STATUSES = ("open", "picking", "packed", "shipped", "ready")


def get(fulfilment_id: int) -> Fulfilment:
    fulfilment = db.session.get(Fulfilment, fulfilment_id)
    if fulfilment is None:
        raise NotFound("fulfilment_not_found", f"No parcel {fulfilment_id}.")
    return fulfilment


def find_by_code(scanned: str) -> Fulfilment:
    """The parcel whose collection QR was scanned (or typed)."""
    code = (scanned or "").strip().upper().rsplit("/", 1)[-1]
    fulfilment = db.session.scalar(select(Fulfilment).where(Fulfilment.code == code)) if code else None
    if fulfilment is None:
        raise NotFound("fulfilment_not_found", "No parcel has this code.")
    return fulfilment


def queue_query(location_id: int | None, statuses: tuple[str, ...] = QUEUE_STATUSES) -> Select:
    """What a location has to do: parcels it sends, and parcels travelling to or waiting at it."""
    query = select(Fulfilment).where(Fulfilment.status.in_(statuses))
    if location_id is None:
        return query
    sends = Fulfilment.source_location_id == location_id
    waits = (Fulfilment.collect_location_id == location_id) & Fulfilment.status.in_(("shipped", "ready", "collected"))
    return query.where(or_(sends, waits))


def queue(location_id: int, statuses: tuple[str, ...] = QUEUE_STATUSES, limit: int = 200) -> list[Fulfilment]:
    return list(db.session.scalars(queue_query(location_id, statuses).order_by(Fulfilment.id).limit(limit)))


def _move(fulfilment: Fulfilment, status: str, clerk: str) -> Fulfilment:
    if status not in TRANSITIONS[fulfilment.status]:
        raise Conflict(
            "invalid_transition", f"A parcel that is {fulfilment.status} cannot become {status.replace('_', ' ')}."
        )
    now = utcnow()
    fulfilment.status, fulfilment.updated_at, fulfilment.handled_by = status, now, clerk[:120]
    stamp = {"packed": "packed_at", "shipped": "shipped_at", "ready": "ready_at"}.get(status)
    if stamp:
        setattr(fulfilment, stamp, now)
    if status in DONE:
        fulfilment.finished_at = now
    db.session.flush()
    announce(fulfilment)
    return fulfilment


def _at(fulfilment: Fulfilment, location_id: int | None, *, where: str) -> None:
    """A store-bound clerk works on their own location's parcels only."""
    expected = fulfilment.source_location_id if where == "source" else fulfilment.collect_location_id
    if location_id is not None and location_id != expected:
        raise Conflict("other_location", "This parcel is handled at another location.")


def pick(fulfilment: Fulfilment, scanned: str, clerk: str, *, location_id: int | None = None) -> FulfilmentLine:
    """One unit picked: the scanned shelf QR, barcode or SKU must be a product still to pick."""
    _at(fulfilment, location_id, where="source")
    if fulfilment.status not in ("open", "picking"):
        raise Conflict("not_picking", f"This parcel is {fulfilment.status}; nothing is left to pick.")
    product = stock_scanning.resolve_scan(scanned).product
    lines = [line for line in fulfilment.lines if line.product_id == product.id]
    if not lines:
        wanted = catalog.products_by_id({line.product_id for line in fulfilment.lines})
        names = ", ".join(sorted(p.name for p in wanted.values()))
        raise Conflict("wrong_product", f"{product.name} is not in this parcel; it needs {names}.")
    line = next((x for x in lines if x.picked < x.quantity), None)
    if line is None:
        raise Conflict("already_picked", f"Every {product.name} of this parcel is picked already.")
    line.picked += 1
    if fulfilment.status == "open":
        _move(fulfilment, "picking", clerk)
    else:
        fulfilment.updated_at = utcnow()
        db.session.flush()
        announce(fulfilment)
    return line


def pack(fulfilment: Fulfilment, clerk: str, *, location_id: int | None = None) -> Fulfilment:
    _at(fulfilment, location_id, where="source")
    missing = sum(line.quantity - line.picked for line in fulfilment.lines)
    if fulfilment.status == "picking" and missing:
        raise Conflict("not_all_picked", f"{missing} unit(s) of this parcel are not picked yet.")
    return _move(fulfilment, "packed", clerk)


def _sell_holds(fulfilment: Fulfilment, clerk: str) -> None:
    """The units leave the source: their holds become sales."""
    for hold in holds_of(fulfilment):
        if hold.status == "active":
            reservations.sell(hold, actor=clerk)


def ship(fulfilment: Fulfilment, clerk: str, *, location_id: int | None = None) -> Fulfilment:
    """Handed to the courier: to the shopper's address, or to the store it is collected at."""
    _at(fulfilment, location_id, where="source")
    if fulfilment.mode == "collect" and fulfilment.collect_location_id == fulfilment.source_location_id:
        raise Conflict("collected_here", "This parcel is collected here: mark it ready instead.")
    _move(fulfilment, "shipped", clerk)
    _sell_holds(fulfilment, clerk)
    return fulfilment


def ready(fulfilment: Fulfilment, clerk: str, *, location_id: int | None = None) -> Fulfilment:
    """Waiting for its shopper at the collection store (packed here, or arrived from elsewhere)."""
    if fulfilment.mode != "collect":
        raise Conflict("not_for_collection", "This parcel is delivered, not collected.")
    _at(fulfilment, location_id, where="collect")
    if fulfilment.status == "packed" and fulfilment.collect_location_id != fulfilment.source_location_id:
        raise Conflict("not_arrived", "This parcel is packed at another location; it must travel here first.")
    return _move(fulfilment, "ready", clerk)


def delivered(fulfilment: Fulfilment, clerk: str) -> Fulfilment:
    """The courier handed it over at the address."""
    if fulfilment.mode != "deliver":
        raise Conflict("not_for_delivery", "This parcel is collected at a store, not delivered.")
    return _move(fulfilment, "delivered", clerk)


def collect(fulfilment: Fulfilment, clerk: str, *, location_id: int | None = None) -> Fulfilment:
    """The shopper took it at the counter (the clerk scanned its QR or the member's code)."""
    _at(fulfilment, location_id, where="collect")
    if fulfilment.status != "ready":
        raise Conflict("not_ready", f"This parcel is {fulfilment.status}, not ready for collection.")
    _move(fulfilment, "collected", clerk)
    _sell_holds(fulfilment, clerk)
    return fulfilment


def due_to_expire(now: datetime | None = None, limit: int = 100) -> list[Fulfilment]:
    """Ready parcels nobody collected within COLLECT_DAYS."""
    cutoff = (now or utcnow()) - timedelta(days=current_app.config["COLLECT_DAYS"])
    query = select(Fulfilment).where(Fulfilment.status == "ready", Fulfilment.ready_at <= cutoff)
    return list(db.session.scalars(query.order_by(Fulfilment.id).limit(limit)))


def expire(fulfilment: Fulfilment, actor: str = "expiry") -> Fulfilment:
    """Not collected: the units go back on the shelf where they are (the caller refunds the order)."""
    _move(fulfilment, "expired", actor)
    still_held = {hold.id for hold in holds_of(fulfilment) if hold.status == "active"}
    for hold in holds_of(fulfilment):
        if hold.id in still_held:
            reservations.release(hold, actor=actor)
    travelled = [line for line in fulfilment.lines if line.reservation_id not in still_held]
    if travelled:
        place = catalog.locations_by_id({fulfilment.collect_location_id})[fulfilment.collect_location_id]
        products = catalog.products_by_id({line.product_id for line in travelled})
        for line in travelled:
            stock.record_movement(
                products[line.product_id],
                place,
                "return",
                line.quantity,
                reference=f"parcel:{fulfilment.code}",
                note="not collected",
                actor=actor,
            )
    return fulfilment
