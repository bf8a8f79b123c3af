"""The daily reconciliation lists every line on which the provider's statement and our books disagree."""

from __future__ import annotations

from sqlalchemy import update

from app.db import utcnow
from app.payments import gateway, hosted, reconciliation, services
from app.payments.models import Payment, PaymentRefund
from tests.payments.hosted import VISA, deliver_notifications, pay_on_page


def _paid(db, client, reference, amount=3_000, *, notify=True):
    payment = services.start_payment("card", amount, "CNY", reference=reference)
    hosted.start_hosted(payment, "A test payment")
    db.session.commit()
    pay_on_page(client, payment.action_url, VISA)
    if notify:
        deliver_notifications()
    db.session.rollback()
    return services.payment_by_reference(reference)


def _kinds(report) -> dict[str, str]:
    return {m["reference"]: m["kind"] for m in report["mismatches"]}


def test_a_day_where_everything_agrees(db, client):
    paid = _paid(db, client, "order-ok")
    services.refund(paid, 1_000)
    db.session.commit()
    report = reconciliation.reconcile_day(utcnow().date())
    assert report["mismatches"] == []
    assert report["compared"] == {"charges": 1, "refunds": 1, "payments": 1}


def test_each_kind_of_mismatch_is_listed(db, client):
    # Captured here for another amount than the provider charged.
    _paid(db, client, "order-amount", 3_000)
    db.session.execute(update(Payment).where(Payment.reference == "order-amount").values(amount=3_500))
    # Captured here, unknown at the provider.
    ghost = services.start_payment("card", 2_000, "CNY", reference="order-ghost")
    db.session.flush()
    ghost.status, ghost.provider_ref = "captured", "sbx_ch_999"
    # Charged at the provider for a reference we have no payment for.
    gateway.record_charge("order-stranger", 1_200, "CNY", "4242", "captured")
    # A refund the provider made that we did not record, and one we recorded that it never made.
    refunded = _paid(db, client, "order-refunded", 5_000)
    assert gateway.record_refund("order-refunded", 500, "order-refunded-r9") is not None
    ours_only = _paid(db, client, "order-ours-only", 4_000)
    ours_only.status, ours_only.refunded_amount = "partially_refunded", 700
    db.session.add(
        PaymentRefund(payment_id=ours_only.id, refund_id="order-ours-only-r1", amount=700, created_at=utcnow())
    )
    # The refund amounts of one refund id differ.
    differ = _paid(db, client, "order-differ", 4_000)
    services.refund(differ, 400)
    db.session.execute(update(PaymentRefund).where(PaymentRefund.refund_id == "order-differ-r1").values(amount=450))
    db.session.commit()
    # Charged at the provider, never heard of here (the notification lost, never asked).
    _paid(db, client, "order-lost", notify=False)
    assert refunded.refunded_amount == 0

    report = reconciliation.reconcile_day(utcnow().date())
    kinds = [(m["kind"], m["reference"]) for m in report["mismatches"]]
    assert ("charged_not_captured", "order-lost") in kinds
    assert ("amount_mismatch", "order-amount") in kinds
    assert ("captured_not_charged", "order-ghost") in kinds
    assert ("unknown_here", "order-stranger") in kinds
    assert ("refund_unknown_here", "order-refunded") in kinds
    assert ("refunded_total_mismatch", "order-refunded") in kinds
    assert ("refund_unknown_there", "order-ours-only") in kinds
    assert ("refund_amount_mismatch", "order-differ") in kinds
    lost = next(m for m in report["mismatches"] if m["reference"] == "order-lost")
    assert lost["ours"]["status"] == "pending" and lost["theirs"]["status"] == "captured"
    assert "Charged CN¥30.00 there" in lost["message"]
    # Another day's statement has none of them.
    assert reconciliation.reconcile_day(utcnow().date().replace(year=2001))["mismatches"] == []


def test_admins_read_it_by_api_and_page_and_the_daily_task_records_it(app, db, client, admin_headers, signed_in):
    from datetime import timedelta

    from app.outbox.models import OutboxEvent
    from app.payments.tasks import reconcile_yesterday

    _paid(db, client, "order-lost", notify=False)
    today = utcnow().date().isoformat()
    answer = client.get(f"/api/v1/payments/reconciliation?day={today}", headers=admin_headers)
    assert answer.status_code == 200, answer.text
    assert [(m["kind"], m["reference"]) for m in answer.json["mismatches"]] == [("charged_not_captured", "order-lost")]
    assert client.get(f"/api/v1/payments/reconciliation?day={today}").status_code == 401
    staff = signed_in("admin")
    page = staff.get(f"/staff/payments/reconciliation?day={today}")
    assert page.status_code == 200 and 'data-mismatch="charged_not_captured"' in page.text and "order-lost" in page.text
    # The daily task compares yesterday: move the charge there, as the clock would.
    with gateway.gateway_engine().begin() as conn:
        from app.payments.models import SandboxCharge

        conn.execute(update(SandboxCharge.__table__).values(created_at=utcnow() - timedelta(days=1)))
    db.session.execute(update(Payment).values(created_at=utcnow() - timedelta(days=1)))
    db.session.commit()
    assert reconcile_yesterday.call_local() == 1
    db.session.rollback()
    event = db.session.query(OutboxEvent).filter_by(type="payment.reconciliation_mismatches").one()
    assert event.data["mismatches"][0]["reference"] == "order-lost"
