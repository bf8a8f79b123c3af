"""Payments: start, collect, refund, reconcile, cancel. Functions flush, callers commit.

A payment is started once per reference (our id for the charge, also sent to the provider),
collected through its method's provider, and moves only along ``models.TRANSITIONS``. Each
change first claims the payment row with a conditional UPDATE, so two requests acting on one
payment at once cannot both take (or give back) the money. Wallet top-ups are in ``topups``.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.money import check_currency, format_money
from app.outbox import services as outbox
from app.payments import wallet
from app.payments.models import CHARGED, METHODS, PURPOSES, Payment, PaymentRefund, move
from app.payments.providers import HostedProvider, ProviderResult, provider_for
from app.payments.wallet import wallet_balance, wallet_history, wallet_of

__all__ = [
    "PaymentDeclined",
    "cancel_payment",
    "collect",
    "confirm_counter_payment",
    "get_payment",
    "payment_by_reference",
    "reconcile",
    "refund",
    "settle",
    "stale_pending",
    "start_payment",
    "wallet_balance",
    "wallet_history",
    "wallet_of",
]

REFERENCE_MAX = 64


class PaymentDeclined(DomainError):
    """Nothing was taken: 402 when the provider said no, 502 when it failed (a retry may work)."""

    def __init__(self, payment: Payment) -> None:
        super().__init__(
            payment.failure_code or "payment_declined",
            payment.failure_message or "The payment was declined.",
            status=502 if payment.status == "failed" else 402,
            details={"reference": payment.reference, "status": payment.status},
        )


def get_payment(payment_id: int) -> Payment:
    """A payment by id, or 404."""
    payment = db.session.get(Payment, payment_id)
    if payment is None:
        raise NotFound("payment_not_found", f"No payment {payment_id}.")
    return payment


def payment_by_reference(reference: str) -> Payment | None:
    """The payment with this reference, if one was started."""
    return db.session.scalar(select(Payment).filter_by(reference=reference))


def _check_new(method: str, amount: int, purpose: str, reference: str, member_id: int | None) -> None:
    if method not in METHODS:
        raise DomainError("invalid_method", f"Payment method must be one of {', '.join(METHODS)}.")
    if purpose not in PURPOSES:
        raise DomainError("invalid_purpose", f"Payment purpose must be one of {', '.join(PURPOSES)}.")
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("invalid_amount", "The amount must be a positive whole number of minor units.")
    if not reference or len(reference) > REFERENCE_MAX:
        raise DomainError("invalid_reference", f"A payment reference is 1 to {REFERENCE_MAX} characters.")
    if method == "wallet" and member_id is None:
        raise DomainError("member_required", "A wallet payment needs a member.")


def _same_payment(existing: Payment, fields: dict[str, Any]) -> Payment:
    """A retried start: the payment already made with this reference, if it is the same one."""
    if any(getattr(existing, name) != value for name, value in fields.items() if value is not None):
        raise Conflict("reference_reused", f"Reference {existing.reference!r} belongs to another payment.")
    return existing


def start_payment(
    method: str,
    amount: int,
    currency: str,
    *,
    reference: str,
    member_id: int | None = None,
    order_id: int | None = None,
    purpose: str = "order",
) -> Payment:
    """A pending payment for ``reference``; the one already started if this is a retry."""
    _check_new(method, amount, purpose, reference, member_id)
    currency = check_currency(currency)
    fields = dict(method=method, amount=amount, currency=currency, member_id=member_id, purpose=purpose)
    existing = payment_by_reference(reference)
    if existing is not None:
        return _same_payment(existing, {**fields, "order_id": order_id})
    now = utcnow()
    payment = Payment(reference=reference, order_id=order_id, status="pending", refunded_amount=0, **fields)
    payment.created_at, payment.updated_at = now, now
    try:
        with db.session.begin_nested():
            db.session.add(payment)
    except IntegrityError:
        # Another request started this reference at the same moment: theirs is the payment.
        existing = payment_by_reference(reference)
        if existing is None:
            raise
        return _same_payment(existing, {**fields, "order_id": order_id})
    return payment


def _claim(payment: Payment) -> bool:
    """Lock the payment at the status we know; False (and the payment reloaded) if it changed."""
    db.session.flush()
    claimed = db.session.execute(
        update(Payment)
        .where(Payment.id == payment.id, Payment.status == payment.status)
        .values(updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.refresh(payment)
    return bool(claimed)


def _changed(payment: Payment) -> Conflict:
    return Conflict("payment_changed", f"Payment {payment.reference} is {payment.status} now; reload it.")


def _apply(payment: Payment, result: ProviderResult) -> None:
    """Record what the provider answered on the payment."""
    if result.provider_ref:
        payment.provider_ref = result.provider_ref
    if result.action_url:
        payment.action_url = result.action_url[:500]
    if result.card_last4:
        payment.card_last4 = result.card_last4
    if result.status != payment.status:
        move(payment, result.status)
    if result.ok:
        payment.failure_code = payment.failure_message = None
    else:
        payment.failure_code, payment.failure_message = result.code, (result.message or "")[:255] or None


def collect(payment: Payment, details: dict[str, Any] | None = None) -> Payment:
    """Authorise and capture through the provider; a decline leaves it "declined" with nothing taken.

    A hosted (card) payment is created at the provider instead and stays "pending" with its
    page's address in ``action_url``: ``details`` then carries ``notify_url`` and ``return_url``
    (see ``hosted``). A payment that is no longer pending or failed is returned as it is.
    """
    if payment.status not in ("pending", "failed"):
        return payment
    details = dict(details or {})
    if not _claim(payment):
        if payment.status in ("pending", "failed"):
            raise _changed(payment)
        return payment  # collected meanwhile by another request
    if payment.status == "failed":
        move(payment, "pending")
    provider = provider_for(payment.method)
    result = provider.authorise(payment, details)
    if isinstance(provider, HostedProvider) and result.status in (*CHARGED, "declined"):
        # The provider had settled it already (a retry after our side lost its answer): recorded
        # as its notification would have been, so the order or top-up follows.
        charged = ProviderResult(True, "captured", result.provider_ref, card_last4=result.card_last4)
        settle(payment, result if result.status == "declined" else charged)
        return payment
    if result.ok and result.status == "authorised":
        move(payment, "authorised")
        result = provider.capture(payment)
    _apply(payment, result)
    db.session.flush()
    return payment


def _add_refunded(payment: Payment, amount: int) -> bool:
    """Count ``amount`` as refunded if that stays within the payment; the payment reloaded."""
    added = db.session.execute(
        update(Payment)
        .where(
            Payment.id == payment.id,
            Payment.status.in_(("captured", "partially_refunded")),
            Payment.refunded_amount + amount <= Payment.amount,
        )
        .values(refunded_amount=Payment.refunded_amount + amount, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(payment)
    return bool(added)


def refund(payment: Payment, amount: int | None = None, refund_id: str | None = None) -> PaymentRefund:
    """Give back ``amount`` (all that is left when None) to the method the payment was made with.

    The provider is sent our refund id (``refund_id``, else the payment's reference and the
    refund's number, ``order-X-r1``), so a refund retried after our side lost its answer gives
    the money back once; a ``refund_id`` already recorded here answers that refund again.
    A top-up is given back only while the wallet still holds it (its balance goes down first).
    All or nothing: a refused refund leaves the payment and the wallet as they were.
    """
    if refund_id is not None:
        done = db.session.scalar(select(PaymentRefund).filter_by(refund_id=refund_id))
        if done is not None:
            return done
    if payment.status not in ("captured", "partially_refunded"):
        raise Conflict("not_refundable", f"A {payment.status} payment cannot be refunded.")
    amount = payment.amount - payment.refunded_amount if amount is None else amount
    if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
        raise DomainError("invalid_amount", "A refund must be a positive whole number of minor units.")
    with db.session.begin_nested():
        if not _add_refunded(payment, amount):
            left = payment.amount - payment.refunded_amount
            raise Conflict(
                "over_refund",
                f"Only {format_money(left, payment.currency)} of this payment is left to refund.",
                details={"refundable": left},
            )
        if payment.purpose == "topup":
            _take_back_topup(payment, amount)
        # Counted after the claim above, which one refund of this payment at a time gets past.
        refund_id = refund_id or f"{payment.reference}-r{_refunds_made(payment) + 1}"
        result = provider_for(payment.method).refund(payment, amount, refund_id)
        if not result.ok:
            raise Conflict(result.code or "refund_failed", result.message or "The refund failed.")
        move(payment, "refunded" if payment.refunded_amount == payment.amount else "partially_refunded")
        record = PaymentRefund(
            payment_id=payment.id,
            refund_id=refund_id[:80],
            amount=amount,
            status="succeeded",
            provider_ref=result.provider_ref,
            created_at=utcnow(),
        )
        db.session.add(record)
    db.session.flush()
    return record


def _refunds_made(payment: Payment) -> int:
    """How many refunds of this payment are recorded (the next refund id's number is one more)."""
    return db.session.scalar(select(func.count(PaymentRefund.id)).where(PaymentRefund.payment_id == payment.id)) or 0


def _take_back_topup(payment: Payment, amount: int) -> None:
    """Debit the wallet a top-up went into, before its card is refunded."""
    assert payment.member_id is not None
    if wallet.debit(payment.member_id, amount, payment.currency, payment.id) is None:
        have = format_money(wallet.wallet_balance(payment.member_id), payment.currency)
        raise Conflict("wallet_spent", f"The wallet holds only {have}: that much of the top-up can be given back.")


def reconcile(payment: Payment) -> ProviderResult:
    """Ask the provider what became of a payment (its query API); a charge or a decline is recorded.

    For a notification that never came, or a crash mid-checkout. ``result.status`` in
    ``CHARGED`` means the money was taken (the payment is "captured" now, and
    ``payment.captured`` is recorded for its order or top-up to follow); "declined" is recorded
    the same way. Otherwise nothing was taken (or, for a counter payment, not yet).
    """
    result = provider_for(payment.method).status(payment)
    if result.status in CHARGED:
        settle(payment, ProviderResult(True, "captured", result.provider_ref, card_last4=result.card_last4))
    elif result.status == "declined":
        settle(payment, result)
    return result


def settle(payment: Payment, result: ProviderResult) -> bool:
    """Record a hosted payment's outcome (a notification or a query said so); False if it was settled already.

    The payment row is claimed first, so a notification and a query arriving together record
    it once. ``payment.captured`` or ``payment.declined`` is recorded for its order or top-up.
    """
    if payment.status not in ("pending", "failed") or not _claim(payment):
        return False
    if payment.status not in ("pending", "failed"):
        return False  # settled meanwhile
    if payment.status == "failed":
        move(payment, "pending")
    _apply(payment, result)
    db.session.flush()
    data = {
        "reference": payment.reference,
        "method": payment.method,
        "purpose": payment.purpose,
        "amount": {"amount": payment.amount, "currency": payment.currency},
        "status": payment.status,
    }
    if payment.status == "declined":
        data["code"] = payment.failure_code
    outbox.record(f"payment.{payment.status}", f"payment:{payment.reference}", data, payment=payment)
    return True


def cancel_payment(payment: Payment) -> Payment:
    """Give up a payment nothing was taken for (pending or failed); 409 if the provider charged it.

    A hosted payment is closed at the provider first, so it cannot be paid after we gave it up.
    """
    if payment.status not in ("pending", "failed"):
        return move(payment, "cancelled")  # refused with the reason
    if provider_for(payment.method).close(payment).status in CHARGED:
        raise Conflict("payment_charged", "The provider charged this payment: reconcile it, then refund.")
    if not _claim(payment):
        raise _changed(payment)
    move(payment, "cancelled")
    db.session.flush()
    return payment


def confirm_counter_payment(payment: Payment, how: str, clerk: str) -> Payment:
    """A clerk took the money at the counter (``how`` is "cash" or "card"): the payment is captured."""
    if payment.method != "counter":
        raise DomainError("not_counter_payment", "Only a pay-at-the-counter payment is confirmed by a clerk.")
    if how not in ("cash", "card"):
        raise DomainError("invalid_counter_method", "Confirm a counter payment as cash or card.")
    if not clerk or not clerk.strip():
        raise DomainError("clerk_required", "Say which clerk took the payment.")
    if payment.status != "pending":
        return move(payment, "captured")  # refused with the reason
    if not _claim(payment):
        raise _changed(payment)
    move(payment, "captured")
    payment.provider_ref = f"counter:{how}:{clerk.strip()}"[:120]
    db.session.flush()
    return payment


def stale_pending(older_than: timedelta = timedelta(minutes=15), limit: int = 100) -> list[Payment]:
    """Payments pending (or failed) for longer than ``older_than``, oldest first: candidates to reconcile."""
    query = (
        select(Payment)
        .where(Payment.status.in_(("pending", "failed")), Payment.updated_at < utcnow() - older_than)
        .order_by(Payment.updated_at)
        .limit(limit)
    )
    return list(db.session.scalars(query))
