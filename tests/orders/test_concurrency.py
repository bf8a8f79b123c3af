"""200 checkouts at once for 100 units, on SQLite and PostgreSQL: 100 orders, no oversell, no stray charge."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from app.orders.models import Order
from app.stock import reservations
from app.stock import services as stock
from app.stock.models import StockReservation
from tests.orders.conftest import GOOD_CARD, fill_cart
from tests.payments.hosted import deliver_notifications, pay_on_page
from tests.stock.test_concurrency import _race
from tests.stock.test_ledger import ledger_agrees

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
SHOPPERS, UNITS = 200, 100


@both
def test_200_checkouts_for_100_units(app, db, client, shelf, store):
    from app.payments import gateway

    product, label = shelf
    stock.record_movement(product, store, "receive", SHOPPERS - 5, actor="test")  # 200 on the shelf
    db.session.commit()
    carts = [fill_cart(client, label) for _ in range(SHOPPERS)]
    # Every basket's hold ran out while its shopper dithered, and half the units sold at the till.
    db.session.execute(update(StockReservation).values(expires_at=StockReservation.created_at))
    db.session.commit()
    reservations.expire_due(limit=1000)
    stock.record_movement(product, store, "sale", -(SHOPPERS - UNITS), actor="till")
    db.session.commit()

    body = {"payment": {"method": "card"}}
    answers = _race(
        app,
        [("POST", f"/api/v1/carts/{c}/checkout", body, {"Idempotency-Key": uuid.uuid4().hex}) for c in carts],
    )
    codes = [a.status_code for a in answers]
    assert codes.count(201) == UNITS and codes.count(409) == SHOPPERS - UNITS, sorted(set(codes))
    assert all(a.json["error"]["code"] == "insufficient_stock" for a in answers if a.status_code == 409)
    # Each of the 100 shoppers pays on the provider's page; the provider then notifies us.
    for answer in answers:
        if answer.status_code == 201:
            assert answer.json["status"] == "pending_payment"
            pay_on_page(client, answer.json["next_action"]["redirect_url"], GOOD_CARD)
    while deliver_notifications():
        pass
    db.session.expire_all()
    level = stock.level_of(product, store)
    assert (level.on_hand, level.reserved, level.available) == (0, 0, 0)
    paid = db.session.scalars(select(Order).where(Order.status == "paid")).all()
    assert len(paid) == UNITS and db.session.query(Order).count() == UNITS
    # Every charge the gateway made belongs to a paid order, and every paid order was charged once.
    for order in paid:
        charge = gateway.find_charge(f"order-{order.number}")
        assert charge is not None and charge.amount == order.total and charge.status == "captured"
    with gateway.gateway_engine().connect() as conn:
        from app.payments.models import SandboxCharge

        assert conn.execute(select(SandboxCharge.__table__)).all().__len__() == UNITS
    ledger_agrees(db)
