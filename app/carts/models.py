"""A cart and its lines; each line's units are held at its location while the cart is active."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db

# status -> the statuses it may move to; everything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("checking_out", "checked_out", "merged", "abandoned"),
    # Paying by card: the lines are frozen until the gateway answers (declined: open again).
    "checking_out": ("checked_out", "open"),
    "checked_out": (),
    "merged": (),
    "abandoned": (),
}


class Cart(db.Model):
    __tablename__ = "carts"

    # Random and unguessable: for a guest, knowing the id is what gives access to the cart.
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kiosk_session_id: Mapped[int | None] = mapped_column(
        ForeignKey("kiosk_sessions.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    merged_into: Mapped[str | None] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    # Grows with every change, so screens can ignore an older cart:updated than the one they show.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    lines: Mapped[list[CartLine]] = relationship(
        back_populates="cart", order_by="CartLine.id", cascade="all, delete-orphan"
    )


class CartLine(db.Model):
    __tablename__ = "cart_lines"
    __table_args__ = (
        UniqueConstraint("cart_id", "product_id", "location_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    quantity: Mapped[int]
    # The price when it was added; checkout compares it with the price now and shows a change.
    unit_price: Mapped[int]
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("stock_reservations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    cart: Mapped[Cart] = relationship(back_populates="lines")
