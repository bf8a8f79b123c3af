"""Payment statuses move only along the transition table; counter payments wait for a clerk."""

from __future__ import annotations

import pytest

from app.errors import DomainError
from app.payments import services
from app.payments.models import TRANSITIONS, Payment, move


def _payment(status: str) -> Payment:
    return Payment(reference="r", method="card", amount=100, currency="CNY", status=status, refunded_amount=0)


@pytest.mark.parametrize(
    ("start", "to"),
    [
        ("pending", "refunded"),
        ("declined", "captured"),
        ("captured", "pending"),
        ("captured", "declined"),
        ("refunded", "captured"),
        ("cancelled", "pending"),
        ("authorised", "refunded"),
        ("voided", "captured"),
    ],
)
def test_invalid_transitions_are_refused(start, to):
    payment = _payment(start)
    with pytest.raises(DomainError) as refused:
        move(payment, to)
    assert (refused.value.code, refused.value.status) == ("invalid_transition", 409)
    assert payment.status == start


def test_every_allowed_transition_moves():
    for start, targets in TRANSITIONS.items():
        for to in targets:
            assert move(_payment(start), to).status == to


def test_every_target_is_a_known_status():
    assert {to for targets in TRANSITIONS.values() for to in targets} <= set(TRANSITIONS)


def test_a_counter_payment_waits_for_a_clerk(db, make_member):
    member = make_member()
    payment = services.start_payment("counter", 3_800, "CNY", reference="order-counter", member_id=member.id)
    services.collect(payment)
    db.session.commit()
    assert payment.status == "pending"
    assert services.reconcile(payment).status == "pending"
    services.confirm_counter_payment(payment, "cash", "clerk:7 Wang")
    db.session.commit()
    assert payment.status == "captured" and payment.provider_ref == "counter:cash:clerk:7 Wang"
    assert services.reconcile(payment).status == "captured"
    with pytest.raises(DomainError) as twice:
        services.confirm_counter_payment(payment, "card", "clerk:7 Wang")
    assert twice.value.code == "invalid_transition"
    services.refund(payment, 800)
    assert payment.status == "partially_refunded"


@pytest.mark.parametrize(
    ("how", "clerk", "code"),
    [("cheque", "clerk:1", "invalid_counter_method"), ("cash", " ", "clerk_required")],
)
def test_counter_confirmation_needs_how_and_who(db, how, clerk, code):
    payment = services.start_payment("counter", 100, "CNY", reference="order-c2")
    with pytest.raises(DomainError) as refused:
        services.confirm_counter_payment(payment, how, clerk)
    assert refused.value.code == code


def test_only_counter_payments_are_confirmed_by_a_clerk(db):
    payment = services.start_payment("card", 100, "CNY", reference="order-c3")
    with pytest.raises(DomainError) as refused:
        services.confirm_counter_payment(payment, "cash", "clerk:1")
    assert refused.value.code == "not_counter_payment"


def test_an_unconfirmed_counter_payment_can_be_cancelled_not_confirmed_after(db):
    payment = services.start_payment("counter", 100, "CNY", reference="order-c4")
    services.collect(payment)
    services.cancel_payment(payment)
    assert payment.status == "cancelled"
    with pytest.raises(DomainError) as refused:
        services.confirm_counter_payment(payment, "cash", "clerk:1")
    assert refused.value.code == "invalid_transition"


def test_a_captured_payment_cannot_be_cancelled(db):
    payment = services.start_payment("counter", 100, "CNY", reference="order-c5")
    services.confirm_counter_payment(payment, "card", "clerk:1")
    with pytest.raises(DomainError) as refused:
        services.cancel_payment(payment)
    assert refused.value.code == "invalid_transition"


def test_stale_pending_payments_are_found_for_reconciling(db):
    from datetime import timedelta

    payment = services.start_payment("counter", 100, "CNY", reference="order-stale")
    db.session.commit()
    assert services.stale_pending(older_than=timedelta(minutes=15)) == []
    assert services.stale_pending(older_than=timedelta(seconds=-1)) == [payment]
