"""Wallets and their ledger, payments, refunds and provider notifications, and the sandbox provider's own records."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.errors import DomainError
from app.extensions import db

METHODS = ("wallet", "card", "counter")
PURPOSES = ("order", "topup")
ENTRY_KINDS = ("topup", "payment", "refund")

# Every status a payment may move to from each status; anything else is refused.
# "failed" is a provider error (nothing taken) that may succeed when collected again.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "pending": ("authorised", "captured", "declined", "failed", "cancelled"),
    "authorised": ("captured", "voided"),
    "failed": ("pending", "cancelled"),
    "captured": ("partially_refunded", "refunded"),
    "partially_refunded": ("partially_refunded", "refunded"),
    "declined": (),
    "cancelled": (),
    "voided": (),
    "refunded": (),
}
# Money was taken (and some of it may be given back).
CHARGED = ("captured", "partially_refunded", "refunded")


class Wallet(db.Model):
    """A member's stored balance; always the sum of its entries."""

    __tablename__ = "wallets"
    __table_args__ = (CheckConstraint("balance >= 0", name="balance_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), unique=True)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    balance: Mapped[int] = mapped_column(default=0)
    # Grows by one with every change of balance.
    version: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class WalletEntry(db.Model):
    """One change of a wallet's balance, appended and never edited."""

    __tablename__ = "wallet_entries"
    __table_args__ = (
        Index("ix_wallet_entries_wallet", "wallet_id", "id"),
        CheckConstraint("kind IN ('topup', 'payment', 'refund', 'merge_in', 'merge_out')", name="kind"),
        CheckConstraint("amount != 0", name="amount_not_zero"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wallet_id: Mapped[int] = mapped_column(ForeignKey("wallets.id"))
    # Positive for a top-up, a refund or a merged member's balance; negative for a payment or a merge away.
    amount: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    balance_after: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Payment(db.Model):
    """One charge of a member or shopper, by wallet, card or at the counter."""

    __tablename__ = "payments"
    __table_args__ = (
        CheckConstraint("amount > 0", name="amount_positive"),
        CheckConstraint("refunded_amount >= 0 AND refunded_amount <= amount", name="refund_within_amount"),
        CheckConstraint("method IN ('wallet', 'card', 'counter')", name="method"),
        CheckConstraint("purpose IN ('order', 'topup')", name="purpose"),
        Index("ix_payments_status", "status", "updated_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # Our id for the charge, sent to the provider: a retried charge is one charge.
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    method: Mapped[str] = mapped_column(String(16))
    purpose: Mapped[str] = mapped_column(String(16), default="order")
    # No foreign key: orders live in their own domain.
    order_id: Mapped[int | None] = mapped_column(index=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"), index=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    status: Mapped[str] = mapped_column(String(24), default="pending")
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    # Card numbers are never stored: only the last four digits.
    card_last4: Mapped[str | None] = mapped_column(String(4))
    failure_code: Mapped[str | None] = mapped_column(String(40))
    failure_message: Mapped[str | None] = mapped_column(String(255))
    refunded_amount: Mapped[int] = mapped_column(default=0)
    # Where the shopper goes to pay a hosted payment (the provider's page), once it is created there.
    action_url: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentRefund(db.Model):
    """Money given back on a payment, to the method it was paid with."""

    __tablename__ = "payment_refunds"
    __table_args__ = (CheckConstraint("amount > 0", name="amount_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    # Our id for the refund, sent to the provider: a retried refund is one refund.
    refund_id: Mapped[str | None] = mapped_column(String(80), unique=True)
    amount: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="succeeded")
    provider_ref: Mapped[str | None] = mapped_column(String(120))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxCharge(db.Model):
    """What the sandbox card gateway remembers of a charge (the outside world, not our books)."""

    __tablename__ = "sandbox_charges"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    card_last4: Mapped[str] = mapped_column(String(4))
    # captured, partially_refunded, refunded or declined.
    status: Mapped[str] = mapped_column(String(24))
    decline_code: Mapped[str | None] = mapped_column(String(40))
    refunded_amount: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PaymentNotification(db.Model):
    """An asynchronous notification a provider sent us, kept once per provider notification id."""

    __tablename__ = "payment_notifications"
    __table_args__ = (UniqueConstraint("provider", "notification_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    provider: Mapped[str] = mapped_column(String(16))
    notification_id: Mapped[str] = mapped_column(String(64))
    reference: Mapped[str] = mapped_column(String(64), index=True)
    # What the provider said (captured, declined) and what we did with it (applied, ignored: why).
    status: Mapped[str] = mapped_column(String(24))
    outcome: Mapped[str] = mapped_column(String(40))
    body: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxSession(db.Model):
    """The sandbox provider's record of a payment our server created there (the outside world)."""

    __tablename__ = "sandbox_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The public id in the page's address: unguessable, so the page cannot be found by counting.
    token: Mapped[str] = mapped_column(String(40), unique=True)
    reference: Mapped[str] = mapped_column(String(64), unique=True)
    amount: Mapped[int]
    currency: Mapped[str] = mapped_column(String(3))
    description: Mapped[str] = mapped_column(String(120))
    notify_url: Mapped[str] = mapped_column(String(500))
    return_url: Mapped[str] = mapped_column(String(500))
    # open, paid, declined or closed.
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SandboxRefund(db.Model):
    """The sandbox provider's record of one refund, kept once per merchant refund id."""

    __tablename__ = "sandbox_refunds"

    id: Mapped[int] = mapped_column(primary_key=True)
    refund_id: Mapped[str] = mapped_column(String(80), unique=True)
    reference: Mapped[str] = mapped_column(String(64), index=True)
    amount: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SandboxNotification(db.Model):
    """A notification the sandbox provider owes a merchant, sent until the merchant answers success."""

    __tablename__ = "sandbox_notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    notify_id: Mapped[str] = mapped_column(String(40), unique=True)
    reference: Mapped[str] = mapped_column(String(64), index=True)
    url: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(String(255))


def move(payment: Payment, status: str) -> Payment:
    """Change a payment's status if TRANSITIONS allows it; 409 invalid_transition otherwise."""
    if status not in TRANSITIONS.get(payment.status, ()):
        raise DomainError(
            "invalid_transition",
            f"A {payment.status} payment cannot become {status}.",
            status=409,
            details={"from": payment.status, "to": status},
        )
    payment.status = status
    payment.updated_at = utcnow()
    return payment
