"""Kiosk devices, kiosk sessions and the pairing tokens their screens show."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.catalog.models import Location
from app.db import UTCDateTime, utcnow
from app.extensions import db


class Device(db.Model):
    """A kiosk registered for one store; it signs in with a token only its hash is kept of."""

    __tablename__ = "devices"
    __table_args__ = (UniqueConstraint("location_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    location_id: Mapped[int] = mapped_column(ForeignKey("locations.id"), index=True)
    # "Kiosk 3" to shoppers: the number is unique within the store.
    number: Mapped[int]
    name: Mapped[str] = mapped_column(String(120))
    token_prefix: Mapped[str] = mapped_column(String(16), unique=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    location: Mapped[Location] = relationship(lazy="joined")

    @property
    def label(self) -> str:
        """How a shopper knows it: "kiosk 3"."""
        return f"kiosk {self.number}"


class KioskSession(db.Model):
    """One shopper's turn at a kiosk: anonymous until a member is identified or pairs."""

    __tablename__ = "kiosk_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    device_id: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    # The shopper_session that the kiosk's scans are recorded with (see app.scans).
    key: Mapped[str] = mapped_column(String(64), unique=True)
    member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"), index=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    identified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # "pairing" (the phone scanned the kiosk's QR) or "member_code" (the kiosk scanned the phone's).
    identified_by: Mapped[str | None] = mapped_column(String(16))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    device: Mapped[Device] = relationship(lazy="joined")


class PairingToken(db.Model):
    """The secret in the QR a kiosk shows; accepted once, for at most two minutes."""

    __tablename__ = "kiosk_pairing_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    kiosk_session_id: Mapped[int] = mapped_column(ForeignKey("kiosk_sessions.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    used_by_member_id: Mapped[int | None] = mapped_column(ForeignKey("members.id", ondelete="SET NULL"))

    kiosk_session: Mapped[KioskSession] = relationship(lazy="joined")
