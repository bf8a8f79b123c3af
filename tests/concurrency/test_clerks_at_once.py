"""Several clerks writing at the same moment, each on their own order: every one answered, none busy."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.orders.models import Order
from tests.orders.conftest import GOOD_CARD, fill_cart, pay, shelf, store  # noqa: F401 (fixtures)
from tests.payments.hosted import checkout_by_card
from tests.stock.test_concurrency import _race

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
CLERKS = 5


def _keys(db, role: str) -> list[dict]:
    """One API key per clerk."""
    from app.db import begin_write
    from app.staff import services

    begin_write(db.session)
    keys = [services.create_api_key(f"{role} {n}", role)[1] for n in range(CLERKS)]
    db.session.commit()
    return [{"Authorization": f"Bearer {key}"} for key in keys]


def _orders(client, label, payment) -> list[dict]:
    if payment["method"] == "card":  # paid on the provider's page, as a shopper pays
        orders = [checkout_by_card(client, fill_cart(client, label), GOOD_CARD) for _ in range(CLERKS)]
    else:
        orders = [pay(client, fill_cart(client, label), payment) for _ in range(CLERKS)]
    assert {o.status_code for o in orders} == {201}
    return [o.get_json() for o in orders]


def _status_of(db, numbers) -> set[str]:
    db.session.expire_all()
    return set(db.session.scalars(select(Order.status).where(Order.number.in_(numbers))))


@both
def test_five_clerks_check_five_exit_passes_at_once(app, db, client, shelf):  # noqa: F811
    _, label = shelf
    orders = _orders(client, label, {"method": "card"})
    clerks = _keys(db, "clerk")
    answers = _race(
        app,
        [
            ("POST", "/api/v1/exit-passes/use", {"code": o["exit_pass"]["token"]}, h)
            for o, h in zip(orders, clerks, strict=True)
        ],
    )
    assert [a.status_code for a in answers] == [200] * CLERKS, [a.get_data(as_text=True) for a in answers]
    assert [a.json["order"]["number"] for a in answers] == [o["number"] for o in orders]
    for order, clerk in zip(orders, clerks, strict=True):
        again = client.post("/api/v1/exit-passes/use", json={"code": order["exit_pass"]["token"]}, headers=clerk)
        assert again.status_code == 409 and again.json["error"]["code"] == "exit_pass_used"


@both
def test_five_refunds_at_once(app, db, client, shelf):  # noqa: F811
    from app.payments import gateway

    _, label = shelf
    orders = _orders(client, label, {"method": "card"})
    admins = _keys(db, "admin")
    answers = _race(
        app, [("POST", f"/api/v1/orders/{o['number']}/refunds", {}, h) for o, h in zip(orders, admins, strict=True)]
    )
    assert [a.status_code for a in answers] == [201] * CLERKS, [a.get_data(as_text=True) for a in answers]
    assert {(a.json["status"], a.json["refunded_amount"]) for a in answers} == {("refunded", 6800)}
    assert _status_of(db, [o["number"] for o in orders]) == {"refunded"}
    assert all(gateway.find_charge(f"order-{o['number']}").refunded_amount == 6800 for o in orders)


@both
def test_five_counter_payments_at_once(app, db, client, shelf, store):  # noqa: F811
    from app.stock import services as stock

    product, label = shelf
    orders = _orders(client, label, {"method": "counter"})
    clerks = _keys(db, "clerk")
    answers = _race(
        app,
        [
            ("POST", f"/api/v1/orders/{o['number']}/counter-payment", {"how": "cash"}, h)
            for o, h in zip(orders, clerks, strict=True)
        ],
    )
    assert [a.status_code for a in answers] == [200] * CLERKS, [a.get_data(as_text=True) for a in answers]
    assert {a.json["status"] for a in answers} == {"paid"}
    assert _status_of(db, [o["number"] for o in orders]) == {"paid"}
    level = stock.level_of(product, store)
    assert (level.on_hand, level.reserved) == (0, 0)
