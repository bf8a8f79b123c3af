"""Help requests: a shopper called staff, from a kiosk or from their own phone."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Location
from app.db import UTCDateTime, utcnow
from app.extensions import db
from app.kiosks.models import Device

# status -> the statuses it may move to; everything else is refused. A clerk claims a phone's
# request ("on my way") and answers it once there; a kiosk's request goes straight to answered,
# which is what kiosk screens show as "on the way".
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "open": ("claimed", "answered", "closed", "cancelled"),
    "claimed": ("answered", "closed"),
    "answered": ("closed",),
    "closed": (),
    "cancelled": (),
}
ACTIVE = ("open", "claimed", "answered")
# Still waiting for someone: a shopper pressing again gets this request back.
WAITING = ("open", "claimed")


# One waiting phone request per shopper and store, kept by the database itself (two presses at
# once on PostgreSQL cannot both make one): a member's, and a guest session's.
WAITING_MEMBER = "device_id IS NULL AND status IN ('open', 'claimed') AND member_id IS NOT NULL"
WAITING_GUEST = (
    "device_id IS NULL AND status IN ('open', 'claimed') AND member_id IS NULL AND shopper_session IS NOT NULL"
)


class HelpRequest(db.Model):
    __tablename__ = "help_requests"
    __table_args__ = (
        Index(
            "uq_help_requests_waiting_member",
            "location_id",
            "member_id",
            unique=True,
            sqlite_where=text(WAITING_MEMBER),
            postgresql_where=text(WAITING_MEMBER),
        ),
        Index(
            "uq_help_requests_waiting_guest",
            "location_id",
            "shopper_session",
            unique=True,
            sqlite_where=text(WAITING_GUEST),
            postgresql_where=text(WAITING_GUEST),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id", ondelete="SET NULL"), index=True)
    kiosk_session_id: Mapped[int | None] = mapped_column(ForeignKey("kiosk_sessions.id", ondelete="SET NULL"))
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    # What the shopper was looking at (a product, an unknown code), to help the clerk come prepared.
    topic: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(16), default="open", index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    # A phone's anonymous shopper session (app.scans SHOPPER_COOKIE), when no member was signed in.
    shopper_session: Mapped[str | None] = mapped_column(String(64), index=True)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    answered_by: Mapped[str | None] = mapped_column(String(120))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship(lazy="joined")
    device: Mapped[Device | None] = relationship(lazy="joined")
