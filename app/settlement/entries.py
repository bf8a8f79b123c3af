"""Settlement entries, appended as sales and refunds happen (outbox receivers, in their transaction).

- ``order.paid``: one sale entry per line of a merchant's product: the line's total, the
  commission at the rate in force, the tax rate of the product's category.
- ``return.received`` / ``return.refunded``: the returned units' value is clawed back from
  their lines (the ``refund.issued`` that the return's money causes in between is the same
  money, so it is not clawed back a second time).
- ``refund.issued`` without a return: the amount is spread over the order's lines in
  proportion to their totals, largest remainder first, to the fen; a refund that leaves
  nothing of the order claws back all that is left.

A clawback never takes more than is left of its sale, and takes back the sale's commission
in proportion (rounded down, so that the last clawback returns exactly what is left).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from app.catalog import services as catalog
from app.db import utcnow
from app.extensions import db
from app.orders.models import Order, OrderLine
from app.outbox.services import signal
from app.settlement import live
from app.settlement.merchants import BASIS, rate_at
from app.settlement.models import SettlementEntry
from app.settlement.statements import booking_times
from app.tax import rate_for

RETURNING = "oneshelf_settlement_returning"


def commission_of(gross: int, rate: int) -> int:
    """The commission on ``gross`` at ``rate`` basis points, half up to the fen."""
    return (gross * rate * 2 + BASIS) // (2 * BASIS)


def largest_remainder(amount: int, weights: list[int]) -> list[int]:
    """``amount`` split in proportion to ``weights``: floors, then a fen each to the largest remainders."""
    total = sum(weights)
    if total <= 0 or amount <= 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    order = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in order[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def record_sale(order: Order, at: datetime | None = None) -> list[SettlementEntry]:
    """One sale entry per merchant line of a paid order."""
    at = at or order.paid_at or utcnow()
    products = catalog.products_by_id({line.product_id for line in order.lines})
    owners = {p.merchant_id for p in products.values() if p.merchant_id is not None}
    booked = booking_times(owners, at) if owners else {}
    entries = []
    for line in order.lines:
        product = products[line.product_id]
        if product.merchant_id is None:
            continue
        rate = rate_at(product.merchant_id, product.category, at)
        entry = SettlementEntry(
            merchant_id=product.merchant_id,
            kind="sale",
            order_id=order.id,
            order_line_id=line.id,
            source=f"order:{order.number}",
            occurred_at=at,
            booked_at=booked[product.merchant_id],
            quantity=line.quantity,
            gross=line.line_total,
            commission_rate=rate,
            commission=commission_of(line.line_total, rate),
            tax_rate=rate_for(product.category),
        )
        db.session.add(entry)
        entries.append(entry)
    if entries:
        db.session.flush()
        live.sales_made(order, entries)
    return entries


def _sales_of(order_id: int) -> dict[int, SettlementEntry]:
    """The order's sale entries, by order line."""
    rows = db.session.scalars(select(SettlementEntry).filter_by(order_id=order_id, kind="sale"))
    return {entry.order_line_id: entry for entry in rows}


def _clawed(sale: SettlementEntry) -> tuple[int, int]:
    """Gross and commission already clawed back from a sale (as positive numbers)."""
    gross, commission = db.session.execute(
        select(
            func.coalesce(func.sum(SettlementEntry.gross), 0), func.coalesce(func.sum(SettlementEntry.commission), 0)
        ).where(SettlementEntry.sale_entry_id == sale.id)
    ).one()
    return -int(gross), -int(commission)


def claw_back(sale: SettlementEntry, amount: int, kind: str, source: str, **fields) -> SettlementEntry | None:
    """Take back up to ``amount`` of a sale's gross, and its commission in proportion."""
    clawed, commission_back = _clawed(sale)
    take = min(amount, sale.gross - clawed)
    if take <= 0:
        return None
    commission_due = sale.commission * (clawed + take) // sale.gross
    at = fields.pop("at", None) or utcnow()
    entry = SettlementEntry(
        merchant_id=sale.merchant_id,
        kind=kind,
        order_id=sale.order_id,
        order_line_id=sale.order_line_id,
        sale_entry_id=sale.id,
        source=source,
        occurred_at=at,
        booked_at=booking_times([sale.merchant_id], at)[sale.merchant_id],
        gross=-take,
        commission_rate=sale.commission_rate,
        commission=-(commission_due - commission_back),
        tax_rate=sale.tax_rate,
        **fields,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def refund_spread(order: Order, amount: int, source: str, at: datetime | None = None) -> list[SettlementEntry]:
    """Claw back a refund of ``amount`` of the order's money from its merchant lines."""
    sales = _sales_of(order.id)
    if not sales:
        return []
    lines: list[OrderLine] = list(order.lines)
    subtotal = sum(line.line_total for line in lines)
    if order.status == "refunded":
        # Nothing of the order is left: whatever rounding kept back goes too.
        shares = [sales[line.id].gross if line.id in sales else 0 for line in lines]
    else:
        # Refunds are of the money paid; the lines are worth their totals before a points discount.
        gross = amount * subtotal // order.total if order.total else 0
        shares = largest_remainder(gross, [line.line_total for line in lines])
    entries = []
    for line, share in zip(lines, shares, strict=True):
        if line.id in sales and share:
            entry = claw_back(sales[line.id], share, "refund", source, at=at)
            if entry is not None:
                entries.append(entry)
    if entries:
        live.clawed_back(order, entries)
    return entries


def return_clawback(ret, order: Order, at: datetime | None = None) -> list[SettlementEntry]:
    """Claw back the value of a return's units from their sales."""
    sales = _sales_of(order.id)
    by_id = {line.id: line for line in order.lines}
    entries = []
    for line in ret.lines:
        units = line.sellable + line.quarantined
        sale = sales.get(line.order_line_id)
        if sale is None or not units:
            continue
        value = units * by_id[line.order_line_id].unit_price
        entry = claw_back(sale, value, "return", f"return:{ret.number}", return_id=ret.id, quantity=-units, at=at)
        if entry is not None:
            entries.append(entry)
    if entries:
        live.clawed_back(order, entries)
    return entries


# ---- reactions -----------------------------------------------------------------------------


@signal("order.paid").connect
def _on_paid(row, order: Order | None = None, **_context) -> None:
    if order is not None:
        record_sale(order)


@signal("return.received").connect
def _on_return_received(row, ret=None, order: Order | None = None, **_context) -> None:
    if order is not None:
        # The refund that follows in this transaction is this return's money.
        db.session.info.setdefault(RETURNING, set()).add(order.id)


@signal("refund.issued").connect
def _on_refund(row, order: Order | None = None, **_context) -> None:
    if order is None or order.id in db.session.info.get(RETURNING, ()):
        return
    refund_spread(order, int(row.data["amount"]["amount"]), row.uid)


@signal("return.refunded").connect
def _on_return_refunded(row, ret=None, order: Order | None = None, **_context) -> None:
    if order is None or ret is None:
        return
    db.session.info.get(RETURNING, set()).discard(order.id)
    return_clawback(ret, order)


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(RETURNING, None)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    if not previous_transaction.nested:
        session.info.pop(RETURNING, None)
