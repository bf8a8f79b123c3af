"""Sales and refunds of merchant products become settlement entries, at the rate in force."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.db import begin_write
from app.settlement.entries import largest_remainder
from app.settlement.models import SettlementEntry


def entries(db, merchant):
    db.session.expire_all()
    query = select(SettlementEntry).filter_by(merchant_id=merchant.id).order_by(SettlementEntry.id)
    return list(db.session.scalars(query))


def test_a_paid_line_of_a_merchant_product_is_a_sale_at_its_rate(
    db, make_merchant, merchant_product, sell, make_product
):
    merchant = make_merchant(rate=1250)
    mine = merchant_product(merchant, price=3333, category="Books")
    operators = merchant_product(None, price=500)
    order = sell([(mine, 3), (operators, 1)])
    [sale] = entries(db, merchant)
    line = next(line for line in order.lines if line.product_id == mine.id)
    assert (sale.kind, sale.order_id, sale.order_line_id, sale.quantity) == ("sale", order.id, line.id, 3)
    assert sale.gross == 9999
    assert sale.commission_rate == 1250 and sale.commission == 1250  # 9999 * 12.5% = 1249.875 -> 1250
    assert sale.tax_rate == 1300


def test_a_category_rate_comes_before_the_general_one_and_changes_never_reach_back(
    db, make_merchant, merchant_product, sell
):
    from app.settlement import merchants

    merchant = make_merchant(rate=1000)
    tea = merchant_product(merchant, price=1000, category="Tea")
    cup = merchant_product(merchant, price=1000, category="Cups")
    begin_write(db.session)
    merchants.set_rate(merchant, 500, category="tea")
    db.session.commit()
    sell([(tea, 1), (cup, 1)])
    begin_write(db.session)
    merchants.set_rate(merchant, 2000)
    merchants.set_rate(merchant, 300, category="Tea")
    db.session.commit()
    sell([(tea, 1), (cup, 1)])
    assert [(e.commission_rate, e.commission) for e in entries(db, merchant)] == [
        (500, 50),
        (1000, 100),
        (300, 30),
        (2000, 200),
    ]


def test_a_rate_cannot_start_in_the_past(db, make_merchant):
    from datetime import date

    from app.errors import DomainError
    from app.settlement import merchants

    merchant = make_merchant()
    begin_write(db.session)
    with pytest.raises(DomainError) as refused:
        merchants.set_rate(merchant, 100, effective_from=date(2020, 1, 1))
    assert refused.value.code == "rate_in_past"
    db.session.rollback()


def test_a_partial_refund_is_spread_over_the_lines_to_the_fen(db, make_merchant, merchant_product, sell, refund):
    merchant = make_merchant(rate=1000)
    a = merchant_product(merchant, price=1001)
    b = merchant_product(merchant, price=2002)
    c = merchant_product(None, price=3003)
    order = sell([(a, 1), (b, 1), (c, 1)])
    refund(order, 1001)
    sales = [e for e in entries(db, merchant) if e.kind == "sale"]
    backs = [e for e in entries(db, merchant) if e.kind == "refund"]
    # 1001 over 1001 : 2002 : 3003 -> 166.83 / 333.67 / 500.5 -> 167 + 334 + 500 (operator's line)
    assert [e.gross for e in backs] == [-167, -334]
    assert all(e.sale_entry_id in {s.id for s in sales} for e in backs)
    assert all(e.source.startswith("evt_") for e in backs)
    refund(order)  # the rest: everything left goes back
    by_sale: dict[int, int] = {}
    commission: dict[int, int] = {}
    for e in entries(db, merchant):
        key = e.id if e.kind == "sale" else e.sale_entry_id
        by_sale[key] = by_sale.get(key, 0) + e.gross
        commission[key] = commission.get(key, 0) + e.commission
    assert set(by_sale.values()) == {0} and set(commission.values()) == {0}


def test_a_return_claws_back_its_units_once(db, make_merchant, merchant_product, sell, give_back):
    merchant = make_merchant(rate=1000)
    tea = merchant_product(merchant, price=1500)
    order = sell([(tea, 4)])
    ret = give_back(order, [(order.lines[0].id, 1)])
    kinds = [(e.kind, e.gross, e.commission, e.quantity) for e in entries(db, merchant)]
    assert kinds == [("sale", 6000, 600, 4), ("return", -1500, -150, -1)]
    assert entries(db, merchant)[1].return_id == ret.id
    assert entries(db, merchant)[1].source == f"return:{ret.number}"


def test_largest_remainder_gives_every_fen():
    assert largest_remainder(100, [1, 1, 1]) == [34, 33, 33]
    assert largest_remainder(0, [5, 5]) == [0, 0]
    assert sum(largest_remainder(9999, [3, 7, 11, 13])) == 9999
