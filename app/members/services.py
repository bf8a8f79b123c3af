"""Member accounts: sign-up, sign-in, sessions, identifiers, profile. Functions flush, callers commit."""

from __future__ import annotations

import base64
import hashlib
import secrets

import phonenumbers
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import select, update

from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.members import points as ledger
from app.members.models import IDENTIFIER_KINDS, Member, MemberIdentifier, MemberSession

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")
MIN_PASSWORD = 8


def new_code_secret() -> str:
    return base64.b32encode(secrets.token_bytes(20)).decode()


def normalise_identifier(kind: str, value: str) -> str:
    """E-mail lower-cased, phone as E.164 (default region from DEFAULT_PHONE_REGION), others trimmed."""
    value = (value or "").strip()
    if kind == "email":
        try:
            return validate_email(value, check_deliverability=False, test_environment=True).normalized.lower()
        except EmailNotValidError:
            raise DomainError("invalid_email", f"{value!r} is not an e-mail address.") from None
    if kind == "phone":
        try:
            number = phonenumbers.parse(value, current_app.config.get("DEFAULT_PHONE_REGION", "CN"))
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise DomainError("invalid_phone", f"{value!r} is not a phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind not in IDENTIFIER_KINDS:
        raise DomainError("invalid_identifier", f"Identifier kind must be one of {', '.join(IDENTIFIER_KINDS)}.")
    if not value:
        raise DomainError("invalid_identifier", f"A {kind} identifier cannot be empty.")
    return value[:254]


def guess_kind(login: str) -> str:
    """Sign-in takes an e-mail or a phone number in one field."""
    return "email" if "@" in (login or "") else "phone"


def find_by_identifier(kind: str, value: str) -> Member | None:
    """The (kept) member owning this identifier, if any."""
    identifier = db.session.scalar(
        select(MemberIdentifier).filter_by(kind=kind, value=normalise_identifier(kind, value))
    )
    return resolve_merged(db.session.get(Member, identifier.member_id)) if identifier else None


def resolve_merged(member: Member | None) -> Member | None:
    """Follow merges to the member that was kept."""
    seen: set[int] = set()
    while member is not None and member.merged_into_id and member.id not in seen:
        seen.add(member.id)
        member = db.session.get(Member, member.merged_into_id)
    return member


def add_identifier(
    member: Member, kind: str, value: str, *, verified: bool = False, source: str = ""
) -> MemberIdentifier:
    """Attach an identifier; 409 when it belongs to another member."""
    value = normalise_identifier(kind, value)
    existing = db.session.scalar(select(MemberIdentifier).filter_by(kind=kind, value=value))
    if existing is not None:
        if existing.member_id != member.id:
            raise Conflict("identifier_taken", f"This {kind} already belongs to another member.")
        existing.verified = existing.verified or verified
        return existing
    identifier = MemberIdentifier(member_id=member.id, kind=kind, value=value, verified=verified, source=source)
    db.session.add(identifier)
    db.session.flush()
    return identifier


def identifiers_of(member: Member) -> list[MemberIdentifier]:
    return list(
        db.session.scalars(select(MemberIdentifier).filter_by(member_id=member.id).order_by(MemberIdentifier.id))
    )


def _check_password(password: str) -> str:
    if len(password or "") < MIN_PASSWORD:
        raise DomainError("weak_password", f"Passwords need at least {MIN_PASSWORD} characters.")
    return _hasher.hash(password)


def sign_up(login: str, password: str, name: str = "") -> Member:
    """A new member with an e-mail or phone and a password."""
    kind = guess_kind(login)
    value = normalise_identifier(kind, login)
    if db.session.scalar(select(MemberIdentifier.id).filter_by(kind=kind, value=value)):
        raise Conflict("member_exists", f"There is already an account with this {kind}. Sign in instead.")
    member = Member(
        name=(name or "").strip()[:120], password_hash=_check_password(password), code_secret=new_code_secret()
    )
    db.session.add(member)
    db.session.flush()
    add_identifier(member, kind, value, source="sign-up")
    return member


def authenticate(login: str, password: str) -> Member | None:
    """The member with these credentials, or None (same time whether the login exists or not)."""
    try:
        member = find_by_identifier(guess_kind(login), login)
    except DomainError:
        member = None
    stored = member.password_hash if member and member.password_hash else _DUMMY_HASH
    try:
        _hasher.verify(stored, password or "")
    except (VerificationError, InvalidHashError):
        return None
    return member if member and member.password_hash else None


def set_password(member: Member, password: str) -> None:
    member.password_hash = _check_password(password)


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def start_session(member: Member) -> str:
    """A new session (a new id at every sign-in); returns the token for the cookie."""
    token = secrets.token_urlsafe(32)
    db.session.add(MemberSession(member_id=member.id, token_hash=_token_hash(token)))
    db.session.flush()
    return token


def member_for_token(token: str | None) -> Member | None:
    """The member of a live session token."""
    if not token:
        return None
    found = db.session.scalar(select(MemberSession).filter_by(token_hash=_token_hash(token)))
    if found is None or found.revoked_at is not None:
        return None
    return resolve_merged(db.session.get(Member, found.member_id))


def end_session(token: str | None) -> None:
    if token:
        db.session.execute(
            update(MemberSession).where(MemberSession.token_hash == _token_hash(token)).values(revoked_at=utcnow())
        )


def sign_out_everywhere(member: Member) -> None:
    """Revoke every session and change the code secret (codes on lost phones stop working)."""
    db.session.execute(
        update(MemberSession)
        .where(MemberSession.member_id == member.id, MemberSession.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )
    member.code_secret = new_code_secret()


def get_member(member_id: int) -> Member:
    member = resolve_merged(db.session.get(Member, member_id))
    if member is None:
        raise NotFound("member_not_found", f"No member {member_id}.")
    return member


def update_profile(member: Member, name: str | None = None) -> Member:
    if name is not None:
        member.name = name.strip()[:120]
    return member


def members_of_store(location_id: int):
    """A query of the ids of members known at a store: they scanned there or showed a code there."""
    from app.members.models import MemberCodeUse
    from app.scans import services as scans

    return scans.members_seen_at(location_id).union(
        select(MemberCodeUse.member_id).where(MemberCodeUse.location_id == location_id)
    )


def visible_to(member: Member, store_id: int | None) -> bool:
    """Whether staff limited to ``store_id`` (None: every store) may see this member."""
    if store_id is None:
        return True
    return member.id in set(db.session.scalars(members_of_store(store_id)))


def member_for_staff(member_id: int, store_id: int | None) -> Member:
    """The member row itself (not followed through merges) if these staff may see it, else 404."""
    member = db.session.get(Member, member_id)
    if member is None or not visible_to(member, store_id):
        raise NotFound("member_not_found", f"No member {member_id}.")
    return member


def add_points(
    member_id: int, points: int, *, kind: str = "earned", order_id: int | None = None, return_id: int | None = None
) -> None:
    """Credit points: earned on a paid order, or given back when a purchase that spent them is undone."""
    if points <= 0:
        return
    if kind == "earned":
        ledger.earn(member_id, points, order_id=order_id)
    else:
        ledger.record(member_id, points, kind, order_id=order_id, return_id=return_id)


def spend_points(member_id: int, points: int, *, order_id: int | None = None) -> None:
    """Take points for a discount; one conditional UPDATE, so two checkouts cannot spend them twice."""
    if points > 0:
        ledger.record(member_id, -points, "spent", order_id=order_id)


def take_points(member_id: int, points: int, *, order_id: int | None = None, return_id: int | None = None) -> int:
    """Take back points earned on what was returned, never below zero; how many were taken."""
    return ledger.take_back(member_id, points, order_id=order_id, return_id=return_id)
