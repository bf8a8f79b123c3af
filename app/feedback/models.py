"""One rating (1-5) with a comment, given once for one thing that happened to a shopper."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

# What may be rated: a paid order, a collected or delivered parcel, a received return, an answered help request.
SUBJECTS = ("order", "parcel", "return", "help")
# A rating at or below this reaches the store's staff at once.
LOW = 2


class Feedback(db.Model):
    __tablename__ = "feedback"
    __table_args__ = (
        UniqueConstraint("subject", "subject_id", name="uq_feedback_once"),
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),
        CheckConstraint("subject IN ('order', 'parcel', 'return', 'help')", name="subject"),
        Index("ix_feedback_location_time", "location_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject: Mapped[str] = mapped_column(String(16))
    # The order's, parcel's, return's or help request's id (no foreign key: they live in their domains).
    subject_id: Mapped[int]
    # What the rating is about, as the shopper saw it ("Order K7QF2M").
    title: Mapped[str] = mapped_column(String(120))
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"))
    # kiosk, phone, online, counter, store, mail, pickup: how the shopper was served.
    channel: Mapped[str] = mapped_column(String(16))
    # The staff member who served them, when one did ("" otherwise).
    clerk: Mapped[str] = mapped_column(String(120), default="")
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    rating: Mapped[int]
    comment: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
