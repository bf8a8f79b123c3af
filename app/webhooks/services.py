"""Webhook endpoints: register, change, rotate secrets; fan published events out to deliveries.

Everything here flushes and never commits. Sending is in ``delivery.py``.
"""

from __future__ import annotations

import base64
import ipaddress
import logging
import secrets
import socket
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from blinker import Namespace
from flask import current_app
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.core.pagination import paginate_desc
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.outbox import services as outbox
from app.outbox.catalogue import EVENT_TYPES
from app.outbox.models import OutboxEvent
from app.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# After a rotation the old secret keeps signing this long, so receivers can switch without a gap.
ROTATION_OVERLAP = timedelta(hours=24)
ADMIN_DISABLED = "Disabled by an admin."

_signals = Namespace()
# Sent after a commit that added deliveries (no arguments): a job runner may start sending now.
deliveries_added = _signals.signal("webhooks:deliveries-added")
_ADDED = "oneshelf_webhook_deliveries_added"


def new_secret() -> str:
    """A signing secret as the Standard Webhooks spec writes it: ``whsec_`` + base64 of 32 random bytes."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


# ---- the address guard ----------------------------------------------------------------


def check_url(url: str) -> None:
    """Refuse URLs that are not http(s), or whose host is (or resolves to) a private address.

    Private, loopback, link-local, multicast, reserved and unspecified addresses are refused
    unless ``WEBHOOK_ALLOW_PRIVATE`` is true, so that an endpoint cannot make the server call
    its own network. Called when an endpoint is saved and again before every attempt.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("invalid_url", "The URL must start with http:// or https:// and name a host.")
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE"):
        return
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except (OSError, ValueError):
        raise DomainError("unresolvable_url", f"The host {parts.hostname} does not resolve.") from None
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        if (
            address.is_private
            or address.is_loopback
            or address.is_link_local
            or address.is_multicast
            or address.is_reserved
            or address.is_unspecified
        ):
            raise DomainError(
                "private_url", f"The host {parts.hostname} is a private or local address ({address}); it is refused."
            )


def _check_events(event_types: list[str]) -> list[str]:
    unknown = sorted(set(event_types) - set(EVENT_TYPES))
    if unknown:
        raise DomainError("unknown_event_type", f"No such event type: {', '.join(unknown)}.")
    return sorted(set(event_types))


# ---- endpoints -------------------------------------------------------------------------


def create_endpoint(url: str, event_types: list[str] | None = None, description: str = "") -> WebhookEndpoint:
    """Register an endpoint; its new secret is on the returned row (show it once)."""
    url = url.strip()
    check_url(url)
    endpoint = WebhookEndpoint(
        url=url,
        event_types=_check_events(event_types or []),
        description=description.strip(),
        secret=new_secret(),
        enabled=True,
        created_at=utcnow(),
    )
    db.session.add(endpoint)
    db.session.flush()
    return endpoint


def get_endpoint(endpoint_id: int) -> WebhookEndpoint:
    """One endpoint, or 404."""
    endpoint = db.session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound("not_found", f"No webhook endpoint {endpoint_id}.")
    return endpoint


def list_endpoints() -> list[WebhookEndpoint]:
    """Every endpoint, oldest first."""
    return list(db.session.scalars(select(WebhookEndpoint).order_by(WebhookEndpoint.id)))


def update_endpoint(
    endpoint_id: int,
    *,
    url: str | None = None,
    event_types: list[str] | None = None,
    description: str | None = None,
    enabled: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; re-enabling it clears its failure state."""
    endpoint = get_endpoint(endpoint_id)
    if url is not None:
        check_url(url.strip())
        endpoint.url = url.strip()
    if event_types is not None:
        endpoint.event_types = _check_events(event_types)
    if description is not None:
        endpoint.description = description.strip()
    if enabled is True and not endpoint.enabled:
        endpoint.enabled = True
        endpoint.disabled_reason = endpoint.disabled_at = endpoint.failing_since = None
    elif enabled is False and endpoint.enabled:
        disable(endpoint, ADMIN_DISABLED)
    db.session.flush()
    return endpoint


def delete_endpoint(endpoint_id: int) -> None:
    """Remove an endpoint and its delivery log."""
    endpoint = get_endpoint(endpoint_id)
    db.session.execute(db.delete(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint.id))
    db.session.delete(endpoint)
    db.session.flush()


def rotate_secret(endpoint_id: int, now: datetime | None = None) -> WebhookEndpoint:
    """Give the endpoint a new secret; the old one keeps signing for ``ROTATION_OVERLAP``."""
    endpoint = get_endpoint(endpoint_id)
    now = now or utcnow()
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = now + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    db.session.flush()
    return endpoint


def signing_secrets(endpoint: WebhookEndpoint, now: datetime) -> list[str]:
    """The secrets that sign at ``now``: the current one, and the previous one during the overlap."""
    keys = [endpoint.secret]
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and now < endpoint.previous_secret_expires_at:
        keys.append(endpoint.previous_secret)
    return keys


def disable(endpoint: WebhookEndpoint, reason: str, now: datetime | None = None) -> None:
    """Stop sending to an endpoint; its pending deliveries wait until it is enabled again."""
    endpoint.enabled = False
    endpoint.disabled_reason = reason[:300]
    endpoint.disabled_at = now or utcnow()
    log.warning("webhook endpoint %s (%s) disabled: %s", endpoint.id, endpoint.url, reason)


def notices() -> list[str]:
    """What admins must be told: endpoints the system disabled by itself."""
    rows = db.session.scalars(
        select(WebhookEndpoint)
        .where(WebhookEndpoint.enabled.is_(False), WebhookEndpoint.disabled_reason != ADMIN_DISABLED)
        .order_by(WebhookEndpoint.id)
    )
    return [f"Webhook endpoint {e.url} was disabled: {e.disabled_reason}" for e in rows]


# ---- deliveries ------------------------------------------------------------------------


def list_deliveries(endpoint_id: int, cursor: str | None = None, limit: int = 50) -> tuple[list, str | None]:
    """A page of an endpoint's deliveries, newest first."""
    get_endpoint(endpoint_id)
    query = select(WebhookDelivery).where(WebhookDelivery.endpoint_id == endpoint_id)
    return paginate_desc(query, WebhookDelivery.id, cursor, limit)


def retry_delivery(endpoint_id: int, delivery_id: int, now: datetime | None = None) -> WebhookDelivery:
    """Send a delivery again ("Send again"): it is pending and due now, with a fresh attempt count."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.endpoint_id != endpoint_id:
        raise NotFound("not_found", f"No delivery {delivery_id} for webhook endpoint {endpoint_id}.")
    delivery.status = "pending"
    delivery.attempts = 0
    delivery.next_attempt_at = now or utcnow()
    delivery.delivered_at = None
    db.session.info[_ADDED] = True
    db.session.flush()
    return delivery


def fan_out(events: list[OutboxEvent]) -> int:
    """Add a pending delivery of every event to every enabled endpoint that wants its type."""
    endpoints = list(db.session.scalars(select(WebhookEndpoint).where(WebhookEndpoint.enabled.is_(True))))
    now = utcnow()
    added = 0
    for row in events:
        for endpoint in endpoints:
            if endpoint.wants(row.type):
                fields = {"resource": row.resource, "next_attempt_at": now, "created_at": now}
                db.session.add(WebhookDelivery(endpoint_id=endpoint.id, event_id=row.id, status="pending", **fields))
                added += 1
    if added:
        db.session.flush()
        db.session.info[_ADDED] = True
    return added


@outbox.published.connect
def _on_published(sender, events: list[OutboxEvent], **_: object) -> None:
    """Inside the publishing transaction: the deliveries commit (or roll back) with the sequence."""
    fan_out(events)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_ADDED, False):
        deliveries_added.send(None)


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_ADDED, None)
