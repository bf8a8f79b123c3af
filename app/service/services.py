"""Help requests: raised at a kiosk or from a phone, claimed, answered and closed by staff.

Functions flush, callers commit.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.catalog import services as catalog
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.kiosks.services import member_room
from app.realtime import queue_event
from app.service.models import ACTIVE, TRANSITIONS, WAITING, HelpRequest
from app.stock import live as stock_live

TOPIC_MAX = 200


def help_room(help_request: HelpRequest) -> str:
    """The staff screens of the request's store."""
    return stock_live.staff_room(help_request.location_id)


def shopper_room(shopper_session: str) -> str:
    """The room of one phone's anonymous shopper session.

    Keyed with the app's secret: the room name (which may travel through Redis and logs) does not
    give away the cookie, and nobody can name another shopper's room without it.
    """
    key = current_app.config["SECRET_KEY"].encode()
    digest = hmac.new(key, f"shopper:{shopper_session}".encode(), hashlib.sha256).hexdigest()
    return f"shopper:{digest[:32]}"


def shopper_rooms(help_request: HelpRequest) -> list[str]:
    """Where the phone that asked for help listens: the member's room, else the shopper session's."""
    if help_request.member_id is not None and help_request.device_id is None:
        return [member_room(help_request.member_id)]
    if help_request.shopper_session:
        return [shopper_room(help_request.shopper_session)]
    return []


def deadline(help_request: HelpRequest) -> datetime:
    """When the store's service standard says someone should be on the way."""
    return help_request.created_at + timedelta(minutes=help_request.location.help_answer_minutes)


def is_late(help_request: HelpRequest, now: datetime | None = None) -> bool:
    """Still waiting for a clerk past the store's standard."""
    return help_request.status == "open" and (now or utcnow()) > deadline(help_request)


def help_json(help_request: HelpRequest) -> dict:
    """A help request as staff screens, kiosks and the asking phone see it."""
    device = help_request.device
    return {
        "id": help_request.id,
        "status": help_request.status,
        "location": help_request.location.code,
        "location_name": help_request.location.name,
        "kiosk": device.label if device else None,
        "kiosk_session": help_request.kiosk_session_id,
        "topic": help_request.topic,
        "created_at": help_request.created_at.isoformat(),
        "answer_within_minutes": help_request.location.help_answer_minutes,
        "claimed_by": help_request.claimed_by,
        "claimed_at": help_request.claimed_at.isoformat() if help_request.claimed_at else None,
        "answered_by": help_request.answered_by,
    }


def _announce(help_request: HelpRequest) -> None:
    data = help_json(help_request)
    queue_event(db.session, "help:updated", data, room=help_room(help_request))
    rooms = shopper_rooms(help_request)
    if rooms:
        queue_event(db.session, "help:updated", data, room=rooms)
    if help_request.kiosk_session_id:
        from app.kiosks.services import kiosk_room

        queue_event(db.session, "help:updated", data, room=kiosk_room(help_request.kiosk_session_id))


def open_request_of(kiosk_session_id: int) -> HelpRequest | None:
    """The kiosk session's help request that staff have not closed yet."""
    return db.session.scalar(
        select(HelpRequest)
        .where(HelpRequest.kiosk_session_id == kiosk_session_id, HelpRequest.status.in_(ACTIVE))
        .order_by(HelpRequest.id.desc())
        .limit(1)
    )


def call_staff(device, kiosk_session, topic: str = "") -> HelpRequest:
    """A shopper at a kiosk asked for help; pressing again while one is open changes nothing."""
    existing = open_request_of(kiosk_session.id)
    if existing is not None:
        return existing
    help_request = HelpRequest(
        location_id=device.location_id,
        device_id=device.id,
        kiosk_session_id=kiosk_session.id,
        member_id=kiosk_session.member_id,
        topic=(topic or "").strip()[:200],
    )
    db.session.add(help_request)
    db.session.flush()
    _announce(help_request)
    return help_request


def waiting_request_of_shopper(
    location_id: int, *, member_id: int | None, shopper_session: str | None
) -> HelpRequest | None:
    """The phone's request at this store that nobody has answered yet (a member's, else the session's)."""
    query = select(HelpRequest).where(
        HelpRequest.location_id == location_id,
        HelpRequest.device_id.is_(None),
        HelpRequest.status.in_(WAITING),
    )
    if member_id is not None:
        query = query.where(HelpRequest.member_id == member_id)
    elif shopper_session:
        query = query.where(HelpRequest.member_id.is_(None), HelpRequest.shopper_session == shopper_session)
    else:
        return None
    return db.session.scalar(query.order_by(HelpRequest.id.desc()).limit(1))


def _phone_topic(topic: str | None, sku: str | None) -> str:
    if sku:
        product = catalog.get_product(sku)
        return f"{product.name} ({product.sku})"[:TOPIC_MAX]
    return " ".join((topic or "").split())[:TOPIC_MAX]


def ask_from_phone(
    location_code: str,
    *,
    member_id: int | None,
    shopper_session: str | None,
    topic: str | None = None,
    sku: str | None = None,
) -> tuple[HelpRequest, bool]:
    """A shopper pressed "Need help?" on their phone at a store; (the request, whether it is new).

    One waiting request per shopper and store: pressing again returns the one already waiting.
    """
    if member_id is None and not shopper_session:
        raise DomainError("no_shopper", "Open a product page in the store first, then ask for help.", status=401)
    location = catalog.get_location(location_code)
    if location.kind != "store":
        raise DomainError("not_a_store", f"{location.name} is not a store: nobody there to come and help.")
    text = _phone_topic(topic, sku)
    existing = waiting_request_of_shopper(location.id, member_id=member_id, shopper_session=shopper_session)
    if existing is not None:
        return existing, False
    help_request = HelpRequest(
        location_id=location.id,
        member_id=member_id,
        shopper_session=shopper_session,
        topic=text,
    )
    try:
        with db.session.begin_nested():
            db.session.add(help_request)
            db.session.flush()
    except IntegrityError:
        # Another press of the same shopper made it first (the unique index said so): that one.
        existing = waiting_request_of_shopper(location.id, member_id=member_id, shopper_session=shopper_session)
        if existing is None:
            raise
        return existing, False
    _announce(help_request)
    return help_request, True


def is_shoppers(help_request: HelpRequest, *, member_id: int | None, shopper_session: str | None) -> bool:
    """Whether this phone asked for this request (a member's own, or a guest session's own)."""
    if help_request.device_id is not None:
        return False
    if help_request.member_id is not None:
        return member_id is not None and help_request.member_id == member_id
    return bool(shopper_session) and help_request.shopper_session == shopper_session


def shoppers_request(request_id: int, *, member_id: int | None, shopper_session: str | None) -> HelpRequest:
    """The phone's own request; another shopper's is as good as missing (404)."""
    help_request = db.session.get(HelpRequest, request_id)
    if help_request is None or not is_shoppers(help_request, member_id=member_id, shopper_session=shopper_session):
        raise NotFound("help_request_not_found", f"No help request {request_id} of yours.")
    return help_request


def requests_of_shopper(*, member_id: int | None, shopper_session: str | None) -> list[HelpRequest]:
    """The phone's requests that are still open, claimed or answered, oldest first."""
    query = select(HelpRequest).where(HelpRequest.device_id.is_(None), HelpRequest.status.in_(ACTIVE))
    if member_id is not None:
        query = query.where(HelpRequest.member_id == member_id)
    elif shopper_session:
        query = query.where(HelpRequest.member_id.is_(None), HelpRequest.shopper_session == shopper_session)
    else:
        return []
    return list(db.session.scalars(query.order_by(HelpRequest.id)))


def claim(help_request: HelpRequest, *, by: str, now: datetime | None = None) -> HelpRequest:
    """A clerk is on the way: only an open request can be claimed, and only once."""
    return move(help_request, "claimed", by=by, now=now)


def get_request(request_id: int) -> HelpRequest:
    help_request = db.session.get(HelpRequest, request_id)
    if help_request is None:
        raise NotFound("help_request_not_found", f"No help request {request_id}.")
    return help_request


def move(help_request: HelpRequest, status: str, *, by: str = "", now: datetime | None = None) -> HelpRequest:
    """Move a help request to ``status`` if the table allows it, and tell every screen."""
    if status not in TRANSITIONS.get(help_request.status, ()):
        raise Conflict("invalid_transition", f"A help request that is {help_request.status} cannot become {status}.")
    now = now or utcnow()
    # Conditional on the status read: of two clerks pressing at once, one wins, the other is refused.
    moved = db.session.execute(
        update(HelpRequest)
        .where(HelpRequest.id == help_request.id, HelpRequest.status == help_request.status)
        .values(status=status)
        .execution_options(synchronize_session=False)
    )
    if moved.rowcount != 1:
        db.session.refresh(help_request)
        raise Conflict("invalid_transition", f"A help request that is {help_request.status} cannot become {status}.")
    help_request.status = status
    if status == "claimed":
        help_request.claimed_at, help_request.claimed_by = now, by[:120]
    elif status == "answered":
        help_request.answered_at, help_request.answered_by = now, by[:120]
    else:
        help_request.closed_at = now
    db.session.flush()
    _announce(help_request)
    return help_request


def active_requests(location_ids: list[int] | None) -> list[HelpRequest]:
    """Open and answered requests, oldest first (of these stores, or all)."""
    query = select(HelpRequest).where(HelpRequest.status.in_(ACTIVE)).order_by(HelpRequest.id)
    if location_ids is not None:
        query = query.where(HelpRequest.location_id.in_(location_ids))
    return list(db.session.scalars(query))
