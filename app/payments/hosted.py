"""Hosted payments on our side: start one at the provider, take its notification, bring the shopper back.

The card is typed on the provider's page; we see only what its notification or its query API
says (the last four digits). A notification is recorded once per provider notification id,
so a replay changes nothing; a payment is settled once, whichever of the notification and
the query comes first. Functions flush, callers commit.
"""

from __future__ import annotations

from blinker import Namespace
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.db import utcnow
from app.extensions import db
from app.labels.qr import qr_svg
from app.payments import services
from app.payments.models import Payment, PaymentNotification
from app.payments.providers import ProviderResult, hosted_provider

_signals = Namespace()
# Sent when a shopper comes back from the provider's page: a receiver that owns the payment's
# purpose answers with the address of its page for it (the order's receipt, the wallet).
returning = _signals.signal("payment-returning")


def notify_url(provider: str) -> str:
    """Where a provider sends its notifications (server to server)."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/api/v1/payments/notifications/{provider}"


def return_url(payment: Payment) -> str:
    """Where the provider's page sends the shopper back to."""
    return f"{current_app.config['PUBLIC_BASE_URL']}/payments/return/{payment.reference}"


def start_hosted(payment: Payment, description: str) -> Payment:
    """Create a pending card payment at the provider; ``payment.action_url`` is its page (a retry: the same)."""
    provider = hosted_provider("sandbox")
    return services.collect(
        payment,
        {"notify_url": notify_url(provider.name), "return_url": return_url(payment), "description": description},
    )


def next_action(payment: Payment | None) -> dict | None:
    """What the shopper does next for a pending hosted payment: go to its page (or scan it, at a kiosk)."""
    if payment is None or payment.status != "pending" or not payment.action_url:
        return None
    url = payment.action_url
    return {"type": "redirect", "redirect_url": url, "qr_svg": qr_svg(url)}


def receive_notification(provider_name: str, body: bytes, headers) -> str:
    """Verify and record a provider's notification, settling its payment; what we did with it.

    Refused (401 unsigned or tampered, 400 unreadable) before anything is written. A replay
    (a notification id already recorded) answers "replayed" and changes nothing.
    """
    provider = hosted_provider(provider_name)
    notice = provider.verify_notification(body, headers)
    row = PaymentNotification(
        provider=provider.name,
        notification_id=notice.notification_id,
        reference=notice.reference,
        status=notice.status,
        outcome="received",
        body=body.decode(errors="replace"),
        received_at=utcnow(),
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return "replayed"
    payment = services.payment_by_reference(notice.reference)
    if payment is None:
        row.outcome = "unknown_reference"
    elif (payment.amount, payment.currency) != (notice.amount, notice.currency):
        row.outcome = "amount_mismatch"  # not applied: the reconciliation lists it
    else:
        result = ProviderResult(
            notice.status == "captured",
            notice.status,
            notice.provider_ref,
            notice.code,
            notice.message,
            card_last4=notice.card_last4,
        )
        row.outcome = "applied" if services.settle(payment, result) else f"already_{payment.status}"
    db.session.flush()
    return row.outcome


def came_back(payment: Payment) -> str | None:
    """The shopper is back from the provider's page: ask the query API if nothing was heard yet; where to go."""
    if payment.status in ("pending", "failed") and payment.method == "card":
        services.reconcile(payment)
    for _, url in returning.send(payment):
        if url:
            return url
    return None
