"""Settlement fixtures: a store, merchants with products in stock, a shopper with money, and the flows that sell and give back."""

from __future__ import annotations

import uuid

import pytest

from app.db import begin_write
from tests.members import conftest as member_fixtures
from tests.returns.conftest import paid_order

make_member = member_fixtures.make_member


@pytest.fixture
def store(make_location):
    """The store the concessions are in."""
    return make_location(code="SH-PUDONG", name="Oneshelf Pudong")


@pytest.fixture
def make_merchant(db):
    """A merchant with a general commission rate (basis points)."""
    from app.settlement import merchants

    counter = iter(range(1, 10_000))

    def make(name=None, rate=1000, days=1, code=None):
        n = next(counter)
        begin_write(db.session)
        merchant = merchants.create_merchant(
            code or f"M{n:03d}-{uuid.uuid4().hex[:4].upper()}",
            name or f"Merchant {n}",
            f"ICBC 6222 0000 {n:04d}",
            days,
        )
        merchants.set_rate(merchant, rate)
        db.session.commit()
        return merchant

    return make


@pytest.fixture
def merchant_product(db, store, make_product):
    """A product of ``merchant`` with plenty of units at the store."""
    from app.settlement import merchants
    from app.stock import services as stock

    def make(merchant, price=1000, category="Tea", units=1000, **fields):
        product = make_product(price_amount=price, category=category, **fields)
        begin_write(db.session)
        if merchant is not None:
            merchants.assign_products(merchant, [product.sku])
        stock.record_movement(product, store, "receive", units, actor="test")
        db.session.commit()
        return product

    return make


@pytest.fixture
def shopper(db, make_member):
    """A member who pays at the counter (nothing of the card or wallet path is needed here)."""
    return make_member(login=f"shopper-{uuid.uuid4().hex[:8]}@example.com", name="Mei Lin")


@pytest.fixture
def sell(db, store, shopper):
    """Sell ``[(product, qty)]`` at the store through the real checkout; returns the paid order."""

    def go(items, points=0, member=None):
        return paid_order(db, member or shopper, store, items, method="counter", points=points)

    return go


@pytest.fixture
def refund(db):
    """Refund ``amount`` (or all that is left) of an order, as the staff refund does."""
    from app.orders import services as orders

    def go(order, amount=None):
        begin_write(db.session)
        orders.refund_order(order, amount)
        db.session.commit()
        return order

    return go


@pytest.fixture
def give_back(db, store, shopper):
    """Return ``[(order_line_id, qty)]`` of an order at the store counter (received and refunded)."""
    from app.returns import services as returns

    def go(order, lines, member=None):
        begin_write(db.session)
        ret = returns.start_return(order, member or shopper, lines, "changed my mind", "store")
        db.session.commit()
        begin_write(db.session)
        returns.receive(ret, store, [(line_id, qty, "sellable") for line_id, qty in lines], "Carla Clerk")
        db.session.commit()
        return ret

    return go


def close(db, merchant_ids=None):
    """Close the open cycle of these merchants now; returns the batch (or None)."""
    from app.db import utcnow
    from app.settlement import statements

    begin_write(db.session)
    batch = statements.close_cycle(utcnow(), merchant_ids)
    db.session.commit()
    return batch
