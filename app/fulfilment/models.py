"""Fulfilments: the parcels an online order is sent in, and the member's delivery addresses."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db

MODES = ("collect", "deliver")

# status -> the statuses it may move to; everything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    # Paid; waiting for a clerk at the source location to start picking.
    "open": ("picking", "cancelled"),
    "picking": ("packed", "cancelled"),
    # Packed: a delivery goes to the courier; a collection at this same store is ready,
    # one for another store travels there first.
    "packed": ("shipped", "ready", "cancelled"),
    "shipped": ("delivered", "ready"),
    "ready": ("collected", "expired"),
    "delivered": (),
    "collected": (),
    # Not collected within COLLECT_DAYS: the units went back on the shelf, the money back too.
    "expired": (),
    "cancelled": (),
}
DONE = ("delivered", "collected", "expired", "cancelled")


class Fulfilment(db.Model):
    """One parcel: units of one order sent from one location, to an address or a store."""

    __tablename__ = "fulfilments"
    __table_args__ = (
        CheckConstraint("mode IN ('collect', 'deliver')", name="mode"),
        Index("ix_fulfilments_queue", "source_location_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    mode: Mapped[str] = mapped_column(String(16))
    source_location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # collect: the store the shopper picks it up at (may be the source itself).
    collect_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"), index=True)
    # deliver: the address as it was when ordered (JSON), a later edit does not move a parcel.
    address: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    # What the collection QR holds (random, upper case): the clerk scans it at the counter.
    code: Mapped[str] = mapped_column(String(24), unique=True)
    # The router's cost of this parcel (minor units) and its distance, as planned.
    cost: Mapped[int] = mapped_column(default=0)
    distance_km: Mapped[float] = mapped_column(default=0.0)
    expected_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    packed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ready_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The last clerk who moved it (who packed, shipped, handed over).
    handled_by: Mapped[str] = mapped_column(String(120), default="")

    lines: Mapped[list[FulfilmentLine]] = relationship(
        order_by="FulfilmentLine.id", cascade="all, delete-orphan", back_populates="fulfilment"
    )


class FulfilmentLine(db.Model):
    """Units of one order line in one parcel, held (then sold) at the parcel's source."""

    __tablename__ = "fulfilment_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("picked >= 0 AND picked <= quantity", name="picked_in_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    fulfilment_id: Mapped[int] = mapped_column(ForeignKey("fulfilments.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    quantity: Mapped[int]
    picked: Mapped[int] = mapped_column(default=0)
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("stock_reservations.id", ondelete="SET NULL"))

    fulfilment: Mapped[Fulfilment] = relationship(back_populates="lines")


class Address(db.Model):
    """A delivery address a member keeps."""

    __tablename__ = "member_addresses"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(32), default="")
    line1: Mapped[str] = mapped_column(String(200))
    line2: Mapped[str] = mapped_column(String(200), default="")
    city: Mapped[str] = mapped_column(String(80))
    postcode: Mapped[str] = mapped_column(String(16), default="")
    country: Mapped[str] = mapped_column(String(2), default="CN")
    # Where it is, for the router's distances (optional: unknown is counted as far).
    latitude: Mapped[float | None]
    longitude: Mapped[float | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
