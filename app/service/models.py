"""Help requests: a shopper at a kiosk called staff."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Location
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.kiosks.models import Device

# status -> the statuses it may move to; everything else is refused.
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("answered", "closed", "cancelled"),
    "answered": ("closed",),
    "closed": (),
    "cancelled": (),
}
ACTIVE = ("open", "answered")


class HelpRequest(db.Model):
    __tablename__ = "help_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    kiosk_session_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_sessions.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    # What the shopper was looking at (a product, an unknown code), to help the clerk come prepared.
    topic: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship(lazy="joined")
    device: Mapped[Device | None] = relationship(lazy="joined")
