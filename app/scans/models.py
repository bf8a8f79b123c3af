"""A scan is a fact: who, where, what, when."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

CHANNELS = ("phone", "kiosk", "staff")
# What a scan turned out to be: a product, a member code, or nothing we know.
OUTCOMES = ("product", "member", "unknown")


class Scan(db.Model):
    __tablename__ = "scans"
    # A kiosk sends each scan with an id of its own and may send it again after a network cut:
    # recorded once per device.
    __table_args__ = (
        UniqueConstraint("device_id", "client_id"),
        # A store's scans in a time range (analytics counts a store's day from them).
        Index("ix_scans_location_time", "location_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(16))
    label_id: Mapped[int | None] = mapped_column(ForeignKey("labels.id", ondelete="SET NULL"), index=True)
    product_id: Mapped[int | None] = mapped_column(ForeignKey("products.id", ondelete="SET NULL"), index=True)
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"), index=True)
    # Anonymous shopper session from the phone's cookie; joins a member once identified.
    shopper_session: Mapped[str | None] = mapped_column(String(64), index=True)
    member_id: Mapped[int | None] = mapped_column(index=True)
    device: Mapped[str | None] = mapped_column(String(64))
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    client_id: Mapped[str | None] = mapped_column(String(64))
    symbology: Mapped[str | None] = mapped_column(String(16))
    outcome: Mapped[str | None] = mapped_column(String(16))
    # Units available at the scan's store when the shopper saw the product there (None: not known).
    available: Mapped[int | None]
    # When the code was seen (the kiosk's clock); created_at is when the server recorded it.
    seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
