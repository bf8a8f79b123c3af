"""Rules for staff accounts and API keys. Functions flush, callers commit."""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Iterable
from typing import NamedTuple

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app, session
from sqlalchemy import bindparam, select

from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.staff.models import ROLES, ApiKey, StaffUser
from app.staff.scopes import SCOPES

# Argon2id: memory-hard, the OWASP-recommended choice for passwords.
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so timing does not reveal which e-mails exist.
_DUMMY_HASH = _hasher.hash("not-a-real-password")
KEY_PREFIX = "osk_"
MIN_PASSWORD = 8


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise DomainError("invalid_role", f"Role must be one of: {', '.join(ROLES)}.")


def create_staff(
    email: str, name: str, password: str, role: str = "clerk", location_id: int | None = None
) -> StaffUser:
    """Add a staff user with a hashed password (a clerk may belong to one store)."""
    email = email.strip().lower()
    _check_role(role)
    if "@" not in email:
        raise DomainError("invalid_email", "Enter a valid e-mail address.")
    if len(password) < MIN_PASSWORD:
        raise DomainError("weak_password", f"Passwords need at least {MIN_PASSWORD} characters.")
    if db.session.scalar(select(StaffUser).filter_by(email=email)):
        raise Conflict("email_taken", f"A staff user with e-mail {email} already exists.")
    user = StaffUser(
        email=email,
        name=name.strip() or email,
        role=role,
        password_hash=_hasher.hash(password),
        session_token=secrets.token_hex(16),
        location_id=location_id,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active staff user with these credentials, or None."""
    user = db.session.scalar(select(StaffUser).filter_by(email=email.strip().lower()))
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user


SIGNED_IN_AT = "staff_signed_in_at"


def load_session_user(session_id: str) -> StaffUser | None:
    """The user a session cookie names, if the session has not been signed out."""
    user_id, _, token = session_id.partition(":")
    if not user_id.isdigit():
        return None
    user = db.session.get(StaffUser, int(user_id))
    if user is None or not user.active or not hmac.compare_digest(user.session_token, token):
        return None
    # The sign-in time lives in the signed session cookie: a session older than the lifetime is over.
    signed_in_at = session.get(SIGNED_IN_AT)
    hours = current_app.config["STAFF_SESSION_HOURS"]
    if not isinstance(signed_in_at, (int, float)) or time.time() - signed_in_at > hours * 3600:
        return None
    return user


def start_session() -> None:
    """Note when this browser's staff session began (its lifetime counts from here)."""
    session[SIGNED_IN_AT] = time.time()


def sign_out_everywhere(user: StaffUser) -> None:
    """Invalidate every session of this user."""
    user.session_token = secrets.token_hex(16)


def _hash_key(secret: str) -> str:
    # Keys carry 256 random bits, so a fast hash is enough (no dictionary to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_scopes(scopes: Iterable[str]) -> list[str] | None:
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in SCOPES]
    if unknown:
        raise DomainError("invalid_scope", f"Unknown scope {', '.join(unknown)}; known: {', '.join(SCOPES)}.")
    return chosen or None


def create_api_key(
    name: str, role: str, scopes: Iterable[str] = (), location_ids: Iterable[int] = ()
) -> tuple[ApiKey, str]:
    """Make a key; the plain key is returned once and only its hash is stored.

    ``scopes`` and ``location_ids`` limit the key (app.staff.scopes); none given: no limit.
    """
    _check_role(role)
    prefix = secrets.token_hex(4)
    plain = f"{KEY_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        prefix=prefix,
        key_hash=_hash_key(plain),
        name=name or "API key",
        role=role,
        scopes=_check_scopes(scopes),
        location_ids=sorted(set(location_ids)) or None,
    )
    db.session.add(key)
    db.session.flush()
    return key, plain


class LiveKey(NamedTuple):
    """Who an API key speaks for, and what it is limited to (None: no limit)."""

    id: int
    name: str
    role: str
    scopes: frozenset[str] | None
    location_ids: frozenset[int] | None


# Asked on every API call: built once, read without the ORM (a revoked key stops at once).
_LIVE_KEY = select(ApiKey.id, ApiKey.name, ApiKey.role, ApiKey.scopes, ApiKey.location_ids, ApiKey.key_hash).where(
    ApiKey.prefix == bindparam("prefix"), ApiKey.revoked_at.is_(None)
)


def verify_api_key(plain: str) -> LiveKey | None:
    """The live key matching ``plain``, or None."""
    if not plain.startswith(KEY_PREFIX):
        return None
    prefix = plain[len(KEY_PREFIX) :].split("_", 1)[0]
    row = db.session.connection().execute(_LIVE_KEY, {"prefix": prefix}).first()
    if row is None or not hmac.compare_digest(row.key_hash, _hash_key(plain)):
        return None
    scopes = frozenset(row.scopes) if row.scopes is not None else None
    places = frozenset(row.location_ids) if row.location_ids is not None else None
    return LiveKey(row.id, row.name, row.role, scopes, places)


def revoke_api_key(prefix: str) -> ApiKey:
    """Revoke a key by its prefix; it stops working at once."""
    key = db.session.scalar(select(ApiKey).filter_by(prefix=prefix))
    if key is None:
        raise NotFound("key_not_found", f"No API key with prefix {prefix}.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    return key


def list_api_keys() -> list[ApiKey]:
    """Every key, newest first."""
    return list(db.session.scalars(select(ApiKey).order_by(ApiKey.id.desc())))
