"""Record domain events, publish them in one order, read them back as a feed."""

from __future__ import annotations

import secrets
from typing import Any

from blinker import Namespace
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.db import begin_write, utcnow
from app.errors import DomainError
from app.extensions import db
from app.outbox.catalogue import EVENT_TYPES
from app.outbox.models import OutboxCursor, OutboxEvent

_signals = Namespace()
RECORDED = "oneshelf_outbox_recorded"

# Sent after a commit that recorded events: whoever publishes may start now (no arguments).
committed = _signals.signal("outbox:committed")
# Sent inside the publishing transaction with ``events=[OutboxEvent, ...]`` in seq order.
published = _signals.signal("outbox:published")


def signal(event_type: str):
    """The blinker signal of one event type; receivers run inside the recording transaction.

    A receiver is called as ``receiver(event, **context)``, with the OutboxEvent row and what
    the recording service passed beside the data (the loaded objects, say).
    """
    if event_type not in EVENT_TYPES:
        raise KeyError(f"unknown event type {event_type!r}; add it to app/outbox/catalogue.py")
    return _signals.signal(event_type)


def record(event_type: str, resource: str, data: dict[str, Any], **context: Any) -> OutboxEvent:
    """Record ``event_type`` about ``resource`` in this transaction and run its in-process reactions."""
    row = OutboxEvent(uid="evt_" + secrets.token_hex(12), type=event_type, resource=resource, data=data)
    db.session.add(row)
    db.session.info[RECORDED] = True
    signal(event_type).send(row, **context)
    return row


def record_many(event_type: str, events: list[tuple[str, dict[str, Any]]]) -> int:
    """Record many events of one type (an import's products) in few statements; returns how many.

    In-process receivers of the type, if any, are called once per event with the row's values.
    """
    receivers = signal(event_type)
    if not events:
        return 0
    now = utcnow()
    rows = [
        {
            "uid": "evt_" + secrets.token_hex(12),
            "type": event_type,
            "resource": resource,
            "data": data,
            "occurred_at": now,
        }
        for resource, data in events
    ]
    for start in range(0, len(rows), 1000):
        db.session.execute(OutboxEvent.__table__.insert(), rows[start : start + 1000])
    db.session.info[RECORDED] = True
    if receivers.receivers:
        for row in rows:
            receivers.send(OutboxEvent(**row))
    return len(rows)


def publish_pending(limit: int = 1000) -> list[OutboxEvent]:
    """Give committed, unpublished events the next numbers of the sequence (the caller commits).

    The cursor row is locked first, so publishers take turns and the sequence has no gaps. An
    event whose transaction commits after a later-numbered one simply gets a later ``seq``:
    a feed read by ``seq`` never skips an event that was still in flight.
    """
    begin_write(db.session)
    cursor = db.session.execute(select(OutboxCursor).filter_by(id=1).with_for_update()).scalar_one_or_none()
    if cursor is None:
        cursor = OutboxCursor(id=1, last_seq=0)
        db.session.add(cursor)
        db.session.flush()
    rows = list(
        db.session.scalars(select(OutboxEvent).where(OutboxEvent.seq.is_(None)).order_by(OutboxEvent.id).limit(limit))
    )
    if not rows:
        return []
    now = utcnow()
    for row in rows:
        cursor.last_seq += 1
        row.seq, row.published_at = cursor.last_seq, now
    db.session.flush()
    published.send(None, events=rows)
    return rows


def events_after(after: int, limit: int = 100, types: list[str] | None = None) -> list[OutboxEvent]:
    """Published events with ``seq`` above ``after``, oldest first."""
    unknown = sorted(set(types or []) - set(EVENT_TYPES))
    if unknown:
        raise DomainError("unknown_event_type", f"No such event type: {', '.join(unknown)}.", status=422)
    query = select(OutboxEvent).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq).limit(limit)
    if types:
        query = query.where(OutboxEvent.type.in_(types))
    return list(db.session.scalars(query))


def event_json(row: OutboxEvent) -> dict[str, Any]:
    """An event as the feed and webhooks show it."""
    return {
        "id": row.uid,
        "seq": row.seq,
        "type": row.type,
        "resource": row.resource,
        "occurred_at": row.occurred_at.isoformat(),
        "data": row.data,
    }


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(RECORDED, False):
        committed.send(None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(RECORDED, None)
