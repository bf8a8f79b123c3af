"""Many wallet payments at once, on SQLite and PostgreSQL: the balance never goes below zero."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from app.db import begin_write
from app.extensions import db as _db
from app.payments import services, topups
from tests.payments.conftest import VISA, both, wallet_agrees
from tests.payments.hosted import pay_on_page

BUYERS, PRICE, BALANCE = 40, 300, 6_000  # money for 20 of the 40


def _race(app, jobs):
    """Run every job in its own thread and app context, all released at the same moment."""
    barrier = threading.Barrier(len(jobs))

    def run(job):
        with app.app_context():
            barrier.wait()
            try:
                begin_write(_db.session)  # as a request boundary does
                result = job()
                _db.session.commit()
                return result
            finally:
                _db.session.remove()

    with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
        results = list(pool.map(run, jobs))
    _db.session.rollback()  # the test's own transaction: see what the threads committed
    return results


@both
def test_concurrent_wallet_payments_never_overdraw(app, db, funded):
    member_id = funded(BALANCE).id

    def pay(n):
        def job():
            payment = services.start_payment("wallet", PRICE, "CNY", reference=f"race-{n}", member_id=member_id)
            return services.collect(payment).status

        return job

    statuses = _race(app, [pay(n) for n in range(BUYERS)])
    assert statuses.count("captured") == BALANCE // PRICE
    assert statuses.count("declined") == BUYERS - BALANCE // PRICE
    assert services.wallet_balance(member_id) == 0
    wallet_agrees(db)


@both
def test_one_payment_collected_by_many_at_once_is_taken_once(app, db, funded):
    member_id = funded(BALANCE).id
    payment = services.start_payment("wallet", PRICE, "CNY", reference="order-once", member_id=member_id)
    db.session.commit()

    def collect():
        return services.collect(services.payment_by_reference("order-once")).status

    statuses = _race(app, [collect] * 10)
    assert set(statuses) == {"captured"}
    db.session.refresh(payment)
    assert payment.status == "captured"
    assert services.wallet_balance(member_id) == BALANCE - PRICE
    wallet_agrees(db)


@both
def test_concurrent_top_ups_with_one_reference_credit_once(app, db, client, make_member):
    from app.payments.sandbox_provider import notify, store

    member = make_member()
    member_id = member.id

    def top_up():
        from app.members.services import get_member

        return topups.top_up(get_member(member_id), 1_000, "top-race").id

    payment_ids = _race(app, [top_up] * 8)
    assert len(set(payment_ids)) == 1
    pay_on_page(client, services.payment_by_reference("top-race").action_url, VISA)
    body = store.notifications_of("top-race")[0]["body"].encode()

    def notified():
        answer = app.test_client().post(
            "/api/v1/payments/notifications/sandbox", data=body, headers={notify.HEADER: notify.sign(body)}
        )
        return answer.status_code, answer.text

    # The provider's notification arriving eight times at once: recorded once, credited once.
    assert set(_race(app, [notified] * 8)) == {(200, "success")}
    assert services.wallet_balance(member_id) == 1_000
    wallet_agrees(db)
