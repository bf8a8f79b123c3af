"""The sandbox card gateway: test cards, idempotent charges, charges that outlive our rollback."""

from __future__ import annotations

import time

import pytest

from app.errors import DomainError
from app.payments import gateway, services
from app.payments.models import Payment, SandboxCharge
from app.payments.providers import TEST_CARDS, luhn_valid
from tests.payments.conftest import DECLINED, NO_FUNDS, OTHER_VALID, PROCESSING_ERROR, VISA, both


def _card(reference, number, amount=2_500):
    payment = services.start_payment("card", amount, "CNY", reference=reference)
    return services.collect(payment, {"card_number": number})


def test_every_test_card_is_luhn_valid():
    assert all(len(number) == 16 and luhn_valid(number) for number in TEST_CARDS)


@pytest.mark.parametrize(
    ("number", "status", "code"),
    [
        (VISA, "captured", None),
        (OTHER_VALID, "captured", None),
        (DECLINED, "declined", "card_declined"),
        (NO_FUNDS, "declined", "insufficient_funds"),
        (PROCESSING_ERROR, "failed", "processing_error"),
    ],
)
def test_each_test_card_has_its_outcome(db, number, status, code):
    payment = _card("order-card", number)
    db.session.commit()
    assert (payment.status, payment.failure_code) == (status, code)
    assert payment.card_last4 == number[-4:]
    charge = gateway.find_charge("order-card")
    if status == "failed":
        assert charge is None  # nothing charged: a retry may succeed
    else:
        assert (charge.status, charge.decline_code, charge.card_last4) == (status, code, number[-4:])
    if code:
        assert payment.failure_message


def test_a_non_luhn_number_is_refused_before_the_gateway(db):
    with pytest.raises(DomainError) as refused:
        _card("order-bad", "4242 4242 4242 4241")
    assert (refused.value.code, refused.value.status) == ("invalid_card_number", 422)
    with pytest.raises(DomainError) as short:
        services.start_payment("card", 100, "CNY", reference="order-short", card_number="4242 4242")
    assert short.value.code == "invalid_card_number"
    assert gateway.find_charge("order-bad") is None


def test_a_card_payment_needs_the_number(db):
    payment = services.start_payment("card", 100, "CNY", reference="order-nonumber")
    with pytest.raises(DomainError) as missing:
        services.collect(payment)
    assert missing.value.code == "card_number_required"


def test_the_number_given_at_start_is_used_and_never_stored(db, app):
    payment = services.start_payment("card", 1_000, "CNY", reference="order-start", card_number=VISA)
    services.collect(payment)
    db.session.commit()
    assert payment.status == "captured" and payment.card_last4 == "4242"
    stored = {str(v) for row in db.session.query(Payment).all() for v in vars(row).values()}
    assert not any("42424242" in value for value in stored)


def test_a_retried_charge_with_the_same_reference_charges_once(db):
    first = _card("order-twice", VISA, 4_000)
    first_ref = first.provider_ref
    db.session.rollback()  # our side forgot it; the gateway did not
    second = _card("order-twice", VISA, 4_000)
    db.session.commit()
    assert second.status == "captured" and second.provider_ref == first_ref
    with gateway.gateway_engine().connect() as conn:
        assert conn.execute(SandboxCharge.__table__.select()).all().__len__() == 1


def test_a_declined_reference_stays_declined(db):
    _card("order-no", DECLINED)
    db.session.rollback()
    again = _card("order-no", VISA)
    assert again.status == "declined" and again.failure_code == "card_declined"


@both
def test_a_charge_survives_our_rollback_and_reconcile_reports_it(app, db):
    payment = services.start_payment("card", 7_500, "CNY", reference="order-crash")
    db.session.commit()  # the checkout recorded the pending payment, then the server died mid-charge
    services.collect(payment, {"card_number": VISA})
    db.session.rollback()
    payment = services.payment_by_reference("order-crash")
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


def test_reconcile_of_a_payment_never_charged(db):
    payment = services.start_payment("card", 7_500, "CNY", reference="order-never")
    db.session.commit()
    result = services.reconcile(payment)
    assert (result.ok, result.status) == (False, "not_charged")
    assert payment.status == "pending"
    services.cancel_payment(payment)
    db.session.commit()
    assert payment.status == "cancelled"


def test_a_charged_pending_payment_cannot_be_cancelled(db):
    payment = services.start_payment("card", 7_500, "CNY", reference="order-charged")
    db.session.commit()
    services.collect(payment, {"card_number": VISA})
    db.session.rollback()
    payment = services.payment_by_reference("order-charged")
    with pytest.raises(DomainError) as refused:
        services.cancel_payment(payment)
    assert refused.value.code == "payment_charged"


def test_failure_rate_gives_processing_errors_that_a_retry_can_get_past(db, app):
    app.config["SANDBOX_CARD_FAILURE_RATE"] = 1.0
    payment = _card("order-flaky", VISA)
    assert (payment.status, payment.failure_code) == ("failed", "processing_error")
    assert gateway.find_charge("order-flaky") is None
    app.config["SANDBOX_CARD_FAILURE_RATE"] = 0.0
    services.collect(payment, {"card_number": VISA})
    assert payment.status == "captured" and payment.failure_code is None


def test_latency_is_settable(db, app):
    app.config["SANDBOX_CARD_LATENCY_MS"] = 50
    started = time.monotonic()
    _card("order-slow", VISA)
    assert time.monotonic() - started >= 0.05


def test_config_defaults(app):
    assert app.config["SANDBOX_CARD_LATENCY_MS"] == 0
    assert app.config["SANDBOX_CARD_FAILURE_RATE"] == 0.0
