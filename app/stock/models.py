"""The stock ledger: append-only movements, one level row per product and location, holds."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

# What a movement does to (on hand, reserved): the sign rules live in services.
MOVEMENT_KINDS = ("receive", "sale", "return", "adjust", "count", "transfer_out", "transfer_in", "hold", "release")
RESERVATION_STATUSES = ("active", "released", "expired", "sold")


class ProductRef(NamedTuple):
    """What the ledger needs of a product: enough to write a movement and tell screens."""

    id: int
    sku: str
    name: str


class LocationRef(NamedTuple):
    """What the ledger needs of a location."""

    id: int
    code: str


class StockLevel(db.Model):
    """A cache of the ledger for one product at one location; never disagrees with it."""

    __tablename__ = "stock_levels"
    __table_args__ = (
        UniqueConstraint("product_id", "location_id"),
        CheckConstraint("reserved >= 0", name="reserved_not_negative"),
        # available = on_hand - reserved never goes below zero, whatever the database does.
        CheckConstraint("on_hand >= reserved", name="available_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), index=True)
    on_hand: Mapped[int] = mapped_column(default=0)
    reserved: Mapped[int] = mapped_column(default=0)
    # Grows by one with every change; clients drop events older than what they have.
    version: Mapped[int] = mapped_column(default=0)
    # Staff are told when available falls to this or below.
    low_stock_at: Mapped[int] = mapped_column(default=3)  # services.LOW_STOCK_AT
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved


class StockMovement(db.Model):
    """One change of stock, appended and never edited."""

    __tablename__ = "stock_movements"
    __table_args__ = (Index("ix_stock_movements_level", "product_id", "location_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    # Change of on hand and of reserved; the level is the sum of these.
    delta: Mapped[int]
    reserved_delta: Mapped[int] = mapped_column(default=0)
    on_hand_after: Mapped[int]
    reserved_after: Mapped[int]
    version_after: Mapped[int]
    reference: Mapped[str] = mapped_column(String(120), default="")
    note: Mapped[str] = mapped_column(String(255), default="")
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("stock_reservations.id"))
    actor: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class StockReservation(db.Model):
    """Units held for a cart or an order until they are sold, released or expire."""

    __tablename__ = "stock_reservations"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_stock_reservations_active", "status", "expires_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    quantity: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="active")
    reference: Mapped[str] = mapped_column(String(120), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
