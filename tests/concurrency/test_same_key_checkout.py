"""One basket paid by several requests at once with one Idempotency-Key: one order, one charge, one answer."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from app.orders.models import Order
from app.payments.models import Payment
from tests.orders.conftest import GOOD_CARD, fill_cart, shelf, store  # noqa: F401 (fixtures)
from tests.payments.hosted import pay_by_card
from tests.stock.test_concurrency import _race

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
SAME_MOMENT = 6


@both
@pytest.mark.parametrize("payment", [{"method": "card"}, {"method": "counter"}])
def test_checkouts_with_one_key_at_once_answer_alike(app, db, client, shelf, payment):  # noqa: F811
    from app.payments import gateway

    _, label = shelf
    cart_id = fill_cart(client, label)
    request = ("POST", f"/api/v1/carts/{cart_id}/checkout", {"payment": payment}, {"Idempotency-Key": "tap-twice"})
    answers = _race(app, [request] * SAME_MOMENT)
    assert [a.status_code for a in answers] == [201] * SAME_MOMENT, [a.get_data(as_text=True) for a in answers]
    assert len({(a.json["number"], a.json["status"], a.json["total"]) for a in answers}) == 1
    assert db.session.scalar(select(func.count()).select_from(Order)) == 1
    assert db.session.scalar(select(func.count()).select_from(Payment).filter_by(purpose="order")) == 1
    if payment["method"] == "card":
        # One payment at the provider: every answer sends the shopper to the same page.
        assert answers[0].json["status"] == "pending_payment"
        assert len({a.json["next_action"]["redirect_url"] for a in answers}) == 1
        pay_by_card(client, answers[0], GOOD_CARD)
        again = client.post(request[1], json=request[2], headers=request[3])
        assert again.status_code == 201 and again.json["status"] == "paid"
        assert gateway.find_charge(f"order-{answers[0].json['number']}").amount == 6800
