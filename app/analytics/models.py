"""Scan analytics' own tables: counts per store and local day, rebuilt from scans and orders.

A row is one store's day: what was scanned there that day (by product, by hour, unknown codes).
``rollup`` writes them (the recent days every minute, any range on demand); reports only read them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime
from app.extensions import db


class ScanDay(db.Model):
    """Product scans at one store on one of its days, and the shopper-days that did not end in a purchase."""

    __tablename__ = "scan_days"
    __table_args__ = (Index("ix_scan_days_day", "day", "location_id"),)

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    # The store's own date, "2026-12-08".
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"), primary_key=True)
    phone: Mapped[int] = mapped_column(default=0)
    kiosk: Mapped[int] = mapped_column(default=0)
    # Scans that found none available at the store.
    out_of_stock: Mapped[int] = mapped_column(default=0)
    # Distinct shoppers who scanned it that day, and those of them who did not buy it that day.
    shopper_days: Mapped[int] = mapped_column(default=0)
    not_bought: Mapped[int] = mapped_column(default=0)


class ScanHour(db.Model):
    """Product scans at one store in one hour of one of its days."""

    __tablename__ = "scan_hours"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    hour: Mapped[int] = mapped_column(primary_key=True)
    scans: Mapped[int] = mapped_column(default=0)


class UnknownCodeDay(db.Model):
    """A code nobody knew, scanned at one store on one of its days."""

    __tablename__ = "unknown_code_days"

    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    scans: Mapped[int] = mapped_column(default=0)
    last_at: Mapped[datetime] = mapped_column(UTCDateTime)
