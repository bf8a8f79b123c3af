"""Payment providers: one interface for the wallet, the hosted card provider and the counter.

A provider moves money and says what happened; it never changes a payment's status (the
services do, through the transition table).
"""

from __future__ import annotations

import hmac
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app

from app.errors import DomainError
from app.money import format_money
from app.payments import gateway, wallet
from app.payments.models import Payment
from app.payments.sandbox_provider import cards, notify, store


@dataclass(frozen=True)
class ProviderResult:
    """What a provider answered: ``status`` is the payment status it stands for."""

    ok: bool
    status: str
    provider_ref: str | None = None
    code: str | None = None
    message: str | None = None
    # A hosted payment's page, where the shopper goes to pay.
    action_url: str | None = None
    card_last4: str | None = None


class PaymentProvider(ABC):
    """Authorise, capture, refund, ask about and close one payment."""

    @abstractmethod
    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Ask to take the money ("authorised"; or "captured" when it is taken at once)."""

    @abstractmethod
    def capture(self, payment: Payment) -> ProviderResult:
        """Take money that was authorised."""

    @abstractmethod
    def refund(self, payment: Payment, amount: int, refund_id: str) -> ProviderResult:
        """Give back ``amount`` of a captured payment; ``refund_id`` (ours) makes a retry give back once."""

    @abstractmethod
    def status(self, payment: Payment) -> ProviderResult:
        """What the provider knows of the payment (for payments left pending)."""

    def close(self, payment: Payment) -> ProviderResult:
        """Stop the payment from being paid, then say what the provider knows of it."""
        return self.status(payment)


NOT_CHARGED = ProviderResult(False, "not_charged", None, "not_charged", "Nothing was charged for this payment.")


class WalletProvider(PaymentProvider):
    """The member's wallet: a sale is one conditional UPDATE in the caller's transaction."""

    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Debit the wallet at once (a sale); declined with insufficient_funds when it does not cover it."""
        if payment.member_id is None:
            raise DomainError("member_required", "A wallet payment needs a member.")
        entry = wallet.debit(payment.member_id, payment.amount, payment.currency, payment.id)
        if entry is None:
            balance = wallet.require_wallet(payment.member_id)
            have = format_money(balance.balance, balance.currency)
            return ProviderResult(
                False, "declined", None, "insufficient_funds", f"Your wallet has {have}; top it up or pay by card."
            )
        return ProviderResult(True, "captured", f"wallet_entry_{entry.id}")

    def capture(self, payment: Payment) -> ProviderResult:
        """Nothing to do: authorising a wallet payment took the money."""
        return self.status(payment)

    def refund(self, payment: Payment, amount: int, refund_id: str) -> ProviderResult:
        """Credit the wallet back with a "refund" entry."""
        assert payment.member_id is not None
        entry = wallet.credit(payment.member_id, amount, payment.currency, "refund", payment.id)
        return ProviderResult(True, "refunded", f"wallet_entry_{entry.id}")

    def status(self, payment: Payment) -> ProviderResult:
        """Charged if the ledger holds a payment entry for it."""
        entries = wallet.entries_for_payment(payment.id, "payment")
        if not entries:
            return NOT_CHARGED
        return ProviderResult(True, "captured", f"wallet_entry_{entries[0].id}")


@dataclass(frozen=True)
class Notice:
    """A provider's notification, verified: what it says happened to one of our references."""

    notification_id: str
    reference: str
    status: str  # captured or declined
    provider_ref: str
    amount: int
    currency: str
    card_last4: str | None
    code: str | None
    message: str | None


class HostedProvider(PaymentProvider):
    """A provider that takes the money on its own page and tells us by a signed notification.

    ``authorise`` creates the payment at the provider and answers "pending" with the page's
    address (``action_url``); ``verify_notification`` checks and reads what it sends back;
    ``status`` is its query API (for a notification that never came); ``close`` stops a payment
    from being paid (before we give it up); ``statement`` lists a day's charges and refunds.
    """

    name: str

    @abstractmethod
    def verify_notification(self, body: bytes, headers: Any) -> Notice:
        """The notification, if its signature is right; 401 unsigned or tampered, 400 unreadable."""

    @abstractmethod
    def statement(self, start: datetime, end: datetime) -> list[gateway.StatementLine]:
        """The provider's records of charges and refunds from ``start`` to ``end`` (for reconciliation)."""


class SandboxCardProvider(HostedProvider):
    """The sandbox card provider (``app.payments.sandbox_provider``), spoken to as a real one is.

    Server to server: create the hosted payment (our reference, amount, notify and return
    URLs), query it, close it, refund it with our refund id, read its statement. The card is
    typed on its page, never sent to us; see ``sandbox_provider.cards`` for the test cards.
    """

    name = "sandbox"

    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Create the payment at the provider: pending, with its page's address (a retry finds the same one)."""
        cards.wait()
        known = gateway.find_charge(payment.reference)
        if known is not None:
            return self._result(known)
        session = store.create_session(
            payment.reference,
            payment.amount,
            payment.currency,
            details.get("description") or "Oneshelf",
            details["notify_url"],
            details["return_url"],
            int(current_app.config["CARD_PAYMENT_MINUTES"]),
        )
        if (session.amount, session.currency) != (payment.amount, payment.currency):
            return ProviderResult(
                False, "failed", None, "reference_reused", "The provider knows this reference otherwise."
            )
        url = f"{current_app.config['SANDBOX_PAY_URL']}/pay/{session.token}"
        return ProviderResult(True, "pending", None, None, None, action_url=url)

    def capture(self, payment: Payment) -> ProviderResult:
        """A sale is captured when it is made: report what the provider holds."""
        return self.status(payment)

    def refund(self, payment: Payment, amount: int, refund_id: str) -> ProviderResult:
        """Give back part or all of the charge; asking again with ``refund_id`` gives back once."""
        cards.wait()
        answer = gateway.record_refund(payment.reference, amount, refund_id)
        if answer is None:
            return ProviderResult(
                False, "refund_refused", None, "refund_refused", "The card provider refused the refund."
            )
        return ProviderResult(True, answer.charge.status, answer.refund_ref)

    def status(self, payment: Payment) -> ProviderResult:
        """The query API: charged, declined, or nothing."""
        cards.wait()
        known = gateway.find_charge(payment.reference)
        return self._result(known) if known is not None else NOT_CHARGED

    def close(self, payment: Payment) -> ProviderResult:
        """Close the hosted payment so it can no longer be paid, then say what became of it."""
        store.close_session(payment.reference)
        return self.status(payment)

    def verify_notification(self, body: bytes, headers: Any) -> Notice:
        """Check the ``Sandbox-Signature`` HMAC over the exact body, then read it."""
        given = (headers.get(notify.HEADER) or "").strip()
        if not given:
            raise DomainError("unsigned_notification", "The notification is not signed.", status=401)
        if not hmac.compare_digest(given, notify.sign(body)):
            raise DomainError("bad_signature", "The notification's signature does not match.", status=401)
        try:
            data = json.loads(body)
            notice = Notice(
                notification_id=str(data["notify_id"])[:64],
                reference=str(data["reference"])[:64],
                status=str(data["status"]),
                provider_ref=str(data["provider_ref"])[:120],
                amount=int(data["amount"]),
                currency=str(data["currency"])[:3],
                card_last4=(str(data["card_last4"])[-4:] if data.get("card_last4") else None),
                code=data.get("decline_code"),
                message=cards.message_of(data.get("decline_code")),
            )
        except (ValueError, KeyError, TypeError) as error:
            raise DomainError("bad_notification", f"The notification cannot be read: {error}.", status=400) from None
        if notice.status not in ("captured", "declined"):
            raise DomainError("bad_notification", "The notification's status is captured or declined.", status=400)
        return notice

    def statement(self, start: datetime, end: datetime) -> list[gateway.StatementLine]:
        """The provider's own statement for the time from ``start`` to ``end``."""
        return gateway.statement(start, end)

    @staticmethod
    def _result(charge: gateway.Charge) -> ProviderResult:
        if charge.status == "declined":
            return ProviderResult(
                False, "declined", charge.provider_ref, charge.decline_code, cards.message_of(charge.decline_code)
            )
        return ProviderResult(True, charge.status, charge.provider_ref, card_last4=charge.card_last4)


class CounterProvider(PaymentProvider):
    """Pay at the counter: the payment waits until a clerk confirms cash or card."""

    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Nothing is taken yet: the payment stays pending for the clerk."""
        return ProviderResult(True, "pending", None, None, "Pay at the counter.")

    def capture(self, payment: Payment) -> ProviderResult:
        """Only a clerk's confirmation captures a counter payment."""
        return self.status(payment)

    def refund(self, payment: Payment, amount: int, refund_id: str) -> ProviderResult:
        """The clerk hands the money back at the counter."""
        return ProviderResult(True, "refunded", f"counter_refund_{payment.id}")

    def status(self, payment: Payment) -> ProviderResult:
        """The counter knows what the clerk confirmed, which is what our books say."""
        if payment.status in ("captured", "partially_refunded", "refunded"):
            return ProviderResult(True, payment.status, payment.provider_ref)
        return ProviderResult(False, "pending", None, "awaiting_counter", "Waiting for a clerk to confirm payment.")


PROVIDERS: dict[str, PaymentProvider] = {
    "wallet": WalletProvider(),
    "card": SandboxCardProvider(),
    "counter": CounterProvider(),
}


def provider_for(method: str) -> PaymentProvider:
    """The provider that handles ``method``."""
    try:
        return PROVIDERS[method]
    except KeyError:
        raise DomainError("invalid_method", f"Unknown payment method {method!r}.") from None


def hosted_provider(name: str) -> HostedProvider:
    """The hosted provider that sends notifications as ``name`` (404 for any other name)."""
    for provider in PROVIDERS.values():
        if isinstance(provider, HostedProvider) and provider.name == name:
            return provider
    raise DomainError("unknown_provider", f"No payment provider {name!r}.", status=404)
