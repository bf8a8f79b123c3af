"""Returns of goods: what comes back, through which channel, and the refund it led to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db

CHANNELS = ("store", "mail", "pickup")

# status -> the statuses it may move to; everything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    # Started by the shopper; waiting for the goods (at a store, by mail, or a pickup).
    "requested": ("received", "cancelled"),
    # Inspected at the receiving location; the refund follows in the same step or a retry.
    "received": ("refunded",),
    "refunded": (),
    "cancelled": (),
}


class Return(db.Model):
    __tablename__ = "returns"
    __table_args__ = (CheckConstraint("channel IN ('store', 'mail', 'pickup')", name="channel"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # Printed on the label and shown on the phone; the QR holds it too.
    number: Mapped[str] = mapped_column(String(16), unique=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    # pickup: where and when the courier collects it (address as JSON, in UTC).
    pickup_address: Mapped[str] = mapped_column(Text, default="")
    pickup_from: Mapped[datetime | None] = mapped_column(UTCDateTime)
    pickup_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id"))
    received_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    received_by: Mapped[str] = mapped_column(String(120), default="")
    refund_amount: Mapped[int] = mapped_column(default=0)
    points_taken: Mapped[int] = mapped_column(default=0)
    points_given: Mapped[int] = mapped_column(default=0)
    refunded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    refunded_by: Mapped[str] = mapped_column(String(120), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)

    lines: Mapped[list[ReturnLine]] = relationship(
        order_by="ReturnLine.id", cascade="all, delete-orphan", back_populates="ret"
    )


class ReturnLine(db.Model):
    __tablename__ = "return_lines"
    __table_args__ = (
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("sellable + quarantined <= quantity", name="received_within_quantity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    return_id: Mapped[int] = mapped_column(ForeignKey("returns.id", ondelete="CASCADE"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id", ondelete="CASCADE"), index=True)
    quantity: Mapped[int]
    # On receipt: units put back on sale at the receiving location, and units set aside.
    sellable: Mapped[int] = mapped_column(default=0)
    quarantined: Mapped[int] = mapped_column(default=0)
    refund_amount: Mapped[int] = mapped_column(default=0)

    ret: Mapped[Return] = relationship(back_populates="lines")
