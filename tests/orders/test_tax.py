"""Tax on every order: per line as sold (after the points discount), per rate on the receipt, staff page and API."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from app.db import begin_write
from app.orders import services as orders
from app.orders import taxes
from tests.orders.conftest import fill_cart, pay
from tests.orders.test_staff_pages import staff_client  # noqa: F401


@pytest.fixture
def two_rates(app, db, store, make_product):
    """Tea at the default 13% and a snack in "food" at 9% (TAX_RATES), each labelled and in stock."""
    from app.labels import services as labels
    from app.labels.models import Label
    from app.stock import services as stock

    app.config["TAX_RATES"] = {"food": 900}
    tea = make_product(name="Jasmine Pearls", price_amount=6800, category="Tea")
    snack = make_product(name="Sesame Crisps", price_amount=2500, category="Food")
    labels.ensure_labels([tea, snack], [store])
    for product in (tea, snack):
        stock.record_movement(product, store, "receive", 10, actor="test")
    db.session.commit()
    return [db.session.scalar(select(Label).filter_by(product_id=p.id, location_id=store.id)) for p in (tea, snack)]


def buy_both(db, shopper, two_rates, points=1000) -> dict:
    """1 tea (68.00) + 2 snacks (50.00) = 118.00, less 1000 points (10.00): 108.00 paid at the counter."""
    from app.members import points as ledger

    phone, member, headers = shopper
    if points:
        ledger.record(member.id, points, "imported")
        db.session.commit()
    tea_label, snack_label = two_rates
    cart_id = fill_cart(phone, tea_label, 1, headers)
    added = phone.post(f"/api/v1/carts/{cart_id}/lines", json={"code": snack_label.code, "qty": 2}, headers=headers)
    assert added.status_code == 201, added.text
    answer = pay(phone, cart_id, {"method": "counter"}, headers=headers, points=points)
    assert answer.status_code == 201, answer.text
    begin_write(db.session)
    orders.confirm_at_counter(orders.get_order(answer.get_json()["number"]), "cash", "Carla Clerk")
    db.session.commit()
    return phone.get(f"/api/v1/orders/{answer.get_json()['number']}").get_json()


@given(total=st.integers(0, 10**6), weights=st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_a_discount_is_spread_by_largest_remainder(total, weights):
    shares = taxes.spread(total, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == total
    for share, weight in zip(shares, weights, strict=True):
        exact = total * weight / sum(weights)
        assert exact - 1 < share < exact + 1


def test_each_line_records_its_rate_and_the_tax_in_what_was_paid(db, shopper, two_rates):
    order = buy_both(db, shopper, two_rates)
    tea, snack = order["lines"]
    # The 10.00 discount: 5.76 on the tea (6800/11800 of it), 4.24 on the snacks (largest remainder).
    assert (tea["tax_rate"], snack["tax_rate"]) == (1300, 900)
    assert tea["tax_amount"] == 716  # 62.24 x 13/113
    assert snack["tax_amount"] == 378  # 45.76 x 9/109
    assert [(t["rate"], t["rate_text"], t["amount"], t["tax"]) for t in order["tax"]] == [
        (1300, "13%", 6224, 716),
        (900, "9%", 4576, 378),
    ]
    assert order["tax_total"] == 716 + 378 == sum(t["tax"] for t in order["tax"])
    assert sum(t["amount"] for t in order["tax"]) == order["total"] == 10_800


def test_the_receipt_shows_each_rates_tax_and_they_sum_to_the_total_tax(db, shopper, two_rates):
    phone = shopper[0]
    order = buy_both(db, shopper, two_rates)
    page = phone.get(f"/orders/{order['number']}")
    assert page.status_code == 200
    rows = dict(re.findall(r'data-tax-rate="(\d+)" data-tax="(\d+)"', page.text))
    assert rows == {"1300": "716", "900": "378"}
    assert "13%" in page.text and "9%" in page.text and "CN¥7.16" in page.text and "CN¥3.78" in page.text
    total_tax = int(re.search(r'data-tax-total="(\d+)"', page.text).group(1))
    assert total_tax == sum(int(tax) for tax in rows.values()) == 1094
    assert re.search(r"data-tax-sum>CN¥10\.94<", page.text)


def test_the_api_and_the_staff_page_show_the_same_tax(db, shopper, two_rates, staff_client):  # noqa: F811
    phone = shopper[0]
    order = buy_both(db, shopper, two_rates)
    again = phone.get(f"/api/v1/orders/{order['number']}").get_json()
    assert again["tax"] == order["tax"] and again["lines"][0]["tax_amount"] == 716
    page = staff_client("admin").get(f"/staff/orders/{order['number']}")
    assert page.status_code == 200
    assert 'data-tax-rate="1300"' in page.text and 'data-tax-rate="900"' in page.text
    assert "data-tax-sum>CN¥10.94<" in page.text


def test_after_a_return_the_tax_left_follows_the_units_that_came_back(db, shopper, two_rates, store):
    from app.returns import services as returns

    phone, member, _ = shopper
    number = buy_both(db, shopper, two_rates)["number"]
    order = orders.get_order(number)
    snack_line = order.lines[1]
    begin_write(db.session)
    ret = returns.start_return(order, member, [(snack_line.id, 1)], "stale", "store")
    returns.receive(ret, store, [(snack_line.id, 1, "sellable")], "Carla Clerk")
    db.session.commit()
    shown = phone.get(f"/api/v1/orders/{number}").get_json()
    by_rate = {t["rate"]: t for t in shown["tax"]}
    assert by_rate[1300]["tax_left"] == 716  # nothing of the tea came back
    assert by_rate[900]["tax_left"] == 378 - 378 // 2  # one of the two snacks did
    page = phone.get(f"/orders/{number}")
    assert f'data-tax-left="{716 + 189}"' in page.text


def test_a_zero_rate_shows_as_zero_tax(app, db, shopper, two_rates):
    app.config["TAX_RATES"] = {"food": 0, "tea": 0}
    order = buy_both(db, shopper, two_rates, points=0)
    assert order["tax"] == [{"rate": 0, "rate_text": "0%", "amount": 11_800, "tax": 0, "tax_left": 0}]
    assert order["tax_total"] == 0
