"""The sandbox provider's hosted payments and the notifications it owes: kept in its own storage.

Every write commits at once on the gateway's own engine (see ``app.payments.gateway``): what
the provider knows does not depend on our transaction.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update

from app.db import utcnow
from app.payments import gateway
from app.payments.models import SandboxNotification, SandboxSession

# How long a failed delivery waits before the next attempt; after the last one it is given up.
RETRY_DELAYS = [timedelta(seconds=s) for s in (5, 30, 120, 600, 3600, 6 * 3600, 24 * 3600)]


@dataclass(frozen=True)
class Session:
    """A payment our server created at the provider, as the provider keeps it."""

    token: str
    reference: str
    amount: int
    currency: str
    description: str
    notify_url: str
    return_url: str
    status: str
    created_at: datetime
    expires_at: datetime

    @property
    def open(self) -> bool:
        """Still payable: not paid, declined or closed, and not past its time."""
        return self.status == "open" and self.expires_at > utcnow()


def _session(row) -> Session:
    return Session(**{name: getattr(row, name) for name in Session.__dataclass_fields__})


def create_session(
    reference: str, amount: int, currency: str, description: str, notify_url: str, return_url: str, minutes: int
) -> Session:
    """Create the hosted payment for ``reference``; the one already created if this is a retry."""
    engine, table = gateway.gateway_engine(), SandboxSession.__table__
    now = utcnow()
    statement = gateway.insert_for(engine)(table).values(
        token="sbx_pay_" + secrets.token_urlsafe(18),
        reference=reference,
        amount=amount,
        currency=currency,
        description=description[:120],
        notify_url=notify_url,
        return_url=return_url,
        status="open",
        created_at=now,
        expires_at=now + timedelta(minutes=minutes),
    )
    with gateway.writer(engine) as conn, conn.begin():
        conn.execute(statement.on_conflict_do_nothing(index_elements=["reference"]))
        row = conn.execute(select(table).where(table.c.reference == reference)).one()
    return _session(row)


def find_session(token: str) -> Session | None:
    """The hosted payment behind a page address, if there is one."""
    table = SandboxSession.__table__
    with gateway.gateway_engine().connect() as conn:
        row = conn.execute(select(table).where(table.c.token == token)).first()
    return _session(row) if row else None


def session_of(reference: str) -> Session | None:
    """The hosted payment of a merchant reference, if one was created."""
    table = SandboxSession.__table__
    with gateway.gateway_engine().connect() as conn:
        row = conn.execute(select(table).where(table.c.reference == reference)).first()
    return _session(row) if row else None


def finish_session(reference: str, status: str) -> bool:
    """Mark an open hosted payment paid or declined; False if it was no longer open (closed meanwhile)."""
    table = SandboxSession.__table__
    with gateway.writer(gateway.gateway_engine()) as conn, conn.begin():
        done = conn.execute(
            update(table)
            .where(table.c.reference == reference, table.c.status == "open", table.c.expires_at > utcnow())
            .values(status=status)
        )
        return done.rowcount == 1


def close_session(reference: str) -> str | None:
    """Close an open hosted payment so it can no longer be paid; its status after (None if never created)."""
    table = SandboxSession.__table__
    with gateway.writer(gateway.gateway_engine()) as conn, conn.begin():
        conn.execute(
            update(table).where(table.c.reference == reference, table.c.status == "open").values(status="closed")
        )
        row = conn.execute(select(table.c.status).where(table.c.reference == reference)).first()
    return row.status if row else None


# ---- notifications owed ----------------------------------------------------------------


@dataclass(frozen=True)
class Owed:
    """A notification to send: where, what, and how often it was tried."""

    id: int
    notify_id: str
    url: str
    body: str
    attempts: int


def queue_notification(session: Session, payload: dict) -> str:
    """Owe the merchant a notification about ``session``; returns its notify id."""
    notify_id = "sbx_ntf_" + secrets.token_hex(12)
    body = json.dumps({"notify_id": notify_id, **payload}, separators=(",", ":"), sort_keys=True)
    row = dict(notify_id=notify_id, reference=session.reference, url=session.notify_url, body=body)
    with gateway.writer(gateway.gateway_engine()) as conn, conn.begin():
        conn.execute(SandboxNotification.__table__.insert().values(attempts=0, next_attempt_at=utcnow(), **row))
    return notify_id


def due_notifications(limit: int = 20) -> list[Owed]:
    """Notifications due now (never sent, or their retry's wait is over), oldest first."""
    table = SandboxNotification.__table__
    query = (
        select(table)
        .where(
            table.c.delivered_at.is_(None), table.c.attempts <= len(RETRY_DELAYS), table.c.next_attempt_at <= utcnow()
        )
        .order_by(table.c.id)
        .limit(limit)
    )
    with gateway.gateway_engine().connect() as conn:
        return [Owed(r.id, r.notify_id, r.url, r.body, r.attempts) for r in conn.execute(query)]


def claim(owed: Owed, lease: timedelta = timedelta(seconds=30)) -> bool:
    """Take one attempt of a notification (two senders never send the same attempt)."""
    table = SandboxNotification.__table__
    with gateway.writer(gateway.gateway_engine()) as conn, conn.begin():
        claimed = conn.execute(
            update(table)
            .where(table.c.id == owed.id, table.c.attempts == owed.attempts, table.c.delivered_at.is_(None))
            .values(attempts=owed.attempts + 1, next_attempt_at=utcnow() + lease)
        )
        return claimed.rowcount == 1


def delivered(owed: Owed) -> None:
    """The merchant answered success: nothing more to send."""
    table = SandboxNotification.__table__
    with gateway.writer(gateway.gateway_engine()) as conn, conn.begin():
        conn.execute(update(table).where(table.c.id == owed.id).values(delivered_at=utcnow(), last_error=None))


def failed(owed: Owed, error: str) -> None:
    """The attempt failed: try again after the next wait of ``RETRY_DELAYS``."""
    table = SandboxNotification.__table__
    wait = RETRY_DELAYS[min(owed.attempts, len(RETRY_DELAYS) - 1)]
    with gateway.writer(gateway.gateway_engine()) as conn, conn.begin():
        conn.execute(
            update(table).where(table.c.id == owed.id).values(next_attempt_at=utcnow() + wait, last_error=error[:255])
        )


def notifications_of(reference: str) -> list[dict]:
    """Every notification owed about a reference (what was sent, whether it arrived)."""
    table = SandboxNotification.__table__
    with gateway.gateway_engine().connect() as conn:
        rows = conn.execute(select(table).where(table.c.reference == reference).order_by(table.c.id))
        return [dict(r._mapping) for r in rows]
