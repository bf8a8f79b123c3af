"""Feedback fixtures: a paid order of a signed-in member, and phones that asked for help."""

from __future__ import annotations

import pytest

from tests.orders import conftest as order_fixtures
from tests.orders.conftest import fill_cart, pay
from tests.service import conftest as help_fixtures

store, shelf, shopper = order_fixtures.store, order_fixtures.shelf, order_fixtures.shopper
make_member, member_client = order_fixtures.make_member, order_fixtures.member_client
stores, phone, label_code, clerk_of = (
    help_fixtures.stores,
    help_fixtures.phone,
    help_fixtures.label_code,
    help_fixtures.clerk_of,
)


@pytest.fixture
def paid_order(db, shelf, shopper):
    """(phone client, member, CSRF headers, order number): the member paid one unit from the wallet."""
    from app.payments import wallet

    phone, member, headers = shopper
    wallet.credit(member.id, 10000, "CNY", "topup", None)
    db.session.commit()
    cart_id = fill_cart(phone, shelf[1], headers=headers)
    paid = pay(phone, cart_id, {"method": "wallet"}, headers=headers)
    assert paid.status_code == 201, paid.text
    return phone, member, headers, paid.get_json()["number"]
