"""One-time codes: verify an e-mail or phone, reset a forgotten password.

A code is 6 digits, kept only as an HMAC-SHA256 keyed with CODE_PEPPER (or SECRET_KEY) and
bound to what it is for, so a code for one purpose or identifier never works for another.
It works for 10 minutes, once, and for 5 attempts; a new code replaces the previous one, and
at most 5 codes an hour go to one identifier or member. Functions flush; a wrong code raises
``CodeRejected`` after counting the attempt, which the caller commits (``attempts_count``).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from flask import current_app
from sqlalchemy import func, select, update

from app.db import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.members import messages, services
from app.members.identity_models import IdentifierCode
from app.members.models import Member, MemberIdentifier, ResetCode

log = logging.getLogger(__name__)

CODE_DIGITS = 6
CODE_LIFETIME = timedelta(minutes=10)
MAX_ATTEMPTS = 5
MAX_CODES_PER_HOUR = 5
VERIFIABLE_KINDS = ("email", "phone")


class CodeRejected(DomainError):
    """The code is wrong, used, expired or out of attempts."""


class TooManyCodes(DomainError):
    status = 429


@contextmanager
def attempts_count() -> Iterator[None]:
    """For adapters: keep a wrong attempt although the error answer rolls the session back."""
    try:
        yield
    except CodeRejected:
        db.session.commit()  # by design: the counted attempt outlives the error's rollback
        raise


def new_code() -> str:
    """Six random digits."""
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_hash(scope: str, code: str) -> str:
    """The stored form of a code, bound to its scope (purpose and identifier)."""
    pepper = (current_app.config.get("CODE_PEPPER") or current_app.config["SECRET_KEY"]).encode()
    return hmac.new(pepper, f"{scope}:{code.strip()}".encode(), hashlib.sha256).hexdigest()


def _check(row: ResetCode | IdentifierCode | None, scope: str, code: str, *, vague: bool) -> None:
    """Count an attempt on ``row`` and mark it used when ``code`` is right; CodeRejected otherwise."""
    now = utcnow()
    if row is None or row.used_at is not None or row.expires_at <= now:
        raise CodeRejected("invalid_code", _WRONG if vague else "This code has expired. Ask for a new one.")
    if row.attempts >= MAX_ATTEMPTS:
        raise CodeRejected("invalid_code" if vague else "too_many_attempts", _WRONG if vague else _SPENT)
    row.attempts += 1
    if not hmac.compare_digest(row.code_hash, code_hash(scope, code or "")):
        db.session.flush()
        raise CodeRejected("invalid_code", _WRONG if vague else "This code is not right. Check it and try again.")
    row.used_at = now
    db.session.flush()


_WRONG = "This code is wrong or has expired. Check it, or ask for a new one."
_SPENT = "Too many wrong attempts for this code. Ask for a new one."


# ---- verifying an e-mail or phone of the signed-in member ----------------------------


def _identifier_scope(identifier: MemberIdentifier) -> str:
    return f"verify:{identifier.id}:{identifier.kind}:{identifier.value}"


def own_identifier(member: Member, kind: str, value: str) -> MemberIdentifier:
    """The member's own identifier; 404 for anyone else's (or nobody's)."""
    if kind not in VERIFIABLE_KINDS:
        raise DomainError("invalid_identifier", "Only an e-mail address or a phone number can be verified.")
    identifier = db.session.scalar(
        select(MemberIdentifier).filter_by(
            member_id=member.id, kind=kind, value=services.normalise_identifier(kind, value)
        )
    )
    if identifier is None:
        raise NotFound("identifier_not_found", f"This {kind} is not on your account.")
    return identifier


def add_identifier(member: Member, kind: str, value: str) -> MemberIdentifier:
    """Add an e-mail or phone to the member (409 if another member has it) and send it a code."""
    if kind not in VERIFIABLE_KINDS:
        raise DomainError("invalid_identifier", "Add an e-mail address or a phone number.")
    identifier = services.add_identifier(member, kind, value, source="member")
    if not identifier.verified:
        send_identifier_code(identifier)
    return identifier


def send_identifier_code(identifier: MemberIdentifier) -> None:
    """Send a new code to an identifier (the previous one stops working); 429 after 5 an hour."""
    if identifier.verified:
        raise DomainError("already_verified", f"This {identifier.kind} is already verified.", status=409)
    recent = db.session.scalar(
        select(func.count(IdentifierCode.id)).where(
            IdentifierCode.identifier_id == identifier.id, IdentifierCode.created_at > utcnow() - timedelta(hours=1)
        )
    )
    if recent >= MAX_CODES_PER_HOUR:
        raise TooManyCodes("too_many_codes", "We sent several codes already. Please wait an hour and try again.")
    db.session.execute(
        update(IdentifierCode)
        .where(IdentifierCode.identifier_id == identifier.id, IdentifierCode.used_at.is_(None))
        .values(used_at=utcnow())
    )
    code = new_code()
    db.session.add(
        IdentifierCode(
            identifier_id=identifier.id,
            code_hash=code_hash(_identifier_scope(identifier), code),
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    messages.send(
        messages.channel_for(identifier.kind),
        identifier.value,
        "Your Oneshelf verification code",
        f"{code} is your Oneshelf code to confirm this {_kind_name(identifier.kind)}. It works for 10 minutes.",
    )


def verify_identifier(member: Member, kind: str, value: str, code: str) -> MemberIdentifier:
    """Mark the member's identifier verified with the code sent to it."""
    identifier = own_identifier(member, kind, value)
    if identifier.verified:
        return identifier
    row = db.session.scalar(
        select(IdentifierCode)
        .where(IdentifierCode.identifier_id == identifier.id, IdentifierCode.used_at.is_(None))
        .order_by(IdentifierCode.id.desc())
        .limit(1)
    )
    if row is None:
        raise CodeRejected("no_code", "Ask for a code first.")
    _check(row, _identifier_scope(identifier), code, vague=False)
    identifier.verified = True
    db.session.flush()
    return identifier


def _kind_name(kind: str) -> str:
    return "e-mail address" if kind == "email" else "phone number"


# ---- resetting a forgotten password ----------------------------------------------------


def _reset_scope(member: Member, identifier: MemberIdentifier) -> str:
    return f"reset:{member.id}:{identifier.kind}:{identifier.value}"


def _login_identifier(login: str) -> MemberIdentifier | None:
    """The e-mail or phone identifier named by a login (400-style errors for a malformed one)."""
    kind = services.guess_kind(login)
    value = services.normalise_identifier(kind, login)
    return db.session.scalar(select(MemberIdentifier).filter_by(kind=kind, value=value))


def request_reset(login: str) -> None:
    """Send a reset code to this e-mail or phone if a member has it; the caller answers the same either way.

    The code goes to the identifier given, verified or not: receiving it proves the person
    holds that e-mail or phone (members imported from the old POS have no password and
    claim their account this way).
    """
    identifier = _login_identifier(login)
    member = services.resolve_merged(db.session.get(Member, identifier.member_id)) if identifier else None
    if identifier is None or member is None:
        return
    recent = db.session.scalar(
        select(func.count(ResetCode.id)).where(
            ResetCode.member_id == member.id, ResetCode.created_at > utcnow() - timedelta(hours=1)
        )
    )
    if recent >= MAX_CODES_PER_HOUR:
        log.warning("reset code not sent: member %s asked %s times this hour", member.id, recent)
        return
    db.session.execute(
        update(ResetCode).where(ResetCode.member_id == member.id, ResetCode.used_at.is_(None)).values(used_at=utcnow())
    )
    code = new_code()
    db.session.add(
        ResetCode(
            member_id=member.id,
            code_hash=code_hash(_reset_scope(member, identifier), code),
            expires_at=utcnow() + CODE_LIFETIME,
        )
    )
    messages.send(
        messages.channel_for(identifier.kind),
        identifier.value,
        "Your Oneshelf password reset code",
        f"{code} is your code to set a new Oneshelf password. It works for 10 minutes. "
        "If you did not ask for it, ignore this message.",
    )


def reset_password(login: str, code: str, password: str) -> Member:
    """Set a new password with a reset code; the login becomes verified and every session ends."""
    if len(password or "") < services.MIN_PASSWORD:
        # Checked before the code, so a weak password never spends (or tests) an attempt.
        raise DomainError("weak_password", f"Passwords need at least {services.MIN_PASSWORD} characters.")
    identifier = _login_identifier(login)
    member = services.resolve_merged(db.session.get(Member, identifier.member_id)) if identifier else None
    if identifier is None or member is None:
        raise CodeRejected("invalid_code", _WRONG)
    row = db.session.scalar(
        select(ResetCode)
        .where(ResetCode.member_id == member.id, ResetCode.used_at.is_(None))
        .order_by(ResetCode.id.desc())
        .limit(1)
    )
    _check(row, _reset_scope(member, identifier), code, vague=True)
    services.set_password(member, password)
    identifier.verified = True
    services.sign_out_everywhere(member)
    db.session.flush()
    return member
