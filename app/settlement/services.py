"""Settlement's door for pages, API, tasks and the portal: statements made, files drawn, jobs started.

The rules are in ``merchants`` (merchants, products, rates), ``entries`` (what sales and
refunds append) and ``statements`` (closing cycles); this module puts them to work.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select

from app.db import begin_write, utcnow
from app.extensions import db
from app.jobs import services as jobs
from app.orders.models import Order, OrderLine
from app.returns.models import Return
from app.settlement import documents, statements
from app.settlement.merchants import get_merchant
from app.settlement.models import Merchant, PayoutBatch, SettlementEntry, Statement
from app.staff import services as staff

JOB_KIND = "settlement_run"
jobs.TITLES.setdefault(JOB_KIND, "Closing settlement statements")


def line_refs(entries: list[SettlementEntry]) -> dict[int, tuple[str, str]]:
    """Order line id -> (order number, SKU) for these entries, in one query."""
    ids = sorted({e.order_line_id for e in entries})
    refs: dict[int, tuple[str, str]] = {}
    for start in range(0, len(ids), 900):
        rows = db.session.execute(
            select(OrderLine.id, Order.number, OrderLine.sku)
            .join(Order, Order.id == OrderLine.order_id)
            .where(OrderLine.id.in_(ids[start : start + 900]))
        )
        refs.update({line_id: (number, sku) for line_id, number, sku in rows})
    return refs


def statement_pdf(statement: Statement) -> bytes:
    """The statement as a PDF."""
    entries = statements.entries_of(statement)
    merchant = get_merchant(statement.merchant_id)
    return documents.statement_pdf(statement, merchant, entries, line_refs(entries), statements.zone())


def statement_csv(statement: Statement) -> str:
    """The statement as CSV: its entries and its totals."""
    entries = statements.entries_of(statement)
    return documents.statement_csv(statement, get_merchant(statement.merchant_id), entries, line_refs(entries))


def payout_csv(batch: PayoutBatch) -> str:
    """The payout file of one run."""
    rows = [(s, get_merchant(s.merchant_id)) for s in statements.statements_in(batch)]
    return documents.payout_csv(batch, rows)


def close_now(merchant_ids: list[int] | None = None, cutoff: datetime | None = None) -> PayoutBatch | None:
    """Close the open cycles now (on demand), for every merchant or these."""
    return statements.close_cycle(cutoff or utcnow(), merchant_ids)


def start_close_job(merchant_ids: list[int] | None = None):
    """Close the open cycles on the job runner, cut off at this moment (the caller commits)."""
    return jobs.start_job(JOB_KIND, 1, close_work, merchant_ids=merchant_ids, cutoff=utcnow().isoformat())


def close_work(report, merchant_ids: list[int] | None, cutoff: str) -> dict[str, Any]:
    """A settlement run's work: one write transaction (committed with the job)."""
    begin_write(db.session)
    batch = close_now(merchant_ids, datetime.fromisoformat(cutoff))
    report(1, 1)
    if batch is None:
        return {"statements": 0, "batch": None}
    count = len(statements.statements_in(batch))
    return {"statements": count, "batch": batch.reference, "batch_id": batch.id}


def overview() -> list[dict[str, Any]]:
    """Every merchant with its product count, rates and latest statements (the admin page)."""
    from app.settlement import merchants

    counts = merchants.product_counts()
    return [
        {
            "merchant": m,
            "products": counts.get(m.id, 0),
            "rates": merchants.rates_of(m.id),
            "statements": statements.statements_of(m.id, limit=5),
        }
        for m in merchants.list_merchants()
    ]


def merchant_of_user(user) -> Merchant:
    """The merchant a portal user belongs to."""
    return get_merchant(user.merchant_id)


def return_number(return_id: int | None) -> str:
    """A return's number (what the merchant sees of it: no shopper)."""
    ret = db.session.get(Return, return_id) if return_id else None
    return ret.number if ret else ""


def create_merchant_user(merchant: Merchant, email: str, name: str, password: str):
    """A staff account with the merchant role, tied to one merchant (its portal shows only that one)."""
    user = staff.create_staff(email, name or merchant.name, password, "merchant")
    user.merchant_id = merchant.id
    db.session.flush()
    return user
