"""Sending deliveries: claim the due ones, POST them outside any transaction, record what happened.

Schedule. The first attempt is due at once; after a failure the next one waits
``RETRY_DELAYS[n]``: 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 14 h, 20 h, 24 h (ten attempts over
about three days and four hours). After the tenth failure the delivery is ``failed``; "Send
again" starts it over.

Outcomes. A 2xx answer is success. ``410 Gone`` disables the endpoint at once (the receiver
said it is gone for good). Anything else (another status, a timeout, a refused connection, a
redirect, an address the guard refuses) is a failure to retry. An endpoint that has failed
without a single success for ``FAILING_LIMIT`` is disabled, and admins see a notice.

Order and concurrency. Delivery is at least once and in order per (endpoint, resource): a
delivery is not attempted while an older pending delivery of the same resource to the same
endpoint exists. A worker claims a delivery with one conditional UPDATE (``attempts`` still
what it read), which also pushes ``next_attempt_at`` forward by a lease (the timeout and a
margin); two workers therefore never send the same attempt, and a worker killed after its
claim leaves a delivery that is simply due again when the lease ends. The claim commits
before the HTTP call, and each outcome is recorded in a short transaction of its own: no
database transaction (nor SQLite's write lock) is ever held across a request.

Body. ``{"id": event uid, "type": event type, "timestamp": when it happened (ISO 8601),
"data": the event as GET /api/v1/events shows it}``, signed with the Standard Webhooks
scheme: ``webhook-id`` (the event uid, the same on every attempt, for receivers to
deduplicate), ``webhook-timestamp`` (Unix seconds when sent) and ``webhook-signature``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

import requests
from flask import current_app
from sqlalchemy import bindparam, exists, select, update
from sqlalchemy.orm import aliased, joinedload
from standardwebhooks import Webhook

from app.db import begin_write, utcnow
from app.errors import DomainError
from app.extensions import db
from app.outbox.services import event_json
from app.webhooks import services
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

RETRY_DELAYS = [
    timedelta(seconds=5),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=5),
    timedelta(hours=10),
    timedelta(hours=14),
    timedelta(hours=20),
    timedelta(hours=24),
]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
FAILING_LIMIT = timedelta(days=3)
LEASE_MARGIN = timedelta(seconds=30)
EXCERPT = 500


@dataclass(frozen=True)
class Attempt:
    """What a worker needs to send one claimed delivery, read before the claim commits."""

    delivery_id: int
    attempt: int
    url: str
    event_uid: str
    body: bytes
    keys: tuple[str, ...]


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    response: str | None
    duration_ms: int
    error: str | None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def body_of(event) -> bytes:
    """The JSON body of an event's webhook (the same bytes on every attempt)."""
    payload = {
        "id": event.uid,
        "type": event.type,
        "timestamp": event.occurred_at.isoformat(),
        "data": event_json(event),
    }
    return json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()


def sign(attempt: Attempt, sent_at: datetime) -> dict[str, str]:
    """The Standard Webhooks headers: one ``v1,`` signature per signing secret, space-separated."""
    signatures = " ".join(Webhook(key).sign(attempt.event_uid, sent_at, attempt.body) for key in attempt.keys)
    return {
        "webhook-id": attempt.event_uid,
        "webhook-timestamp": str(int(sent_at.timestamp())),
        "webhook-signature": signatures,
        "content-type": "application/json",
        "user-agent": "Oneshelf-Webhooks/1",
    }


def _timeout() -> float:
    return float(current_app.config.get("WEBHOOK_TIMEOUT_SECONDS", 10))


def _attempt_of(delivery: WebhookDelivery, now: datetime) -> Attempt:
    keys = tuple(services.signing_secrets(delivery.endpoint, now))
    event = delivery.event
    return Attempt(delivery.id, delivery.attempts, delivery.endpoint.url, event.uid, body_of(event), keys)


def claim_due(now: datetime | None = None, limit: int = 20) -> list[Attempt]:
    """Claim up to ``limit`` due deliveries and commit the claims; returns what to send."""
    now = now or utcnow()
    lease_until = now + timedelta(seconds=_timeout()) + LEASE_MARGIN
    older = aliased(WebhookDelivery)
    blocked = exists().where(
        older.endpoint_id == WebhookDelivery.endpoint_id,
        older.resource == WebhookDelivery.resource,
        older.status == "pending",
        older.id < WebhookDelivery.id,
    )
    db.session.rollback()  # a job's boundary: start as a writer, not on a stale snapshot (SQLite)
    begin_write(db.session)
    rows = db.session.execute(
        select(WebhookDelivery.id, WebhookDelivery.attempts)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= now,
            WebhookEndpoint.enabled.is_(True),
            ~blocked,
        )
        .order_by(WebhookDelivery.id)
        .limit(limit)
    ).all()
    if not rows:
        db.session.commit()
        return []
    # A row another worker claimed meanwhile has moved on (its attempts changed): left out.
    won = {delivery_id for delivery_id, attempts in rows if _claim(delivery_id, attempts, now, lease_until)}
    deliveries = db.session.scalars(
        select(WebhookDelivery)
        .where(WebhookDelivery.id.in_(won))
        .options(joinedload(WebhookDelivery.endpoint), joinedload(WebhookDelivery.event))
        .order_by(WebhookDelivery.id)
        .execution_options(populate_existing=True)
    ).all()
    claimed = [_attempt_of(delivery, now) for delivery in deliveries]
    db.session.commit()
    return claimed


_CLAIM = (
    update(WebhookDelivery)
    .where(
        WebhookDelivery.id == bindparam("b_id"),
        WebhookDelivery.status == "pending",
        WebhookDelivery.attempts == bindparam("b_attempts"),
    )
    .values(
        attempts=WebhookDelivery.attempts + 1,
        next_attempt_at=bindparam("b_lease", type_=WebhookDelivery.next_attempt_at.type),
        last_attempt_at=bindparam("b_now", type_=WebhookDelivery.last_attempt_at.type),
    )
    .execution_options(synchronize_session=False)
)


def _claim(delivery_id: int, attempts: int, now: datetime, lease_until: datetime) -> bool:
    """Only one worker moves attempts on from what it read: the others' UPDATE matches no row."""
    params = {"b_id": delivery_id, "b_attempts": attempts, "b_lease": lease_until, "b_now": now}
    return db.session.connection().execute(_CLAIM, params).rowcount == 1


def send(attempt: Attempt) -> Outcome:
    """POST one attempt (no database work here, and no transaction open)."""
    started = time.monotonic()
    try:
        services.check_url(attempt.url)  # DNS may have changed since the endpoint was saved
        answer = _http().post(
            attempt.url, data=attempt.body, headers=sign(attempt, utcnow()), timeout=_timeout(), allow_redirects=False
        )
    except DomainError as refused:
        return Outcome(None, None, _ms(started), refused.message)
    except requests.RequestException as error:
        return Outcome(None, None, _ms(started), f"{type(error).__name__}: {error}"[:500])
    return Outcome(answer.status_code, answer.text[:EXCERPT], _ms(started), None)


_local = threading.local()


def _http() -> requests.Session:
    """This worker thread's HTTP session: connections to a receiver are kept alive between deliveries."""
    if not hasattr(_local, "session"):
        _local.session = requests.Session()
    return _local.session


def _ms(started: float) -> int:
    return int((time.monotonic() - started) * 1000)


def record(attempt: Attempt, outcome: Outcome, now: datetime | None = None) -> None:
    """Write an attempt's outcome and move the delivery (and perhaps its endpoint) on; commits."""
    record_all([(attempt, outcome)], now)


def record_all(results: list[tuple[Attempt, Outcome]], now: datetime | None = None) -> None:
    """Write a batch's outcomes in one transaction; commits."""
    now = now or utcnow()
    db.session.rollback()
    begin_write(db.session)
    for attempt, outcome in results:
        _record_one(attempt, outcome, now)
    db.session.commit()


def _record_one(attempt: Attempt, outcome: Outcome, now: datetime) -> None:
    delivery = db.session.get(WebhookDelivery, attempt.delivery_id, populate_existing=True)
    if delivery is None or delivery.status != "pending" or delivery.attempts != attempt.attempt:
        return  # deleted, or sent again meanwhile: this answer is history
    endpoint = delivery.endpoint
    delivery.last_status_code, delivery.last_response = outcome.status_code, outcome.response
    delivery.last_duration_ms, delivery.last_error = outcome.duration_ms, outcome.error
    if outcome.ok:
        delivery.status, delivery.delivered_at, delivery.next_attempt_at = "succeeded", now, None
        endpoint.failing_since = None
    elif outcome.status_code == 410:
        delivery.status, delivery.next_attempt_at = "failed", None
        services.disable(endpoint, f"The endpoint answered 410 Gone on {now:%Y-%m-%d %H:%M} UTC.", now)
    else:
        if delivery.attempts >= MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = "failed", None
        else:
            delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempts - 1]
        endpoint.failing_since = endpoint.failing_since or now
        if endpoint.enabled and now - endpoint.failing_since >= FAILING_LIMIT:
            services.disable(
                endpoint, f"Every delivery failed since {endpoint.failing_since:%Y-%m-%d %H:%M} UTC (three days).", now
            )
    db.session.flush()


def deliver_due(now: datetime | None = None, limit: int = 50) -> int:
    """Send the deliveries due at ``now`` (default: the present); returns how many were attempted.

    ``now`` is the clock for what is due, back-off and secret expiry; the ``webhook-timestamp``
    header is always the real time of sending, since receivers check it against their clock.
    This is a job's boundary: it rolls back whatever the session had open, and commits the
    claims and every outcome itself.
    """
    attempts = claim_due(now, limit)
    if attempts:
        record_all([(attempt, send(attempt)) for attempt in attempts], now)
    return len(attempts)
