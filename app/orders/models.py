"""Orders, their lines, and exit passes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import UTCDateTime, utcnow
from app.extensions import db

# status -> the statuses it may move to; everything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    # Waiting for the card gateway's answer (or, after a crash, for reconciliation).
    "pending_payment": ("paid", "cancelled"),
    # Pay at the counter: the units stay held until a clerk takes the money.
    "awaiting_counter": ("paid", "cancelled"),
    "paid": ("partially_refunded", "refunded"),
    "partially_refunded": ("partially_refunded", "refunded"),
    "refunded": (),
    "cancelled": (),
}
PAID = ("paid", "partially_refunded", "refunded")
CHANNELS = ("phone", "kiosk", "online")


class Order(db.Model):
    __tablename__ = "orders"
    # One order per checkout attempt: a retried checkout (same cart, same key) finds it.
    __table_args__ = (UniqueConstraint("cart_id", "checkout_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    # What the receipt, the counter QR and staff searches show: short, random, upper case.
    number: Mapped[str] = mapped_column(String(16), unique=True)
    cart_id: Mapped[str] = mapped_column(ForeignKey("carts.id"), index=True)
    checkout_key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    status: Mapped[str] = mapped_column(String(24), index=True)
    currency: Mapped[str] = mapped_column(String(3))
    subtotal: Mapped[int]
    discount: Mapped[int] = mapped_column(default=0)
    total: Mapped[int]
    points_redeemed: Mapped[int] = mapped_column(default=0)
    points_earned: Mapped[int] = mapped_column(default=0)
    payment_method: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"))
    refunded_amount: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    lines: Mapped[list[OrderLine]] = relationship(order_by="OrderLine.id", cascade="all, delete-orphan")


class OrderLine(db.Model):
    __tablename__ = "order_lines"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), index=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id"), index=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # As sold: a later change of name or price does not rewrite a receipt.
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int]
    unit_price: Mapped[int]
    line_total: Mapped[int]
    reservation_id: Mapped[int | None] = mapped_column(ForeignKey("stock_reservations.id", ondelete="SET NULL"))
    # carry_out: taken from the shelf now; collect / deliver: sent by the fulfilments that
    # name this line (their lines hold the units at the locations the router chose).
    mode: Mapped[str] = mapped_column(String(16), default="carry_out")
    # Units that came back through returns (never more than quantity).
    returned_quantity: Mapped[int] = mapped_column(default=0)
    # Tax as sold (app.tax): the rate of the product's category then, in basis points, and the
    # tax inside what was paid for the line (its total less its share of the order's discount).
    tax_rate: Mapped[int] = mapped_column(default=0)
    tax_amount: Mapped[int] = mapped_column(default=0)


LINE_MODES = ("carry_out", "collect", "deliver")


INVOICE_TRANSITIONS: dict[str, tuple[str, ...]] = {
    # A request not yet issued may be replaced (a later request of the same order).
    "requested": ("requested", "issued"),
    "issued": (),
}


class InvoiceRequest(db.Model):
    """A shopper's request for an invoice (fapiao) of a paid order: one per order."""

    __tablename__ = "invoice_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    status: Mapped[str] = mapped_column(String(16), default="requested", index=True)
    # A company's name or a person's; the buyer's tax id (unified social credit code).
    title: Mapped[str] = mapped_column(String(200))
    tax_id: Mapped[str] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    invoice_number: Mapped[str | None] = mapped_column(String(64))
    issued_by: Mapped[str | None] = mapped_column(String(120))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class ExitPass(db.Model):
    """Shown as a QR on the phone after payment; a clerk scans it once at the door."""

    __tablename__ = "exit_passes"

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    # Chosen at random when issued (EXIT_CHECK_SHARE): the clerk looks in the bag.
    check_basket: Mapped[bool] = mapped_column(default=False)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by: Mapped[str | None] = mapped_column(String(120))
