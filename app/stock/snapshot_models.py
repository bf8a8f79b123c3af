"""Counts sent by an outside system (ERP, POS, WMS) and where they disagree with the ledger."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

SNAPSHOT_STATUSES = ("building", "ready", "failed")
LINE_KINDS = ("drift", "not_counted")


class StockSnapshot(db.Model):
    """One full count of one location, taken at ``taken_at``; its report is the lines."""

    __tablename__ = "stock_snapshots"
    __table_args__ = (Index("ix_stock_snapshots_location", "location_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id", ondelete="CASCADE"))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # "building" while a job computes a big snapshot's report, then "ready".
    status: Mapped[str] = mapped_column(String(16), default="ready")
    rows: Mapped[int] = mapped_column(default=0)
    drift_count: Mapped[int] = mapped_column(default=0)
    not_counted_count: Mapped[int] = mapped_column(default=0)
    alert_count: Mapped[int] = mapped_column(default=0)
    job_id: Mapped[str | None] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class StockSnapshotLine(db.Model):
    """A SKU whose count disagrees with the ledger ("drift"), or one tracked here but not counted.

    Lines that agree are not stored: the snapshot keeps only how many rows it had.
    """

    __tablename__ = "stock_snapshot_lines"
    __table_args__ = (
        UniqueConstraint("snapshot_id", "product_id"),
        Index("ix_stock_snapshot_lines_page", "snapshot_id", "kind", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    snapshot_id: Mapped[int] = mapped_column(ForeignKey("stock_snapshots.id", ondelete="CASCADE"))
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16), default="drift")
    counted: Mapped[int | None]  # None: not counted
    ours_then: Mapped[int]  # our on hand at taken_at
    ours_now: Mapped[int]  # our on hand when the report was made
    drift: Mapped[int | None]  # counted - ours_then
    # Set once, when the correction was recorded: a line is never applied twice.
    applied_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    applied_by: Mapped[str] = mapped_column(String(80), default="")
