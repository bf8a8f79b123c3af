"""Holds: units kept for a cart or an order until sold, released or expired."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from app.catalog.models import Location, Product
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.stock.models import StockReservation
from app.stock.services import apply_change

DEFAULT_TTL = timedelta(minutes=15)
MAX_TTL = timedelta(days=7)


def hold(
    product: Product,
    location: Location,
    quantity: int,
    *,
    reference: str = "",
    ttl: timedelta = DEFAULT_TTL,
    actor: str = "",
) -> StockReservation:
    """Hold units at a location; refused with 409 when not enough are available."""
    if quantity <= 0:
        raise DomainError("invalid_quantity", "A hold needs a positive quantity.")
    if not timedelta(seconds=1) <= ttl <= MAX_TTL:
        raise DomainError("invalid_ttl", "A hold lasts between 1 second and 7 days.")
    # Holds that ran out still count until released: release them first, here and now.
    expire_due(product_id=product.id, location_id=location.id)
    reservation = StockReservation(
        product_id=product.id,
        location_id=location.id,
        quantity=quantity,
        reference=reference[:120],
        expires_at=utcnow() + ttl,
        created_at=utcnow(),
    )
    db.session.add(reservation)
    db.session.flush()
    apply_change(
        product, location, "hold", 0, quantity, reference=reference, actor=actor, reservation_id=reservation.id
    )
    return reservation


def get(reservation_id: int) -> StockReservation:
    reservation = db.session.get(StockReservation, reservation_id)
    if reservation is None:
        raise NotFound("reservation_not_found", f"No reservation {reservation_id}.")
    return reservation


def _end(reservation: StockReservation, status: str, kind: str, delta: int, actor: str = "") -> bool:
    """Move an active hold to ``status`` and apply its stock change; False if it had ended already."""
    ended = db.session.execute(
        update(StockReservation)
        .where(StockReservation.id == reservation.id, StockReservation.status == "active")
        .values(status=status, ended_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(reservation)
    if not ended:
        return False
    apply_change(
        db.session.get(Product, reservation.product_id),
        db.session.get(Location, reservation.location_id),
        kind,
        delta,
        -reservation.quantity,
        reference=reservation.reference,
        note=status,
        actor=actor,
        reservation_id=reservation.id,
    )
    return True


def release(reservation: StockReservation, *, actor: str = "") -> StockReservation:
    """Give the held units back to available."""
    if not _end(reservation, "released", "release", 0, actor):
        raise Conflict("reservation_ended", f"Reservation {reservation.id} is already {reservation.status}.")
    return reservation


def sell(reservation: StockReservation, *, actor: str = "") -> StockReservation:
    """Turn held units into a sale: they leave on hand and reserved together."""
    if reservation.status == "active" and reservation.expires_at <= utcnow():
        # The sweeper (or the next hold here) releases it; the sale is refused either way.
        raise Conflict("reservation_expired", f"Reservation {reservation.id} expired before the sale.")
    if not _end(reservation, "sold", "sale", -reservation.quantity, actor):
        raise Conflict("reservation_ended", f"Reservation {reservation.id} is already {reservation.status}.")
    return reservation


def expire_due(*, product_id: int | None = None, location_id: int | None = None, limit: int = 500) -> int:
    """Release holds whose time ran out; returns how many."""
    query = select(StockReservation).where(StockReservation.status == "active", StockReservation.expires_at <= utcnow())
    if product_id is not None:
        query = query.where(StockReservation.product_id == product_id, StockReservation.location_id == location_id)
    due = db.session.scalars(query.order_by(StockReservation.id).limit(limit)).all()
    return sum(_end(reservation, "expired", "release", 0) for reservation in due)
