"""Refunds go back to the original method, in full or in part, never more than was paid."""

from __future__ import annotations

import pytest

from app.errors import DomainError
from app.payments import gateway, hosted, services
from app.payments.models import PaymentRefund
from tests.payments.conftest import VISA, wallet_agrees
from tests.payments.hosted import top_up_by_card


def _wallet_payment(member, amount, reference):
    payment = services.start_payment("wallet", amount, "CNY", reference=reference, member_id=member.id)
    return services.collect(payment)


def _card_payment(amount, reference):
    """A card payment paid on the provider's page and confirmed by its notification."""
    from flask import current_app

    from app.extensions import db
    from tests.payments.hosted import deliver_notifications, pay_on_page

    payment = services.start_payment("card", amount, "CNY", reference=reference)
    hosted.start_hosted(payment, "A test payment")
    db.session.commit()
    pay_on_page(current_app.test_client(), payment.action_url, VISA)
    deliver_notifications()
    db.session.rollback()
    return services.payment_by_reference(reference)


def test_partial_then_full_wallet_refund(db, funded):
    member = funded(10_000)
    payment = _wallet_payment(member, 4_000, "order-r1")
    db.session.commit()
    first = services.refund(payment, 1_500)
    db.session.commit()
    assert (payment.status, payment.refunded_amount, first.amount) == ("partially_refunded", 1_500, 1_500)
    assert services.wallet_balance(member.id) == 7_500
    rest = services.refund(payment)  # all that is left
    db.session.commit()
    assert (payment.status, payment.refunded_amount, rest.amount) == ("refunded", 4_000, 2_500)
    assert services.wallet_balance(member.id) == 10_000
    kinds = [(e.kind, e.amount) for e in services.wallet_history(member.id)[0]]
    assert kinds[:3] == [("refund", 2_500), ("refund", 1_500), ("payment", -4_000)]
    assert db.session.query(PaymentRefund).filter_by(payment_id=payment.id).count() == 2
    wallet_agrees(db)


def test_over_refund_is_refused_and_nothing_changes(db, funded):
    member = funded(10_000)
    payment = _wallet_payment(member, 4_000, "order-r2")
    services.refund(payment, 3_000)
    db.session.commit()
    with pytest.raises(DomainError) as refused:
        services.refund(payment, 1_001)
    assert (refused.value.code, refused.value.status) == ("over_refund", 409)
    assert "CN¥10.00" in refused.value.message
    db.session.rollback()
    assert payment.refunded_amount == 3_000 and payment.status == "partially_refunded"
    assert services.wallet_balance(member.id) == 9_000
    wallet_agrees(db)


def test_a_fully_refunded_payment_cannot_be_refunded_again(db, funded):
    payment = _wallet_payment(funded(10_000), 4_000, "order-r3")
    services.refund(payment)
    with pytest.raises(DomainError) as refused:
        services.refund(payment, 1)
    assert refused.value.code == "not_refundable"


def test_bad_refund_amounts(db, funded):
    payment = _wallet_payment(funded(10_000), 4_000, "order-r4")
    for amount in (0, -5):
        with pytest.raises(DomainError) as refused:
            services.refund(payment, amount)
        assert refused.value.code == "invalid_amount"


def test_an_uncollected_payment_cannot_be_refunded(db, funded):
    member = funded(100)
    payment = _wallet_payment(member, 4_000, "order-declined")
    assert payment.status == "declined"
    with pytest.raises(DomainError) as refused:
        services.refund(payment)
    assert refused.value.code == "not_refundable"


def test_partial_and_full_card_refunds_go_through_the_gateway(db):
    payment = _card_payment(9_900, "order-card-r")
    db.session.commit()
    services.refund(payment, 900)
    db.session.commit()
    charge = gateway.find_charge("order-card-r")
    assert (charge.status, charge.refunded_amount) == ("partially_refunded", 900)
    assert payment.status == "partially_refunded"
    services.refund(payment)
    db.session.commit()
    charge = gateway.find_charge("order-card-r")
    assert (charge.status, charge.refunded_amount) == ("refunded", 9_900)
    assert (payment.status, payment.refunded_amount) == ("refunded", 9_900)
    with pytest.raises(DomainError):
        services.refund(payment, 1)


def test_a_card_over_refund_never_reaches_the_gateway(db):
    payment = _card_payment(1_000, "order-card-over")
    with pytest.raises(DomainError) as refused:
        services.refund(payment, 1_001)
    assert refused.value.code == "over_refund"
    assert gateway.find_charge("order-card-over").refunded_amount == 0


def test_a_top_up_is_given_back_only_while_the_wallet_holds_it(db, make_member):
    member = make_member()
    top_up_by_card(member, 5_000, VISA, "top-back")
    _wallet_payment(member, 4_000, "order-after-top")
    db.session.commit()
    top = services.payment_by_reference("top-back")
    with pytest.raises(DomainError) as refused:
        services.refund(top)
    assert refused.value.code == "wallet_spent"
    db.session.rollback()
    assert top.refunded_amount == 0 and gateway.find_charge("top-back").refunded_amount == 0
    services.refund(top, 1_000)
    db.session.commit()
    assert services.wallet_balance(member.id) == 0
    assert gateway.find_charge("top-back").refunded_amount == 1_000
    wallet_agrees(db)


def test_a_retried_refund_gives_the_money_back_once(db):
    payment = _card_payment(5_000, "order-refund-twice")
    services.refund(payment, 2_000)  # the provider gives it back ...
    db.session.rollback()  # ... and our side loses the answer (a crash before the commit)
    assert gateway.find_charge("order-refund-twice").refunded_amount == 2_000
    payment = services.payment_by_reference("order-refund-twice")
    assert payment.refunded_amount == 0
    again = services.refund(payment, 2_000)  # retried: the same refund id goes to the provider
    db.session.commit()
    assert again.refund_id == "order-refund-twice-r1"
    assert gateway.find_charge("order-refund-twice").refunded_amount == 2_000  # once, not twice
    assert (payment.status, payment.refunded_amount) == ("partially_refunded", 2_000)
    # The next refund is another id, and gives back again.
    second = services.refund(payment, 1_000)
    db.session.commit()
    assert second.refund_id == "order-refund-twice-r2"
    assert gateway.find_charge("order-refund-twice").refunded_amount == 3_000


def test_a_refund_id_already_recorded_answers_that_refund(db):
    payment = _card_payment(5_000, "order-refund-id")
    first = services.refund(payment, 1_500, refund_id="return-R1")
    db.session.commit()
    again = services.refund(payment, 1_500, refund_id="return-R1")
    assert again.id == first.id
    assert payment.refunded_amount == 1_500 and gateway.find_charge("order-refund-id").refunded_amount == 1_500


def test_the_provider_refuses_a_refund_id_reused_for_another_amount(db):
    from app.payments.providers import provider_for

    payment = _card_payment(5_000, "order-refund-reuse")
    assert provider_for("card").refund(payment, 1_000, "my-refund-1").ok
    reused = provider_for("card").refund(payment, 2_000, "my-refund-1")
    assert (reused.ok, reused.code) == (False, "refund_refused")
    assert gateway.find_charge("order-refund-reuse").refunded_amount == 1_000
