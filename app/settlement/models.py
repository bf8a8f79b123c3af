"""Concession merchants, their commission rates, settlement entries, statements and payout batches.

Entries are appended and never changed (a refund appends a negative one); a statement is
written once, when its cycle closes, and never changed either: it holds its merchant's
entries booked in its period. Both rules are kept by the database too (``guards``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

ENTRY_KINDS = ("sale", "refund", "return")


class Merchant(db.Model):
    """A shop-in-shop tenant whose products Oneshelf sells and settles."""

    __tablename__ = "merchants"
    __table_args__ = (CheckConstraint("settlement_days >= 1", name="settlement_days_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # Where the payout goes (bank and account as the payout file's reader wants it).
    payout_account: Mapped[str] = mapped_column(String(200), default="")
    # T+N: the sales of N days are settled together, on the day after the last of them.
    settlement_days: Mapped[int] = mapped_column(default=1)
    currency: Mapped[str] = mapped_column(String(3), default="CNY")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CommissionRate(db.Model):
    """A merchant's commission (basis points) from a moment on; category None is the general rate."""

    __tablename__ = "commission_rates"
    __table_args__ = (
        CheckConstraint("rate >= 0 AND rate <= 10000", name="rate_in_range"),
        Index("ix_commission_rates_lookup", "merchant_id", "category", "effective_from"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    category: Mapped[str | None] = mapped_column(String(80))
    rate: Mapped[int]
    effective_from: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class PayoutBatch(db.Model):
    """The statements one settlement run closed: one payout file for the bank."""

    __tablename__ = "payout_batches"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    # The cut-off of the run: every statement in it covers entries before this moment.
    cutoff: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Statement(db.Model):
    """One merchant's closed cycle: what was sold and refunded, the commission, and the payout."""

    __tablename__ = "settlement_statements"
    __table_args__ = (
        UniqueConstraint("merchant_id", "period_end"),
        CheckConstraint("payout >= 0 AND carried_out <= 0 AND carried_in <= 0", name="balance_signs"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"), index=True)
    batch_id: Mapped[int] = mapped_column(ForeignKey("payout_batches.id"), index=True)
    period_start: Mapped[datetime | None] = mapped_column(UTCDateTime)
    period_end: Mapped[datetime] = mapped_column(UTCDateTime)
    currency: Mapped[str] = mapped_column(String(3))
    entry_count: Mapped[int]
    gross_sales: Mapped[int]
    # Gross value clawed back by refunds and returns (a positive number).
    refunds: Mapped[int]
    commission: Mapped[int]
    # A negative balance of the previous statement, taken off this one (never positive).
    carried_in: Mapped[int]
    net: Mapped[int]
    payout: Mapped[int]
    carried_out: Mapped[int]
    # {"1300": tax in the net sales at 13%, ...}: tax-inclusive prices, tax per rate.
    tax: Mapped[dict] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class SettlementEntry(db.Model):
    """One merchant line of a sale (positive) or a clawback of it (negative); never changed."""

    __tablename__ = "settlement_entries"
    __table_args__ = (
        CheckConstraint("kind IN ('sale', 'refund', 'return')", name="kind"),
        Index("ix_settlement_entries_booked", "merchant_id", "booked_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    merchant_id: Mapped[int] = mapped_column(ForeignKey("merchants.id"))
    kind: Mapped[str] = mapped_column(String(8))
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
    order_line_id: Mapped[int] = mapped_column(ForeignKey("order_lines.id"), index=True)
    # A clawback names the sale it takes back, and what caused it: a return, or a refund event.
    sale_entry_id: Mapped[int | None] = mapped_column(ForeignKey("settlement_entries.id"))
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id"))
    source: Mapped[str] = mapped_column(String(40), default="")
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The cycle it counts in: when it happened, or the merchant's last cut-off when a statement was
    # closed while its transaction ran (so it never lands in a closed statement's period).
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    quantity: Mapped[int] = mapped_column(default=0)
    gross: Mapped[int]
    commission_rate: Mapped[int]
    commission: Mapped[int]
    tax_rate: Mapped[int]
