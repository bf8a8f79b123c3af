"""Payment providers: one interface for the wallet, the sandbox card gateway and the counter.

A provider moves money and says what happened; it never changes a payment's status (the
services do, through the transition table).
"""

from __future__ import annotations

import random
import time
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from flask import current_app

from app.errors import DomainError
from app.money import format_money
from app.payments import gateway, wallet
from app.payments.models import Payment


@dataclass(frozen=True)
class ProviderResult:
    """What a provider answered: ``status`` is the payment status it stands for."""

    ok: bool
    status: str
    provider_ref: str | None = None
    code: str | None = None
    message: str | None = None


class PaymentProvider(ABC):
    """Authorise, capture, refund and ask about one payment."""

    @abstractmethod
    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Ask to take the money ("authorised"; or "captured" when it is taken at once)."""

    @abstractmethod
    def capture(self, payment: Payment) -> ProviderResult:
        """Take money that was authorised."""

    @abstractmethod
    def refund(self, payment: Payment, amount: int) -> ProviderResult:
        """Give back ``amount`` of a captured payment."""

    @abstractmethod
    def status(self, payment: Payment) -> ProviderResult:
        """What the provider knows of the payment (for payments left pending)."""


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

    def refund(self, payment: Payment, amount: int) -> ProviderResult:
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


# The sandbox's documented test cards: number -> (status, code, message).
TEST_CARDS: dict[str, tuple[str, str | None, str | None]] = {
    "4242424242424242": ("captured", None, None),
    "4000000000000002": ("declined", "card_declined", "The card was declined; try another card."),
    "4000000000009995": ("declined", "insufficient_funds", "The card has insufficient funds; try another card."),
    "4000000000000119": (
        "failed",
        "processing_error",
        "The card network had an error; nothing was charged. Please try again.",
    ),
}


def normalise_card_number(text: str | None) -> str:
    """Digits only ("4242 4242-4242 4242" -> "4242424242424242"); 422 invalid_card_number unless Luhn-valid."""
    digits = "".join(ch for ch in str(text or "") if ch not in " -")
    if len(digits) != 16 or not digits.isdigit() or not luhn_valid(digits):
        raise DomainError("invalid_card_number", "The card number is not valid; check the 16 digits.")
    return digits


def luhn_valid(digits: str) -> bool:
    """The Luhn check every card number passes."""
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char) * (2 if index % 2 else 1)
        total += n - 9 if n > 9 else n
    return total % 10 == 0


class SandboxCardProvider(PaymentProvider):
    """A card gateway for development and tests; charges are made as one sale, idempotent by reference.

    Test cards (spaces allowed):

    - 4242 4242 4242 4242: succeeds.
    - 4000 0000 0000 0002: declined, code "card_declined".
    - 4000 0000 0000 9995: declined, code "insufficient_funds".
    - 4000 0000 0000 0119: fails with "processing_error" (nothing charged; a retry may succeed).
    - Any other Luhn-valid 16-digit number succeeds; any other number is refused with
      "invalid_card_number" (422) before the gateway is asked.

    ``SANDBOX_CARD_LATENCY_MS`` delays every call to the gateway (a charge twice: on the way there
    and on the way back, after the money is taken), and ``SANDBOX_CARD_FAILURE_RATE``
    (0.0 to 1.0) answers that share of new charges with a random "processing_error".
    """

    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Charge the card (a sale): the gateway's first answer for this reference is the answer."""
        number = normalise_card_number(details.get("card_number"))
        self._wait()
        known = gateway.find_charge(payment.reference)
        if known is not None:
            return self._result(known)
        status, code, message = TEST_CARDS.get(number, ("captured", None, None))
        if status == "captured" and random.random() < self._failure_rate():
            status, code, message = TEST_CARDS["4000000000000119"]
        if status == "failed":
            return ProviderResult(False, status, None, code, message)
        charge = gateway.record_charge(payment.reference, payment.amount, payment.currency, number[-4:], status, code)
        self._wait()  # the answer's way back: the money is taken whether or not it arrives
        return self._result(charge)

    def capture(self, payment: Payment) -> ProviderResult:
        """A sale is captured when it is made: report what the gateway holds."""
        return self.status(payment)

    def refund(self, payment: Payment, amount: int) -> ProviderResult:
        """Give back part or all of the charge through the gateway."""
        self._wait()
        charge = gateway.record_refund(payment.reference, amount)
        if charge is None:
            return ProviderResult(
                False, "refund_refused", None, "refund_refused", "The card gateway refused the refund."
            )
        return ProviderResult(True, charge.status, charge.provider_ref)

    def status(self, payment: Payment) -> ProviderResult:
        """What the gateway remembers of the reference: charged, declined, or nothing."""
        self._wait()
        known = gateway.find_charge(payment.reference)
        return self._result(known) if known is not None else NOT_CHARGED

    @staticmethod
    def _result(charge: gateway.Charge) -> ProviderResult:
        if charge.status == "declined":
            message = next((m for s, c, m in TEST_CARDS.values() if c == charge.decline_code), None)
            return ProviderResult(False, "declined", charge.provider_ref, charge.decline_code, message)
        return ProviderResult(True, charge.status, charge.provider_ref)

    @staticmethod
    def _wait() -> None:
        latency = int(current_app.config.get("SANDBOX_CARD_LATENCY_MS", 0) or 0)
        if latency > 0:
            time.sleep(latency / 1000)

    @staticmethod
    def _failure_rate() -> float:
        return min(max(float(current_app.config.get("SANDBOX_CARD_FAILURE_RATE", 0) or 0), 0.0), 1.0)


class CounterProvider(PaymentProvider):
    """Pay at the counter: the payment waits until a clerk confirms cash or card."""

    def authorise(self, payment: Payment, details: dict[str, Any]) -> ProviderResult:
        """Nothing is taken yet: the payment stays pending for the clerk."""
        return ProviderResult(True, "pending", None, None, "Pay at the counter.")

    def capture(self, payment: Payment) -> ProviderResult:
        """Only a clerk's confirmation captures a counter payment."""
        return self.status(payment)

    def refund(self, payment: Payment, amount: int) -> ProviderResult:
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
