"""Returns at once, on SQLite and PostgreSQL: the last units come back once, a return is refunded once."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select

from app.db import begin_write
from app.errors import DomainError
from app.members.models import Member
from app.orders.models import Order
from app.payments.models import PaymentRefund
from app.returns import services
from app.returns.models import Return
from tests.returns.conftest import level, paid_order, top_up, wallet_of
from tests.stock.test_concurrency import _race

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
AT_ONCE = 8


@both
def test_the_last_units_go_into_one_return(app, db, make_member, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    order_id, member_id, line_id = order.id, member.id, order.lines[0].id
    barrier = threading.Barrier(AT_ONCE)

    def attempt(_):
        with app.app_context():
            barrier.wait()
            try:
                begin_write(db.session)
                services.start_return(
                    db.session.get(Order, order_id), db.session.get(Member, member_id), [(line_id, 2)], "", "store"
                )
                db.session.commit()
                return "started"
            except DomainError as refused:
                db.session.rollback()
                return refused.code
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        outcomes = list(pool.map(attempt, range(AT_ONCE)))
    assert outcomes.count("started") == 1 and outcomes.count("too_many_units") == AT_ONCE - 1, outcomes
    db.session.rollback()  # a new snapshot
    assert db.session.scalar(select(func.count()).select_from(Return)) == 1


@both
def test_clerks_receiving_one_return_at_once_refund_it_once(app, db, make_member, clerk_headers, places, tea):
    member = make_member()
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    paid = wallet_of(db, member)
    begin_write(db.session)
    ret = services.start_return(order, member, [(order.lines[0].id, 2)], "", "store")
    db.session.commit()
    body = {"location": places[1].code, "lines": [{"line": order.lines[0].id, "qty": 2, "to": "sellable"}]}
    answers = _race(
        app,
        [
            ("POST", f"/api/v1/returns/{ret.id}/receive", body, {**clerk_headers, "Idempotency-Key": uuid.uuid4().hex})
            for _ in range(AT_ONCE)
        ],
    )
    codes = sorted(a.status_code for a in answers)
    assert codes == [200] + [409] * (AT_ONCE - 1), codes
    db.session.rollback()  # a new snapshot
    assert wallet_of(db, member) == paid + 13_600
    assert db.session.scalar(select(func.count()).select_from(PaymentRefund)) == 1
    assert level(db, tea, places[1]).on_hand == 2
    assert db.session.get(Order, order.id).lines[0].returned_quantity == 2
