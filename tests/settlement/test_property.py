"""Random sales, partial refunds, returns and rate changes over several cycles and merchants.

Whatever happens: every statement balances to the fen (payout + commission + clawbacks =
sales, with the balance carried in and out), all statements together hold exactly the net
sales and commission an independent reckoning expects, a closed statement never changes
after later refunds, and every line of a statement traces back to its order (and refund).
"""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from app.db import begin_write
from app.outbox.models import OutboxEvent
from app.settlement.models import SettlementEntry, Statement
from tests.settlement.conftest import close

MERCHANTS = 3
# (merchant index or None for the operator, price, category): two of each merchant's, one of the operator's.
CATALOG = [(0, 1999, "tea"), (0, 333, "cups"), (1, 4567, "books"), (1, 101, "tea"), (2, 2500, "tea"), (2, 999, "toys")]
CATALOG += [(None, 1200, "tea")]

step = st.one_of(
    st.tuples(st.just("sell"), st.lists(st.tuples(st.integers(0, 6), st.integers(1, 3)), min_size=1, max_size=3)),
    st.tuples(st.just("refund"), st.integers(0, 50), st.integers(1, 100)),
    st.tuples(st.just("return"), st.integers(0, 50), st.integers(0, 2), st.integers(1, 3)),
    st.tuples(
        st.just("rate"), st.integers(0, 2), st.sampled_from([None, "tea", "books", "toys"]), st.integers(0, 3000)
    ),
    st.tuples(st.just("close")),
)
SETTINGS = settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)


def half_up(gross: int, rate: int) -> int:
    return int(Fraction(gross * rate, 10_000) + Fraction(1, 2))


def split(amount: int, weights: list[int]) -> list[int]:
    """Largest remainder, done with exact fractions."""
    exact = [Fraction(amount * w, sum(weights)) for w in weights]
    shares = [int(x) for x in exact]
    by_rest = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_rest[: amount - sum(shares)]:
        shares[i] += 1
    return shares


class Reckoning:
    """What each merchant should be owed, worked out from what the test did (not from the entries)."""

    def __init__(self):
        self.rates: dict[tuple[int, str | None], int] = {}
        self.lines: dict[int, dict] = {}  # order line id -> {merchant, gross, commission, clawed, clawed_commission}

    def rate(self, merchant: int, category: str) -> int:
        return self.rates.get((merchant, category), self.rates.get((merchant, None), 0))

    def sold(self, line_id: int, merchant: int, gross: int, category: str) -> None:
        commission = half_up(gross, self.rate(merchant, category))
        self.lines[line_id] = {"merchant": merchant, "gross": gross, "commission": commission, "clawed": 0, "back": 0}

    def claw(self, line_id: int, amount: int) -> None:
        line = self.lines.get(line_id)
        if line is None or not line["gross"]:
            return
        line["clawed"] += min(amount, line["gross"] - line["clawed"])
        line["back"] = line["commission"] * line["clawed"] // line["gross"]

    def totals(self, merchant: int) -> tuple[int, int]:
        mine = [line for line in self.lines.values() if line["merchant"] == merchant]
        return sum(x["gross"] - x["clawed"] for x in mine), sum(x["commission"] - x["back"] for x in mine)


def _statements(db, merchant_ids) -> list[dict]:
    rows = db.session.execute(
        select(Statement.__table__).where(Statement.merchant_id.in_(merchant_ids)).order_by(Statement.id)
    )
    return [dict(row._mapping) for row in rows]


def run_story(db, steps, make_merchant, merchant_product, sell, refund, give_back):
    from app.orders.models import Order
    from app.settlement import merchants as merchant_services

    merchants = [make_merchant(rate=1000 + 500 * i) for i in range(MERCHANTS)]
    reckoning = Reckoning()
    for i in range(MERCHANTS):
        reckoning.rates[(i, None)] = 1000 + 500 * i
    products = [
        merchant_product(merchants[m] if m is not None else None, price=price, category=cat)
        for m, price, cat in CATALOG
    ]
    orders: list[Order] = []
    snapshots: dict[int, dict] = {}
    ids = [m.id for m in merchants]
    for action, *args in steps:
        if action == "sell":
            wanted: dict[int, int] = {}
            for index, qty in args[0]:
                wanted[index] = wanted.get(index, 0) + qty
            order = sell([(products[i], q) for i, q in wanted.items()])
            for line in order.lines:
                index = next(i for i, p in enumerate(products) if p.id == line.product_id)
                owner, _, category = CATALOG[index]
                if owner is not None:
                    reckoning.sold(line.id, owner, line.line_total, category)
            orders.append(order)
        elif action == "refund" and orders:
            order = db.session.get(Order, orders[args[0] % len(orders)].id)
            left = order.total - order.refunded_amount
            if order.status not in ("paid", "partially_refunded") or left <= 0:
                continue
            amount = max(1, left * args[1] // 100)
            weights = [line.line_total for line in order.lines]
            refund(order, amount)
            if amount == left:
                for line in order.lines:
                    reckoning.claw(line.id, line.line_total)
            else:
                for line, share in zip(order.lines, split(amount, weights), strict=True):
                    reckoning.claw(line.id, share)
        elif action == "return" and orders:
            order = db.session.get(Order, orders[args[0] % len(orders)].id)
            line = order.lines[args[1] % len(order.lines)]
            units = min(args[2], line.quantity - line.returned_quantity)
            if order.status not in ("paid", "partially_refunded") or units <= 0:
                continue
            give_back(order, [(line.id, units)])
            reckoning.claw(line.id, units * line.unit_price)
        elif action == "rate":
            merchant, category, rate = args
            begin_write(db.session)
            merchant_services.set_rate(merchants[merchant], rate, category=category)
            db.session.commit()
            reckoning.rates[(merchant, category)] = rate
        elif action == "close":
            close(db, ids)
            for row in _statements(db, ids):
                snapshots.setdefault(row["id"], row)
    close(db, ids)
    for row in _statements(db, ids):
        snapshots.setdefault(row["id"], row)
    db.session.expire_all()
    _check(db, merchants, reckoning, snapshots)


def _check(db, merchants, reckoning, snapshots):
    from app.orders.models import Order, OrderLine
    from app.returns.models import Return
    from app.settlement import statements

    ids = [m.id for m in merchants]
    now = {row["id"]: row for row in _statements(db, ids)}
    assert now == snapshots, "a closed statement changed"
    for index, merchant in enumerate(merchants):
        mine = [row for row in now.values() if row["merchant_id"] == merchant.id]
        mine.sort(key=lambda row: row["period_end"])
        carried = 0
        for row in mine:
            entries = statements.entries_of(db.session.get(Statement, row["id"]))
            assert row["entry_count"] == len(entries)
            assert row["gross_sales"] == sum(e.gross for e in entries if e.kind == "sale")
            assert row["refunds"] == -sum(e.gross for e in entries if e.kind != "sale")
            assert row["commission"] == sum(e.commission for e in entries)
            assert row["carried_in"] == carried
            # payouts + commission + clawbacks = sales, the balance carried in and out included
            assert row["payout"] + row["commission"] + row["refunds"] == (
                row["gross_sales"] + row["carried_in"] - row["carried_out"]
            )
            assert row["payout"] >= 0 and row["carried_out"] <= 0 and not (row["payout"] and row["carried_out"])
            carried = row["carried_out"]
            for entry in entries:
                line = db.session.get(OrderLine, entry.order_line_id)
                assert line.order_id == entry.order_id and db.session.get(Order, entry.order_id) is not None
                if entry.kind == "sale":
                    continue
                sale = db.session.get(SettlementEntry, entry.sale_entry_id)
                assert sale.kind == "sale" and sale.order_line_id == entry.order_line_id
                if entry.kind == "return":
                    ret = db.session.get(Return, entry.return_id)
                    assert ret.order_id == entry.order_id and entry.source == f"return:{ret.number}"
                else:
                    event = db.session.scalar(select(OutboxEvent).filter_by(uid=entry.source))
                    assert event.type == "refund.issued"
                    assert event.resource == f"order:{db.session.get(Order, entry.order_id).number}"
        net, commission = reckoning.totals(index)
        assert sum(r["gross_sales"] - r["refunds"] for r in mine) == net
        assert sum(r["commission"] for r in mine) == commission
        assert sum(r["payout"] for r in mine) + carried == net - commission
        # Every entry is in exactly one statement.
        everything = db.session.scalar(select(func.count()).where(SettlementEntry.merchant_id == merchant.id))
        assert sum(r["entry_count"] for r in mine) == everything


@settings(SETTINGS, max_examples=25)
@given(steps=st.lists(step, min_size=3, max_size=14))
def test_settlement_balances_in_every_cycle(db, make_merchant, merchant_product, sell, refund, give_back, steps):
    run_story(db, steps, make_merchant, merchant_product, sell, refund, give_back)


@pytest.mark.postgres
@SETTINGS
@given(steps=st.lists(step, min_size=3, max_size=12))
def test_settlement_balances_in_every_cycle_on_postgres(
    pg_schema_url, db, make_merchant, merchant_product, sell, refund, give_back, steps
):
    run_story(db, steps, make_merchant, merchant_product, sell, refund, give_back)


def test_a_cycle_with_more_clawed_back_than_sold_carries_the_balance_forward(
    db, make_merchant, merchant_product, sell, refund
):
    merchant = make_merchant(rate=1000)
    tea = merchant_product(merchant, price=10_000)
    order = sell([(tea, 1)])
    close(db, [merchant.id])
    refund(order)
    small = sell([(tea, 1)])
    refund(small, 5_000)
    close(db, [merchant.id])
    sell([(tea, 1)])
    close(db, [merchant.id])
    first, second, third = sorted(_statements(db, [merchant.id]), key=lambda r: r["period_end"])
    assert (first["gross_sales"], first["commission"], first["payout"]) == (10_000, 1_000, 9_000)
    # 10,000 sold, 10,000 + 5,000 clawed back; commission -1,000 + 1,000 - 500 comes back to the merchant
    assert (second["gross_sales"], second["refunds"], second["commission"]) == (10_000, 15_000, -500)
    assert (second["net"], second["payout"], second["carried_out"]) == (-4_500, 0, -4_500)
    assert (third["carried_in"], third["net"], third["payout"]) == (-4_500, 4_500, 4_500)
