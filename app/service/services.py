"""Help requests: raised at a kiosk, answered and closed by staff. Functions flush, callers commit."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from app.db import utcnow
from app.errors import Conflict, NotFound
from app.extensions import db
from app.realtime import queue_event
from app.service.models import ACTIVE, TRANSITIONS, HelpRequest
from app.stock import live as stock_live


def help_room(help_request: HelpRequest) -> str:
    """The staff screens of the request's store."""
    return stock_live.staff_room(help_request.location_id)


def help_json(help_request: HelpRequest) -> dict:
    """A help request as staff screens and kiosks see it."""
    device = help_request.device
    return {
        "id": help_request.id,
        "status": help_request.status,
        "location": help_request.location.code,
        "kiosk": device.label if device else None,
        "kiosk_session": help_request.kiosk_session_id,
        "topic": help_request.topic,
        "created_at": help_request.created_at.isoformat(),
        "answered_by": help_request.answered_by,
    }


def _announce(help_request: HelpRequest) -> None:
    data = help_json(help_request)
    queue_event(db.session, "help:updated", data, room=help_room(help_request))
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
    help_request.status = status
    if status == "answered":
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
