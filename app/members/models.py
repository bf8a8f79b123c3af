"""Members, their identifiers, sessions, member-code uses and merges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

IDENTIFIER_KINDS = ("email", "phone", "loyalty", "external")


class Member(db.Model):
    __tablename__ = "members"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    # Empty for members imported from the old POS until they set one (by a reset code).
    password_hash: Mapped[str] = mapped_column(String(255), default="")
    # Base32 secret the phone derives member codes from; rotates on "sign out everywhere".
    code_secret: Mapped[str] = mapped_column(String(64))
    # The time step of the last redeemed code: a code is accepted once, and never an older one.
    last_code_step: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("members.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def first_name(self) -> str:
        return self.name.split()[0] if self.name.strip() else "there"

    @property
    def active(self) -> bool:
        return self.merged_into_id is None


POINTS_KINDS = ("earned", "spent", "taken_back", "given_back", "expired", "imported", "merged")


class PointsEntry(db.Model):
    """One change of a member's points; append-only, and ``Member.points`` is their sum (app.members.points)."""

    __tablename__ = "points_entries"
    __table_args__ = (
        CheckConstraint(
            "kind IN ('earned', 'spent', 'taken_back', 'given_back', 'expired', 'imported', 'merged')", name="kind"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    delta: Mapped[int]
    kind: Mapped[str] = mapped_column(String(16))
    # The member's balance right after this entry (the running balance of the history).
    balance_after: Mapped[int]
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="SET NULL"), index=True)
    return_id: Mapped[int | None] = mapped_column(ForeignKey("returns.id", ondelete="SET NULL"))
    # An expired entry: the entry whose rest it ends (each such entry is ended once).
    lot_id: Mapped[int | None] = mapped_column(ForeignKey("points_entries.id"), index=True)
    # Earned points (and merged ones that came from earned points) expire then; others never.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberIdentifier(db.Model):
    """An e-mail, phone, loyalty card or outside id; each belongs to one member only."""

    __tablename__ = "member_identifiers"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        CheckConstraint("kind IN ('email', 'phone', 'loyalty', 'external')", name="kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    # Normalised: e-mail lower-cased, phone in E.164, loyalty card as printed, external "system:id".
    value: Mapped[str] = mapped_column(String(254))
    verified: Mapped[bool] = mapped_column(default=False)
    source: Mapped[str] = mapped_column(String(40), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class MemberSession(db.Model):
    """One signed-in browser or app; a new one at every sign-in, revoked by sign-out."""

    __tablename__ = "member_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MemberCodeUse(db.Model):
    """A redeemed member code: who showed it, where, and who scanned it."""

    __tablename__ = "member_code_uses"
    __table_args__ = (UniqueConstraint("member_id", "step"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    step: Mapped[int]
    redeemed_by: Mapped[str] = mapped_column(String(80), default="")
    location_id: Mapped[int | None] = mapped_column(ForeignKey("locations.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class ResetCode(db.Model):
    """A one-time code sent to reset a password."""

    __tablename__ = "member_reset_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    member_id: Mapped[int] = mapped_column(ForeignKey("members.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(default=0)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class OutboxMessage(db.Model):
    """A message to a member (SMS or e-mail); in development it stops here, for staff to read."""

    __tablename__ = "outbox_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    recipient: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)


class MemberMerge(db.Model):
    """Audit record of two members made one: who did it and what moved."""

    __tablename__ = "member_merges"

    id: Mapped[int] = mapped_column(primary_key=True)
    kept_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    merged_member_id: Mapped[int] = mapped_column(ForeignKey("members.id"), index=True)
    staff_user_id: Mapped[int | None] = mapped_column(ForeignKey("staff_users.id", ondelete="SET NULL"))
    moved: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
