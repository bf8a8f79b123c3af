"""One-time codes proving that a member owns an e-mail address or a phone number."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db


class IdentifierCode(db.Model):
    """A code sent to one identifier; entering it marks the identifier verified.

    Password resets use ``ResetCode`` (one per member); this one belongs to an identifier,
    so a code sent to an e-mail cannot verify the member's phone.
    """

    __tablename__ = "member_identifier_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    identifier_id: Mapped[int] = mapped_column(ForeignKey("member_identifiers.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
