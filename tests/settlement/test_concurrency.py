"""On PostgreSQL a run and a refund at the same moment: the refund is in the statement or in the next, never lost."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.db import begin_write, utcnow
from app.settlement.models import SettlementEntry, Statement

pytestmark = pytest.mark.postgres


def _in_thread(app, work, started: threading.Event, release: threading.Event, errors: list):
    def run():
        from app.extensions import db

        with app.app_context():
            try:
                begin_write(db.session)
                work(db)
                started.set()
                release.wait(10)
                db.session.commit()
            except Exception as error:  # noqa: BLE001 - reported by the test
                errors.append(error)
                started.set()
            finally:
                db.session.remove()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def _refund_work(order_id: int, amount: int):
    def work(db):
        from app.orders import services as orders
        from app.orders.models import Order

        orders.refund_order(db.session.get(Order, order_id), amount)

    return work


def _close(db) -> Statement:
    from app.settlement import statements

    begin_write(db.session)
    batch = statements.close_cycle(utcnow())
    db.session.commit()
    return statements.statements_in(batch)[0]


def test_a_run_waits_for_a_refund_in_flight(pg_schema_url, app, db, make_merchant, merchant_product, sell):
    merchant = make_merchant(rate=1000)
    order = sell([(merchant_product(merchant, price=5000), 1)])
    started, release, errors = threading.Event(), threading.Event(), []
    refunding = _in_thread(app, _refund_work(order.id, 1000), started, release, errors)
    assert started.wait(10) and not errors
    threading.Timer(0.5, release.set).start()  # the refund commits while the run waits for it
    began = time.monotonic()
    statement = _close(db)
    refunding.join(10)
    assert not errors and time.monotonic() - began >= 0.4
    assert (statement.gross_sales, statement.refunds, statement.entry_count) == (5000, 1000, 2)


def test_a_refund_during_a_run_is_booked_in_the_next_cycle(
    pg_schema_url, app, db, make_merchant, merchant_product, sell
):
    from app.settlement import statements

    merchant = make_merchant(rate=1000)
    order = sell([(merchant_product(merchant, price=5000), 1)])
    started, release, errors = threading.Event(), threading.Event(), []
    # A cut-off a little ahead: the refund below happens before it, while the run is not yet committed.
    cutoff = utcnow() + timedelta(seconds=5)
    closing = _in_thread(app, lambda s: statements.close_cycle(cutoff, [merchant.id]), started, release, errors)
    assert started.wait(10) and not errors
    threading.Timer(0.5, release.set).start()  # the run commits while the refund waits for it
    begin_write(db.session)
    from app.orders import services as orders

    orders.refund_order(order, 1000)
    db.session.commit()
    closing.join(10)
    assert not errors
    db.session.expire_all()
    [statement] = db.session.scalars(select(Statement).filter_by(merchant_id=merchant.id))
    assert (statement.gross_sales, statement.refunds) == (5000, 0)
    back = db.session.scalar(select(SettlementEntry).filter_by(merchant_id=merchant.id, kind="refund"))
    assert back.occurred_at < statement.period_end == back.booked_at
    assert statements.preview(merchant.id, until=cutoff + timedelta(seconds=1))["refunds"] == 1000
