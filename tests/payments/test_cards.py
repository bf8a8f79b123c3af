"""The sandbox card provider: test cards on its page, idempotent charges, charges that outlive our rollback."""

from __future__ import annotations

import time

import pytest

from app.errors import DomainError
from app.payments import gateway, hosted, services
from app.payments.models import Payment, PaymentNotification, SandboxCharge
from app.payments.sandbox_provider import store
from app.payments.sandbox_provider.cards import TEST_CARDS, luhn_valid
from tests.payments.conftest import DECLINED, NO_FUNDS, OTHER_VALID, PROCESSING_ERROR, VISA, both
from tests.payments.hosted import deliver_notifications, pay_on_page


def _hosted(db, reference, amount=2_500):
    """A card payment created at the provider, committed: its page is ready for the shopper."""
    payment = services.start_payment("card", amount, "CNY", reference=reference)
    hosted.start_hosted(payment, "A test payment")
    db.session.commit()
    return payment


def _reload(db, reference) -> Payment:
    db.session.rollback()
    return services.payment_by_reference(reference)


def test_every_test_card_is_luhn_valid():
    assert all(len(number) == 16 and luhn_valid(number) for number in TEST_CARDS)


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        (VISA, "captured", None),
        (OTHER_VALID, "captured", None),
        (DECLINED, "declined", "card_declined"),
        (NO_FUNDS, "declined", "insufficient_funds"),
        (PROCESSING_ERROR, "pending", "processing_error"),
    ],
)
def test_each_test_card_has_its_outcome(db, client, number, status, code):
    payment = _hosted(db, "order-card")
    assert payment.status == "pending" and payment.action_url
    page = pay_on_page(client, payment.action_url, number)
    deliver_notifications()
    payment = _reload(db, "order-card")
    assert payment.status == status
    charge = gateway.find_charge("order-card")
    if status == "pending":
        # A network error: nothing charged, the page says so and stays open for another try.
        assert page.status_code == 502 and "nothing was charged" in page.text and charge is None
        return
    assert (charge.status, charge.decline_code, charge.card_last4) == (status, code, number[-4:])
    assert (payment.failure_code, payment.card_last4) == (code, number[-4:])
    if code:
        assert payment.failure_message and payment.failure_message in page.text


def test_a_non_luhn_number_is_refused_on_the_page_before_a_charge(db, client):
    payment = _hosted(db, "order-bad")
    for bad in ("4242 4242 4242 4241", "4242 4242"):
        page = pay_on_page(client, payment.action_url, bad)
        assert page.status_code == 422 and "The card number is not valid" in page.text
    assert gateway.find_charge("order-bad") is None
    assert _reload(db, "order-bad").status == "pending"


def test_the_number_typed_on_the_page_is_never_stored_on_our_side(db, client):
    payment = _hosted(db, "order-start", 1_000)
    pay_on_page(client, payment.action_url, VISA)
    deliver_notifications()
    payment = _reload(db, "order-start")
    assert payment.status == "captured" and payment.card_last4 == "4242"
    stored = {
        str(v)
        for model in (Payment, PaymentNotification)
        for row in db.session.query(model).all()
        for v in vars(row).values()
    }
    assert not any("42424242" in value for value in stored)


def test_a_retried_payment_with_the_same_reference_is_one_page_and_one_charge(db, client):
    first = _hosted(db, "order-twice", 4_000)
    page = first.action_url
    db.session.rollback()
    again = services.payment_by_reference("order-twice")
    again.action_url = None  # as if our side lost the provider's answer
    hosted.start_hosted(again, "A test payment")
    assert again.action_url == page
    assert pay_on_page(client, page, VISA).status_code == 303
    assert "This payment is made." in pay_on_page(client, page, VISA).text  # paid already: no second charge
    with gateway.gateway_engine().connect() as conn:
        assert len(conn.execute(SandboxCharge.__table__.select()).all()) == 1


def test_a_declined_reference_stays_declined(db, client):
    payment = _hosted(db, "order-no")
    pay_on_page(client, payment.action_url, DECLINED)
    assert "The card was declined" in pay_on_page(client, payment.action_url, VISA).text
    deliver_notifications()
    again = _reload(db, "order-no")
    assert again.status == "declined" and again.failure_code == "card_declined"


@both
def test_a_charge_survives_our_rollback_and_reconcile_reports_it(app, db, client):
    payment = _hosted(db, "order-crash", 7_500)
    pay_on_page(client, payment.action_url, VISA)  # the notification is lost
    payment = _reload(db, "order-crash")
    assert payment.status == "pending"
    assert gateway.find_charge("order-crash").status == "captured"
    result = services.reconcile(payment)
    db.session.commit()
    assert (result.ok, result.status) == (True, "captured")
    assert payment.status == "captured" and payment.provider_ref == result.provider_ref
    # It was charged, so it cannot just be cancelled; it can be refunded.
    services.refund(payment)
    db.session.commit()
    assert gateway.find_charge("order-crash").status == "refunded"


def test_reconcile_of_a_payment_never_charged_then_cancelled_closes_the_page(db, client):
    payment = _hosted(db, "order-never", 7_500)
    result = services.reconcile(payment)
    assert (result.ok, result.status) == (False, "not_charged")
    assert payment.status == "pending"
    services.cancel_payment(payment)
    db.session.commit()
    assert payment.status == "cancelled"
    assert store.session_of("order-never").status == "closed"
    assert "This payment is closed" in pay_on_page(client, payment.action_url, VISA).text
    assert gateway.find_charge("order-never") is None


def test_a_charged_pending_payment_cannot_be_cancelled(db, client):
    payment = _hosted(db, "order-charged", 7_500)
    pay_on_page(client, payment.action_url, VISA)
    payment = _reload(db, "order-charged")
    with pytest.raises(DomainError) as refused:
        services.cancel_payment(payment)
    assert refused.value.code == "payment_charged"


def test_failure_rate_gives_processing_errors_that_paying_again_gets_past(db, client, app):
    payment = _hosted(db, "order-flaky")
    app.config["SANDBOX_CARD_FAILURE_RATE"] = 1.0
    page = pay_on_page(client, payment.action_url, VISA)
    assert page.status_code == 502 and "processing" not in page.text.lower() or "nothing was charged" in page.text
    assert gateway.find_charge("order-flaky") is None
    app.config["SANDBOX_CARD_FAILURE_RATE"] = 0.0
    assert pay_on_page(client, payment.action_url, VISA).status_code == 303
    deliver_notifications()
    payment = _reload(db, "order-flaky")
    assert payment.status == "captured" and payment.failure_code is None


def test_latency_is_settable(db, client, app):
    payment = _hosted(db, "order-slow")
    app.config["SANDBOX_CARD_LATENCY_MS"] = 50
    started = time.monotonic()
    pay_on_page(client, payment.action_url, VISA)
    assert time.monotonic() - started >= 0.1  # there and back


def test_config_defaults(app):
    assert app.config["SANDBOX_CARD_LATENCY_MS"] == 0
    assert app.config["SANDBOX_CARD_FAILURE_RATE"] == 0.0
    assert app.config["SANDBOX_PAYMENTS"] is True
    assert app.config["CARD_PAYMENT_MINUTES"] == 15
