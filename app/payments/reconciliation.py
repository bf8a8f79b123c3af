"""Daily reconciliation: the provider's statement of a day against our payments and refunds.

Per-payment recovery (a lost notification) is ``services.reconcile``; this compares whole days,
as a merchant does with Alipay's or WeChat Pay's downloadable bill, and lists every line on
which the two books disagree:

- ``charged_not_captured``: the provider charged a reference that we do not hold captured
  (a notification lost and never queried, or a payment we gave up after it was paid);
- ``unknown_here``: the provider charged a reference we have no payment for;
- ``captured_not_charged``: captured here, but the provider knows no charge for it;
- ``amount_mismatch``: both charged, for different amounts or currencies;
- ``declined_but_captured``: the provider declined what we hold as captured;
- ``refund_unknown_here`` / ``refund_unknown_there``: a refund id only one side knows;
- ``refund_amount_mismatch``: one refund id, two amounts;
- ``refunded_total_mismatch``: the refunded totals of a payment differ.

Days are UTC days (the provider's statements are cut at midnight UTC in the sandbox). Reads only.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import or_, select

from app.extensions import db
from app.money import format_money
from app.payments import gateway
from app.payments.models import CHARGED, Payment, PaymentRefund
from app.payments.providers import hosted_provider, provider_for


@dataclass(frozen=True)
class Mismatch:
    """One line on which the provider's books and ours disagree."""

    kind: str
    reference: str
    message: str
    ours: dict | None = None
    theirs: dict | None = None


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return start, start + timedelta(days=1)


def _ours(payment: Payment | None) -> dict | None:
    if payment is None:
        return None
    return {
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "refunded": payment.refunded_amount,
        "purpose": payment.purpose,
    }


def _theirs(line: gateway.StatementLine) -> dict:
    return {"status": line.status, "amount": line.amount, "currency": line.currency, "provider_ref": line.provider_ref}


def reconcile_day(day: date, provider_name: str = "sandbox") -> dict:
    """Every mismatch between the provider's statement of ``day`` and our card payments; with what was compared."""
    provider = hosted_provider(provider_name)
    start, end = _day_bounds(day)
    lines = provider.statement(start, end)
    charges = {line.reference: line for line in lines if line.kind == "charge"}
    their_refunds = {line.refund_id: line for line in lines if line.kind == "refund"}
    payments = _payments(start, end, set(charges))
    mismatches = _charge_mismatches(charges, payments)
    mismatches += _uncharged(charges, payments)
    mismatches += _refund_mismatches(start, end, their_refunds, payments)
    return {
        "day": day.isoformat(),
        "provider": provider.name,
        "compared": {"charges": len(charges), "refunds": len(their_refunds), "payments": len(payments)},
        "mismatches": [asdict(m) for m in mismatches],
    }


def _payments(start: datetime, end: datetime, references: set[str]) -> dict[str, Payment]:
    """Our card payments of the day, and any other payment the statement names."""
    query = select(Payment).where(
        Payment.method == "card",
        or_(Payment.reference.in_(references), Payment.created_at.between(start, end - timedelta(microseconds=1))),
    )
    return {p.reference: p for p in db.session.scalars(query)}


def _charge_mismatches(charges: dict[str, gateway.StatementLine], payments: dict[str, Payment]) -> list[Mismatch]:
    found = []
    for reference, line in charges.items():
        payment = payments.get(reference)
        theirs = _theirs(line)
        if line.status == "declined":
            if payment is not None and payment.status in CHARGED:
                found.append(
                    Mismatch(
                        "declined_but_captured", reference, "Declined there, captured here.", _ours(payment), theirs
                    )
                )
            continue
        money = format_money(line.amount, line.currency)
        if payment is None:
            found.append(Mismatch("unknown_here", reference, f"Charged {money} there; no payment here.", None, theirs))
        elif payment.status not in CHARGED:
            message = f"Charged {money} there; {payment.status} here."
            found.append(Mismatch("charged_not_captured", reference, message, _ours(payment), theirs))
        elif (payment.amount, payment.currency) != (line.amount, line.currency):
            message = f"Charged {money} there; {format_money(payment.amount, payment.currency)} here."
            found.append(Mismatch("amount_mismatch", reference, message, _ours(payment), theirs))
        elif payment.refunded_amount != _refunded_there(line):
            message = f"Refunded {format_money(payment.refunded_amount, payment.currency)} here, otherwise there."
            found.append(Mismatch("refunded_total_mismatch", reference, message, _ours(payment), theirs))
    return found


def _refunded_there(line: gateway.StatementLine) -> int:
    charge = gateway.find_charge(line.reference)
    return charge.refunded_amount if charge is not None else 0


def _uncharged(charges: dict[str, gateway.StatementLine], payments: dict[str, Payment]) -> list[Mismatch]:
    """Captured here with no charge in the day's statement: asked of the provider (it may be another day's)."""
    found = []
    for reference, payment in payments.items():
        if reference in charges or payment.status not in CHARGED:
            continue
        if provider_for(payment.method).status(payment).status in CHARGED:
            continue  # charged on another day: that day's statement lists it
        message = f"Captured {format_money(payment.amount, payment.currency)} here; the provider knows no charge."
        found.append(Mismatch("captured_not_charged", reference, message, _ours(payment), None))
    return found


def _refund_mismatches(
    start: datetime, end: datetime, theirs: dict[str | None, gateway.StatementLine], payments: dict[str, Payment]
) -> list[Mismatch]:
    query = (
        select(PaymentRefund, Payment)
        .join(Payment, Payment.id == PaymentRefund.payment_id)
        .where(Payment.method == "card", PaymentRefund.created_at >= start, PaymentRefund.created_at < end)
    )
    ours = {refund.refund_id: (refund, payment) for refund, payment in db.session.execute(query)}
    found = []
    for refund_id, (refund, payment) in ours.items():
        line = theirs.get(refund_id)
        money = format_money(refund.amount, payment.currency)
        if line is None:
            message = f"Refund {refund_id} of {money} here; the provider's statement has none."
            found.append(
                Mismatch(
                    "refund_unknown_there",
                    payment.reference,
                    message,
                    {"refund_id": refund_id, "amount": refund.amount},
                )
            )
        elif line.amount != refund.amount:
            message = f"Refund {refund_id}: {money} here, {format_money(line.amount, line.currency)} there."
            found.append(
                Mismatch(
                    "refund_amount_mismatch",
                    payment.reference,
                    message,
                    {"refund_id": refund_id, "amount": refund.amount},
                    _theirs(line),
                )
            )
    for refund_id, line in theirs.items():
        if refund_id not in ours:
            message = f"Refund {refund_id} of {format_money(line.amount, line.currency)} there; none here."
            found.append(
                Mismatch(
                    "refund_unknown_here", line.reference, message, None, {**_theirs(line), "refund_id": refund_id}
                )
            )
    return found
