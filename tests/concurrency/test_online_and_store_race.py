"""100 online orders and 100 checkouts in the store at once, for 100 units over three locations.

Every buyer goes the whole way a real one does: a basket, a line, checkout by card. The
shoppers in the store take their unit off the shelf at NEAR; the online ones have it delivered
from wherever the router finds it. Exactly 100 are paid, no level goes below zero, and the
ledger agrees with the orders.
"""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.carts import services as carts
from app.db import begin_write
from app.errors import DomainError
from app.extensions import db
from app.fulfilment.models import FulfilmentLine
from app.orders import services as orders
from app.orders.models import Order, OrderLine
from app.stock import services as stock
from app.stock.models import StockMovement, StockReservation
from tests.payments.hosted import VISA, pay_order_by_card

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
UNITS = {"NEAR": 40, "MID": 35, "WH": 25}
ONLINE = IN_STORE = 100
CARD = {"method": "card"}
HOME = {"recipient": "Li Lei", "line1": "1 Nanjing Rd", "city": "Shanghai", "latitude": 31.23, "longitude": 121.47}


@both
def test_100_online_and_100_in_store_for_100_units(app, make_location, make_product):
    places = {
        "NEAR": make_location(code="NEAR", latitude=31.23, longitude=121.45),
        "MID": make_location(code="MID", latitude=31.0, longitude=121.2),
        "WH": make_location(code="WH", kind="warehouse", latitude=31.38, longitude=120.98),
    }
    tea = make_product(name="Last of the spring tea", price_amount=1000)
    for code, units in UNITS.items():
        stock.record_movement(tea, places[code], "receive", units, actor="test")
    db.session.commit()
    product_id, sku = tea.id, tea.sku
    start = threading.Barrier(8)

    def buy(n: int) -> str:
        online = n % 2 == 0
        with app.app_context():
            if n < 8:
                start.wait(10)
            try:
                begin_write(db.session)
                cart = carts.open_cart()
                line = carts.add_line(cart, sku=sku, location="NEAR", qty=1, online=online)
                db.session.commit()
                begin_write(db.session)
                cart = carts.get_cart(cart.id)
                choice = [{"line": line.id, "mode": "deliver", "address": HOME}] if online else []
                order, _ = orders.checkout(
                    cart, key=uuid.uuid4().hex, request_hash="h", payment=CARD, fulfilment_choices=choice
                )
                order_id = order.id
                db.session.commit()
                # The shopper pays on the provider's page; its notification pays the order.
                order = pay_order_by_card(db.session.get(Order, order_id), VISA)
                assert order.status == "paid", order.status
                return "online" if online else "store"
            except DomainError as refused:
                db.session.rollback()
                assert refused.status == 409, refused.message
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(buy, range(ONLINE + IN_STORE)))

    paid = answers.count("online") + answers.count("store")
    assert paid == 100 and answers.count("refused") == 100
    db.session.rollback()  # a fresh snapshot: the one read before the buyers began is stale
    for code in UNITS:
        level = stock.level_of(tea, places[code])
        assert level.available == 0 and level.on_hand >= 0 and level.reserved >= 0
    # The ledger agrees with the orders: carried-out units were sold, online ones are held for their parcels.
    sold = -db.session.scalar(
        select(func.coalesce(func.sum(StockMovement.delta), 0)).where(
            StockMovement.product_id == product_id, StockMovement.kind == "sale"
        )
    )
    held = db.session.scalar(
        select(func.coalesce(func.sum(StockReservation.quantity), 0)).where(
            StockReservation.product_id == product_id, StockReservation.status == "active"
        )
    )
    carried = db.session.scalar(
        select(func.count(OrderLine.id)).join(Order).where(Order.status == "paid", OrderLine.mode == "carry_out")
    )
    parcels = db.session.scalar(select(func.coalesce(func.sum(FulfilmentLine.quantity), 0)))
    assert sold == carried == answers.count("store")
    assert held == parcels == answers.count("online")
    assert sum(stock.level_of(tea, places[code]).on_hand for code in UNITS) == 100 - sold
