"""The sandbox card provider's storage: the outside world, which remembers what it charged.

A real gateway keeps its charges whatever happens to our transaction, so every write here
commits at once in a transaction of its own, on a connection of its own. On PostgreSQL that
is a second connection from our pool. SQLite lets one writer at a time into a file, and our
request holds that lock while it pays, so there the gateway keeps its table in a file next
to ours (``<database>-sandbox-gateway.db``), as a real gateway keeps its own database.

A charge is idempotent by reference: recording one twice keeps (and answers) the first. A
refund is idempotent by the merchant's refund id: asking again with the same id answers the
first refund and gives nothing back twice. The provider's hosted pages and notifications keep
their records here too (``sandbox_provider.store``).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

from flask import current_app
from sqlalchemy import Engine, case, create_engine, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.pool import StaticPool

from app.config import engine_options
from app.db import utcnow
from app.extensions import db
from app.payments.models import SandboxCharge, SandboxNotification, SandboxRefund, SandboxSession

EXTENSION = "oneshelf-sandbox-gateway"
_engine_lock = threading.Lock()


@dataclass(frozen=True)
class Charge:
    """The gateway's record of one charge."""

    reference: str
    provider_ref: str
    amount: int
    currency: str
    card_last4: str
    status: str
    decline_code: str | None
    refunded_amount: int


def gateway_engine() -> Engine:
    """The gateway's own engine for this app (made once)."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    with _engine_lock:
        if EXTENSION not in app.extensions:
            app.extensions[EXTENSION] = _make_engine(db.engine)
        return app.extensions[EXTENSION]


def _make_engine(main: Engine) -> Engine:
    """Our own engine on PostgreSQL; a file beside ours on SQLite (see the module docstring)."""
    if main.dialect.name != "sqlite":
        # A pool of its own: a request that holds one of ours while it waits for the gateway
        # must not wait for a connection that another such request holds.
        return create_engine(main.url, **engine_options(main.url.render_as_string(hide_password=False)))
    database = main.url.database
    if not database or database == ":memory:":
        engine = create_engine("sqlite://", poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        path = Path(database)
        url = f"sqlite:///{path.with_name(path.stem + '-sandbox-gateway.db')}"
        engine = create_engine(url, **engine_options(url))
    for model in (SandboxCharge, SandboxSession, SandboxRefund, SandboxNotification):
        model.__table__.create(engine, checkfirst=True)
    return engine


def dispose() -> None:
    """Close the gateway's own SQLite connections (tests end with this)."""
    engine = current_app.extensions.pop(EXTENSION, None)
    if engine is not None:
        engine.dispose()


def _charge(row) -> Charge:
    return Charge(
        reference=row.reference,
        provider_ref=f"sbx_ch_{row.id}",
        amount=row.amount,
        currency=row.currency,
        card_last4=row.card_last4,
        status=row.status,
        decline_code=row.decline_code,
        refunded_amount=row.refunded_amount,
    )


def insert_for(engine: Engine):
    """The dialect's INSERT (with ON CONFLICT) for the gateway's engine."""
    return pg_insert if engine.dialect.name == "postgresql" else sqlite_insert


def writer(engine: Engine):
    """A connection whose transaction takes SQLite's write lock first (BEGIN IMMEDIATE)."""
    return engine.connect().execution_options(sqlite_write=True)


def find_charge(reference: str) -> Charge | None:
    """What the gateway knows of the charge with this reference, if it made one."""
    with gateway_engine().connect() as conn:
        row = conn.execute(select(SandboxCharge.__table__).where(SandboxCharge.reference == reference)).first()
        return _charge(row) if row else None


def record_charge(
    reference: str, amount: int, currency: str, card_last4: str, status: str, decline_code: str | None = None
) -> Charge:
    """Remember a charge and commit at once; a charge with this reference already kept wins."""
    engine = gateway_engine()
    statement = insert_for(engine)(SandboxCharge.__table__).values(
        reference=reference,
        amount=amount,
        currency=currency,
        card_last4=card_last4,
        status=status,
        decline_code=decline_code,
        refunded_amount=0,
        created_at=utcnow(),
    )
    with writer(engine) as conn, conn.begin():
        conn.execute(statement.on_conflict_do_nothing(index_elements=["reference"]))
        row = conn.execute(select(SandboxCharge.__table__).where(SandboxCharge.reference == reference)).one()
    return _charge(row)


@dataclass(frozen=True)
class RefundAnswer:
    """The gateway's answer to a refund: the charge after it, and whether this call gave money back."""

    charge: Charge
    refund_ref: str
    new: bool


def record_refund(reference: str, amount: int, refund_id: str) -> RefundAnswer | None:
    """Give back part of a captured charge, once per ``refund_id``, and commit at once.

    None if there is not that much left, or if ``refund_id`` was already used for another
    reference or amount. Asking again with a known ``refund_id`` gives nothing back twice.
    """
    engine = gateway_engine()
    table, refunds = SandboxCharge.__table__, SandboxRefund.__table__
    refunded = table.c.refunded_amount + amount
    statement = (
        update(table)
        .where(
            table.c.reference == reference,
            table.c.status.in_(("captured", "partially_refunded")),
            refunded <= table.c.amount,
        )
        .values(
            refunded_amount=refunded,
            status=case((refunded == table.c.amount, "refunded"), else_="partially_refunded"),
        )
    )
    claim = insert_for(engine)(refunds).values(
        refund_id=refund_id, reference=reference, amount=amount, created_at=utcnow()
    )
    with writer(engine) as conn, conn.begin() as transaction:
        # The refund id is claimed first: of two calls with one id, only one gives money back.
        claimed = conn.execute(claim.on_conflict_do_nothing(index_elements=["refund_id"]).returning(refunds.c.id))
        new = claimed.first() is not None
        kept = conn.execute(select(refunds).where(refunds.c.refund_id == refund_id)).one()
        if (kept.reference, kept.amount) != (reference, amount):
            return None
        if new and conn.execute(statement).rowcount == 0:
            transaction.rollback()
            return None
        row = conn.execute(select(table).where(table.c.reference == reference)).one()
    return RefundAnswer(_charge(row), f"sbx_re_{kept.id}", new)


@dataclass(frozen=True)
class StatementLine:
    """One line of the provider's statement of a day: a charge or a refund."""

    kind: str  # charge or refund
    reference: str
    provider_ref: str
    amount: int
    currency: str
    status: str
    refund_id: str | None = None


def statement(start, end) -> list[StatementLine]:
    """Every charge and refund the gateway made from ``start`` to ``end`` (UTC), as its statement lists them."""
    charges, refunds = SandboxCharge.__table__, SandboxRefund.__table__
    lines: list[StatementLine] = []
    with gateway_engine().connect() as conn:
        for row in conn.execute(
            select(charges).where(charges.c.created_at >= start, charges.c.created_at < end).order_by(charges.c.id)
        ):
            charge = _charge(row)
            lines.append(
                StatementLine(
                    "charge", charge.reference, charge.provider_ref, charge.amount, charge.currency, charge.status
                )
            )
        query = (
            select(refunds, charges.c.currency)
            .join(charges, charges.c.reference == refunds.c.reference)
            .where(refunds.c.created_at >= start, refunds.c.created_at < end)
            .order_by(refunds.c.id)
        )
        for row in conn.execute(query):
            lines.append(
                StatementLine(
                    "refund", row.reference, f"sbx_re_{row.id}", row.amount, row.currency, "succeeded", row.refund_id
                )
            )
    return lines
