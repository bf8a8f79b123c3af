"""Many online orders at once for units spread over three locations: exactly as many succeed as there are units."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.db import begin_write
from app.errors import DomainError
from app.extensions import db
from app.fulfilment import services as fulfilment
from app.fulfilment.router import Line
from app.stock import services as stock
from app.stock.models import StockMovement, StockReservation

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
UNITS = {"NEAR": 40, "MID": 35, "WH": 25}
BUYERS = 150


@both
def test_150_online_orders_for_100_units_over_3_locations(app, make_location, make_product):
    places = {
        "NEAR": make_location(code="NEAR", latitude=31.23, longitude=121.45),
        "MID": make_location(code="MID", latitude=31.0, longitude=121.2),
        "WH": make_location(code="WH", kind="warehouse", latitude=31.38, longitude=120.98),
    }
    tea = make_product(name="Last of the spring tea")
    for code, units in UNITS.items():
        stock.record_movement(tea, places[code], "receive", units, actor="test")
    db.session.commit()
    product_id = tea.id
    start = threading.Barrier(8)

    def buy(n: int) -> str:
        with app.app_context():
            if n < 8:
                start.wait(10)
            try:
                begin_write(db.session)
                fulfilment.plan_and_hold([Line(1, product_id, 1)], (31.23, 121.47), reference=f"order:R{n}")
                db.session.commit()
                return "ok"
            except DomainError as refused:
                db.session.rollback()
                assert refused.status == 409, refused.message
                return "refused"
            finally:
                db.session.remove()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(buy, range(BUYERS)))

    assert answers.count("ok") == 100 and answers.count("refused") == BUYERS - 100
    db.session.rollback()  # a fresh snapshot: the one read before the buyers began is stale
    for code in UNITS:
        level = stock.level_of(tea, places[code])
        assert level.on_hand == UNITS[code] and level.reserved == UNITS[code] and level.available == 0
    held = db.session.scalar(
        select(func.sum(StockReservation.quantity)).where(
            StockReservation.product_id == product_id, StockReservation.status == "active"
        )
    )
    # The ledger agrees: on hand is the sum of the movements, reserved the sum of the active holds.
    moved = db.session.scalar(select(func.sum(StockMovement.delta)).where(StockMovement.product_id == product_id))
    assert held == 100 and moved == sum(UNITS.values())
