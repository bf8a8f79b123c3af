"""The rotating member code the phone shows: a new one every 30 seconds, each accepted once
for at most 60 seconds, derived from the member's secret so it cannot be forged.

A code reads ``MC-<member id>-<time step>-<MAC>`` (upper-case, so its QR is small). The
server hands the phone the current code and the next ones, so the page keeps showing valid
codes for a minute without network; the secret never leaves the server.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import update

from app.errors import Conflict, DomainError
from app.extensions import db
from app.members.models import Member, MemberCodeUse
from app.members.services import resolve_merged

STEP_SECONDS = 30
VALID_STEPS = 2  # a code is accepted during its own step and the next: at most 60 seconds
CODE_RE = re.compile(r"^MC-(\d{1,12})-(\d{1,12})-([A-Z2-7]{10})$")


@dataclass(frozen=True)
class MemberCode:
    code: str
    step: int
    shows_from: datetime
    expires_at: datetime


def current_step(now: float | None = None) -> int:
    return int((time.time() if now is None else now) // STEP_SECONDS)


def _mac(member: Member, step: int) -> str:
    key = base64.b32decode(member.code_secret)
    digest = hmac.new(key, f"{member.id}:{step}".encode(), hashlib.sha256).digest()
    return base64.b32encode(digest[:10]).decode()[:10]


def _at(seconds: float) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def code_for(member: Member, step: int) -> MemberCode:
    return MemberCode(
        code=f"MC-{member.id}-{step}-{_mac(member, step)}",
        step=step,
        shows_from=_at(step * STEP_SECONDS),
        expires_at=_at((step + VALID_STEPS) * STEP_SECONDS),
    )


def codes_ahead(member: Member, count: int = 3, now: float | None = None) -> list[MemberCode]:
    """The code to show now and the next ones: enough to stay valid for a minute offline."""
    step = current_step(now)
    return [code_for(member, step + i) for i in range(max(1, min(count, 4)))]


def redeem(code: str, *, redeemed_by: str = "", location_id: int | None = None, now: float | None = None) -> Member:
    """The member showing ``code``; each code works once, only while it is valid."""
    match = CODE_RE.match((code or "").strip().upper())
    if not match:
        raise DomainError("invalid_member_code", "This is not a member code.")
    member_id, step, mac = int(match[1]), int(match[2]), match[3]
    member = db.session.get(Member, member_id)
    if member is None or not hmac.compare_digest(_mac(member, step), mac):
        raise DomainError("invalid_member_code", "This member code is not valid.")
    now_step = current_step(now)
    if step > now_step:
        raise DomainError("invalid_member_code", "This member code is not valid yet.")
    if now_step - step >= VALID_STEPS:
        raise DomainError("member_code_expired", "This member code has expired; ask for the one on screen now.")
    # One conditional update decides: two stores scanning the same code at once, one wins.
    won = db.session.execute(
        update(Member)
        .where(Member.id == member.id, Member.last_code_step < step)
        .values(last_code_step=step)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        raise Conflict("member_code_used", "This member code was already used; ask for the one on screen now.")
    db.session.add(MemberCodeUse(member_id=member.id, step=step, redeemed_by=redeemed_by[:80], location_id=location_id))
    db.session.flush()
    db.session.refresh(member)
    return resolve_merged(member)
