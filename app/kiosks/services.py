"""Kiosk devices, kiosk sessions, pairing a phone and identifying a member. Functions flush, callers commit.

A kiosk signs in with a device token (shown once, stored hashed, revocable). Each shopper's
turn at the kiosk is a kiosk session; its key is the shopper session the kiosk's scans are
recorded with, so the scans join the member once the member is identified: by scanning the
kiosk's pairing QR with their phone, or by showing their member code to the kiosk.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import delete, func, literal, select, update

from app.catalog import services as catalog
from app.db import UTCDateTime, utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.kiosks import signals
from app.kiosks.models import Device, KioskSession, PairingToken
from app.members import codes
from app.members.models import Member
from app.realtime import queue_event
from app.scans import services as scans

TOKEN_PREFIX = "osd_"
# A pairing QR is accepted for this long (the owner's limit is 120 seconds) ...
PAIRING_SECONDS = 90
# ... and the screen shows the next one this long before it expires, so a phone that
# scanned the old one just before the change still gets in.
RENEW_BEFORE_SECONDS = 30
PAIRING_TOKEN_BYTES = 24  # 192 random bits
_TRAILING_NUMBER = re.compile(r"(\d{1,4})\s*$")


class Gone(DomainError):
    status = 410


def _hash(secret: str) -> str:
    # Device and pairing tokens carry 192+ random bits: a fast hash is enough (nothing to guess from).
    return hashlib.sha256(secret.encode()).hexdigest()


def kiosk_room(kiosk_session_id: int) -> str:
    """The kiosk screen of one kiosk session."""
    return f"kiosk:{kiosk_session_id}"


def member_room(member_id: int) -> str:
    """Every signed-in screen of one member."""
    return f"member:{member_id}"


# ---- devices ---------------------------------------------------------------------------


def _pick_number(location_id: int, name: str, number: int | None) -> int:
    """The kiosk's number in its store: as given, else the name's ("Kiosk 3"), else the next free one."""
    taken = set(db.session.scalars(select(Device.number).where(Device.location_id == location_id)))
    if number is not None:
        if number < 1:
            raise DomainError("invalid_number", "A kiosk number is 1 or more.")
        if number in taken:
            raise Conflict("number_taken", f"This store already has a kiosk {number}.")
        return number
    match = _TRAILING_NUMBER.search(name)
    if match and int(match[1]) >= 1 and int(match[1]) not in taken:
        return int(match[1])
    return max(taken, default=0) + 1


def create_device(location_code: str, name: str, number: int | None = None) -> tuple[Device, str]:
    """Register a kiosk for a store; the plain token is returned once and only its hash is kept."""
    location = catalog.get_location(location_code)
    name = (name or "").strip()[:120]
    if not name:
        raise DomainError("invalid_name", "A kiosk needs a name.")
    number = _pick_number(location.id, name, number)
    prefix = secrets.token_hex(4)
    plain = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    device = Device(location_id=location.id, number=number, name=name, token_prefix=prefix, token_hash=_hash(plain))
    db.session.add(device)
    db.session.flush()
    return device, plain


def verify_device_token(plain: str) -> Device | None:
    """The live device this token belongs to, or None."""
    if not plain.startswith(TOKEN_PREFIX):
        return None
    prefix = plain[len(TOKEN_PREFIX) :].split("_", 1)[0]
    device = db.session.scalar(select(Device).filter_by(token_prefix=prefix))
    if device is None or device.revoked_at is not None:
        return None
    if not hmac.compare_digest(device.token_hash, _hash(plain)):
        return None
    return device


def live_device(device_id: int | None) -> Device | None:
    """The device with this id, unless it is unknown or revoked."""
    device = db.session.get(Device, device_id) if device_id else None
    return device if device is not None and device.revoked_at is None else None


def revoke_device(prefix: str) -> Device:
    """Revoke a device by its token prefix; its token and screens stop working at once."""
    device = db.session.scalar(select(Device).filter_by(token_prefix=prefix.strip()))
    if device is None:
        raise NotFound("device_not_found", f"No kiosk with token prefix {prefix}.")
    if device.revoked_at is None:
        device.revoked_at = utcnow()
        open_session = current_session(device)
        if open_session is not None:
            end_session(open_session)
    return device


def list_devices() -> list[Device]:
    """Every device, by store and number."""
    return list(db.session.scalars(select(Device).order_by(Device.location_id, Device.number)))


# ---- kiosk sessions --------------------------------------------------------------------


def current_session(device: Device) -> KioskSession | None:
    """The device's open kiosk session, if any."""
    return db.session.scalar(
        select(KioskSession)
        .where(KioskSession.device_id == device.id, KioskSession.ended_at.is_(None))
        .order_by(KioskSession.id.desc())
        .limit(1)
    )


def start_session(device: Device, now: datetime | None = None) -> KioskSession:
    """A new, anonymous kiosk session; the open one (the previous shopper's) ends."""
    now = now or utcnow()
    previous = current_session(device)
    if previous is not None:
        end_session(previous, now)
    kiosk_session = KioskSession(device_id=device.id, key=f"kiosk-{secrets.token_hex(16)}", started_at=now)
    db.session.add(kiosk_session)
    db.session.flush()
    return kiosk_session


def ensure_session(device: Device) -> KioskSession:
    """The device's open kiosk session, started if there is none."""
    return current_session(device) or start_session(device)


def end_session(kiosk_session: KioskSession, now: datetime | None = None) -> None:
    """End a kiosk session: its pairing codes stop working, its screen is told."""
    if kiosk_session.ended_at is None:
        kiosk_session.ended_at = now or utcnow()
        queue_event(db.session, "kiosk:ended", {"session": kiosk_session.id}, room=kiosk_room(kiosk_session.id))


def member_of(kiosk_session: KioskSession) -> Member | None:
    return db.session.get(Member, kiosk_session.member_id) if kiosk_session.member_id else None


# ---- identifying the member ------------------------------------------------------------


def identify_member(kiosk_session: KioskSession, member: Member, how: str, now: datetime | None = None) -> KioskSession:
    """The kiosk session becomes ``member``'s; its anonymous scans become theirs; the kiosk greets them."""
    now = now or utcnow()
    # One conditional update decides: two phones pairing with one kiosk at once, one wins.
    won = db.session.execute(
        update(KioskSession)
        .where(
            KioskSession.id == kiosk_session.id,
            KioskSession.ended_at.is_(None),
            (KioskSession.member_id.is_(None)) | (KioskSession.member_id == member.id),
        )
        .values(
            member_id=member.id,
            identified_at=func.coalesce(KioskSession.identified_at, literal(now, UTCDateTime())),
            identified_by=how,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(kiosk_session)
    if not won:
        if kiosk_session.ended_at is not None:
            raise Gone("kiosk_session_ended", "This kiosk session has ended. Scan the new code on the kiosk screen.")
        raise Conflict(
            "kiosk_in_use", f"{kiosk_session.device.label.capitalize()} is being used by another member right now."
        )
    scans.attach_to_member(kiosk_session.key, member.id)
    signals.member_identified.send(kiosk_session, member=member)  # the kiosk's basket joins the member's
    device = kiosk_session.device
    queue_event(
        db.session,
        "kiosk:identified",
        {"session": kiosk_session.id, "first_name": member.first_name, "by": how},
        room=kiosk_room(kiosk_session.id),
    )
    queue_event(
        db.session,
        "kiosk:paired",
        {"kiosk": device.label, "number": device.number, "store": device.location.name},
        room=member_room(member.id),
    )
    return kiosk_session


def identify_at_device(device: Device, member: Member, how: str = "member_code") -> KioskSession:
    """A member was recognised at this kiosk (e.g. a member code it redeemed): the open session is theirs."""
    return identify_member(ensure_session(device), member, how)


def identify_by_member_code(device: Device, code: str, now: datetime | None = None) -> tuple[KioskSession, Member]:
    """The kiosk scanned a member code: redeem it (once) and give the kiosk session to its member."""
    member = codes.redeem(
        code,
        redeemed_by=f"device:{device.id}",
        location_id=device.location_id,
        now=now.timestamp() if now else None,
    )
    return identify_member(ensure_session(device), member, "member_code", now), member


# ---- pairing ---------------------------------------------------------------------------


def pairing_url(plain: str) -> str:
    """What the kiosk's QR holds: the phone opens it."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/pair/{plain}"


def issue_pairing_token(kiosk_session: KioskSession, now: datetime | None = None) -> tuple[PairingToken, str]:
    """A new single-use pairing code for an anonymous kiosk session; the plain token is returned once."""
    now = now or utcnow()
    if kiosk_session.ended_at is not None:
        raise Gone("kiosk_session_ended", "This kiosk session has ended; start a new one.")
    if kiosk_session.member_id is not None:
        raise Conflict("already_identified", "This kiosk session already belongs to a member.")
    # Expired codes nobody used are of no more use to anyone.
    db.session.execute(
        delete(PairingToken).where(
            PairingToken.kiosk_session_id == kiosk_session.id,
            PairingToken.used_at.is_(None),
            PairingToken.expires_at <= now,
        )
    )
    plain = secrets.token_urlsafe(PAIRING_TOKEN_BYTES)
    token = PairingToken(
        token_hash=_hash(plain),
        kiosk_session_id=kiosk_session.id,
        created_at=now,
        expires_at=now + timedelta(seconds=PAIRING_SECONDS),
    )
    db.session.add(token)
    db.session.flush()
    return token, plain


def check_pairing_token(plain: str, now: datetime | None = None) -> PairingToken:
    """The pairing token a phone opened, while it can still be used; refused with 404, 409 or 410."""
    now = now or utcnow()
    token = db.session.scalar(select(PairingToken).filter_by(token_hash=_hash(plain or "")))
    if token is None:
        raise NotFound("pairing_not_found", "This kiosk code is not known. Scan the code on the kiosk screen again.")
    if token.used_at is not None:
        raise Conflict(
            "pairing_used", "This kiosk code was already used. Each code works once: scan the one on the screen now."
        )
    if token.expires_at <= now:
        raise Gone("pairing_expired", "This kiosk code has expired. The kiosk shows a new one: scan it again.")
    if token.kiosk_session.ended_at is not None:
        raise Gone("kiosk_session_ended", "This kiosk session has ended. Scan the new code on the kiosk screen.")
    return token


def confirm_pairing(plain: str, member: Member, now: datetime | None = None) -> KioskSession:
    """The member said yes on their phone: the token is spent and the kiosk session becomes theirs."""
    now = now or utcnow()
    token = check_pairing_token(plain, now)
    # Single use: the conditional update lets exactly one confirmation spend the token.
    won = db.session.execute(
        update(PairingToken)
        .where(PairingToken.id == token.id, PairingToken.used_at.is_(None), PairingToken.expires_at > now)
        .values(used_at=now, used_by_member_id=member.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not won:
        db.session.expire(token)
        check_pairing_token(plain, now)  # raises the reason: used or expired meanwhile
        raise Conflict("pairing_used", "This kiosk code was already used.")
    return identify_member(token.kiosk_session, member, "pairing", now)
