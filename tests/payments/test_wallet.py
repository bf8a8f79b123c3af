"""Wallet top-ups and payments: the balance is always the sum of the ledger."""

from __future__ import annotations

import random

import pytest

from app.errors import DomainError
from app.payments import gateway, services, topups, wallet
from app.payments.models import Payment
from tests.payments.conftest import VISA, wallet_agrees
from tests.payments.hosted import deliver_notifications, pay_on_page, top_up_by_card


def _pay(member, amount, reference, currency="CNY"):
    payment = services.start_payment("wallet", amount, currency, reference=reference, member_id=member.id)
    return services.collect(payment)


def test_top_up_then_pay_keeps_the_ledger_equal_to_the_balance(db, make_member):
    member = make_member()
    entry = top_up_by_card(member, 5_000, VISA, "top-1")
    assert (entry.kind, entry.amount, entry.balance_after) == ("topup", 5_000, 5_000)
    payment = _pay(member, 1_999, "order-1")
    db.session.commit()
    assert payment.status == "captured" and payment.method == "wallet"
    assert services.wallet_balance(member.id) == 3_001
    entries, cursor = services.wallet_history(member.id)
    assert [(e.kind, e.amount, e.balance_after) for e in entries] == [
        ("payment", -1_999, 3_001),
        ("topup", 5_000, 5_000),
    ]
    assert cursor is None
    assert entries[0].payment_id == payment.id
    wallet_agrees(db)


def test_the_top_up_charge_is_on_the_card_gateway(db, make_member):
    member = make_member()
    top_up_by_card(member, 5_000, VISA, "top-gw")
    charge = gateway.find_charge("top-gw")
    assert (charge.status, charge.amount, charge.card_last4) == ("captured", 5_000, "4242")
    payment = services.payment_by_reference("top-gw")
    assert (payment.purpose, payment.method, payment.card_last4, payment.provider_ref) == (
        "topup",
        "card",
        "4242",
        charge.provider_ref,
    )


def test_insufficient_wallet_funds_are_declined_and_nothing_is_taken(db, funded):
    member = funded(1_000)
    payment = _pay(member, 1_001, "order-too-much")
    db.session.commit()
    assert payment.status == "declined"
    assert payment.failure_code == "insufficient_funds"
    assert payment.failure_message == "Your wallet has CN¥10.00; top it up or pay by card."
    assert services.wallet_balance(member.id) == 1_000
    assert [e.kind for e in services.wallet_history(member.id)[0]] == ["topup"]
    wallet_agrees(db)


def test_a_member_without_a_wallet_is_declined(db, make_member):
    member = make_member()
    assert services.wallet_of(member.id, create=False) is None
    assert services.wallet_balance(member.id) == 0
    payment = _pay(member, 100, "order-empty")
    assert payment.status == "declined" and payment.failure_message.startswith("Your wallet has CN¥0.00")


def test_top_up_limits(db, make_member):
    member = make_member()
    with pytest.raises(DomainError) as small:
        top_up_by_card(member, 99, VISA, "top-small")
    assert small.value.code == "topup_too_small" and "CN¥1.00" in small.value.message
    with pytest.raises(DomainError) as large:
        top_up_by_card(member, 500_001, VISA, "top-large")
    assert large.value.code == "topup_too_large" and "CN¥5,000.00" in large.value.message
    assert top_up_by_card(member, 500_000, VISA, "top-max").balance_after == 500_000


def test_a_retried_top_up_credits_once(db, make_member):
    member = make_member()
    first = top_up_by_card(member, 2_000, VISA, "top-retry")
    again = top_up_by_card(member, 2_000, VISA, "top-retry")  # the page says paid: no second charge
    assert again.id == first.id
    assert services.wallet_balance(member.id) == 2_000
    assert db.session.query(Payment).filter_by(reference="top-retry").count() == 1


def test_a_top_up_retried_after_a_lost_notification_charges_the_card_once(db, client, make_member):
    member = make_member()
    payment = topups.top_up(member, 3_000, "top-lost")
    db.session.commit()
    pay_on_page(client, payment.action_url, VISA)  # charged; the notification is not sent yet
    assert services.wallet_balance(member.id) == 0
    assert gateway.find_charge("top-lost").status == "captured"
    again = topups.top_up(member, 3_000, "top-lost")  # the member tries again with the same key
    db.session.commit()
    assert again.action_url == payment.action_url
    assert "This payment is made." in pay_on_page(client, again.action_url, VISA).text  # paid already
    deliver_notifications()
    entry = topups.topup_entry(services.payment_by_reference("top-lost"))
    assert entry.balance_after == 3_000
    assert gateway.find_charge("top-lost").amount == 3_000
    wallet_agrees(db)


def test_a_reference_is_one_payment(db, funded):
    member = funded(5_000)
    first = services.start_payment("wallet", 500, "CNY", reference="order-7", member_id=member.id, order_id=7)
    assert services.start_payment("wallet", 500, "CNY", reference="order-7", member_id=member.id) is first
    with pytest.raises(DomainError) as reused:
        services.start_payment("wallet", 600, "CNY", reference="order-7", member_id=member.id)
    assert reused.value.code == "reference_reused" and reused.value.status == 409
    services.collect(first)
    services.collect(first)  # a retry of a collected payment changes nothing
    db.session.commit()
    assert services.wallet_balance(member.id) == 4_500
    wallet_agrees(db)


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"method": "cheque"}, "invalid_method"),
        ({"amount": 0}, "invalid_amount"),
        ({"amount": 12.5}, "invalid_amount"),
        ({"currency": "XXQ"}, "invalid_currency"),
        ({"reference": ""}, "invalid_reference"),
        ({"reference": "r" * 65}, "invalid_reference"),
        ({"member_id": None}, "member_required"),
        ({"currency": "USD"}, "currency_mismatch"),
    ],
)
def test_bad_payments_are_refused(db, funded, kwargs, code):
    member = funded(1_000)
    fields = {"method": "wallet", "amount": 100, "currency": "CNY", "reference": "bad", "member_id": member.id}
    fields.update(kwargs)
    with pytest.raises(DomainError) as refused:
        payment = services.start_payment(fields.pop("method"), fields.pop("amount"), fields.pop("currency"), **fields)
        services.collect(payment)
    assert refused.value.code == code
    db.session.rollback()
    assert services.wallet_balance(member.id) == 1_000


def test_many_operations_keep_the_ledger_equal_to_the_balance(db, make_member):
    rng = random.Random(7)
    members = [make_member() for _ in range(3)]
    for n in range(120):
        member = rng.choice(members)
        roll = rng.random()
        if roll < 0.3:
            top_up_by_card(member, rng.randint(100, 20_000), VISA, f"t-{n}")
        elif roll < 0.8:
            _pay(member, rng.randint(1, 15_000), f"p-{n}")
        else:
            paid = db.session.query(Payment).filter(
                Payment.method == "wallet", Payment.status.in_(("captured", "partially_refunded"))
            )
            payment = paid.first()
            if payment is not None:
                services.refund(payment, rng.randint(1, payment.amount - payment.refunded_amount))
        if n % 10 == 0:
            db.session.commit()
    db.session.commit()
    wallet_agrees(db)
    assert {w.balance >= 0 for w in (wallet.wallet_of(m.id) for m in members)} == {True}


def test_history_pages_newest_first(db, funded):
    member = funded(10_000)
    for n in range(5):
        _pay(member, 100, f"page-{n}")
    db.session.commit()
    first, cursor = services.wallet_history(member.id, limit=4)
    second, end = services.wallet_history(member.id, cursor=cursor, limit=4)
    assert [e.balance_after for e in first] == [9_500, 9_600, 9_700, 9_800]
    assert [e.kind for e in second] == ["payment", "topup"] and end is None
