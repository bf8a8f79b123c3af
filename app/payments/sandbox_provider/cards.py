"""The sandbox provider's test cards and its charge: what a card typed on its page does.

Test cards (spaces allowed):

- 4242 4242 4242 4242: succeeds.
- 4000 0000 0000 0002: declined, code "card_declined".
- 4000 0000 0000 9995: declined, code "insufficient_funds".
- 4000 0000 0000 0119: fails with "processing_error" (nothing charged; paying again may succeed).
- Any other Luhn-valid 16-digit number succeeds; any other number is refused on the page.

``SANDBOX_CARD_LATENCY_MS`` delays every call to the provider (a charge twice: on the way
there and on the way back), and ``SANDBOX_CARD_FAILURE_RATE`` (0.0 to 1.0) answers that share
of new charges with a random "processing_error".
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

from flask import current_app

from app.errors import DomainError
from app.payments import gateway
from app.payments.sandbox_provider import store

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
HINTS = [
    ("4242 4242 4242 4242", "succeeds"),
    ("4000 0000 0000 0002", "declined"),
    ("4000 0000 0000 9995", "insufficient funds"),
    ("4000 0000 0000 0119", "network error, nothing charged"),
]


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


def message_of(code: str | None) -> str | None:
    """What the shopper is told of a decline code."""
    return next((m for s, c, m in TEST_CARDS.values() if c == code), None)


@dataclass(frozen=True)
class Outcome:
    """What paying on the page did: a charge (captured or declined), or a failure with nothing charged."""

    charge: gateway.Charge | None
    code: str | None = None
    message: str | None = None


def pay(session: store.Session, card_number: str) -> Outcome:
    """Charge the card for an open hosted payment, once per reference; a closed one is refused."""
    number = normalise_card_number(card_number)
    wait()
    known = gateway.find_charge(session.reference)
    if known is not None:
        return Outcome(known, known.decline_code, message_of(known.decline_code))
    status, code, message = TEST_CARDS.get(number, ("captured", None, None))
    if status == "captured" and random.random() < failure_rate():
        status, code, message = TEST_CARDS["4000000000000119"]
    if status == "failed":
        return Outcome(None, code, message)
    if not store.finish_session(session.reference, "paid" if status == "captured" else "declined"):
        raise DomainError("payment_closed", "This payment is closed; go back to the shop and start again.", status=409)
    charge = gateway.record_charge(session.reference, session.amount, session.currency, number[-4:], status, code)
    wait()  # the answer's way back: the money is taken whether or not it arrives
    return Outcome(charge, code, message)


def wait() -> None:
    """The configured latency of a call to the provider."""
    latency = int(current_app.config.get("SANDBOX_CARD_LATENCY_MS", 0) or 0)
    if latency > 0:
        time.sleep(latency / 1000)


def failure_rate() -> float:
    """The configured share of charges that fail with a network error."""
    return min(max(float(current_app.config.get("SANDBOX_CARD_FAILURE_RATE", 0) or 0), 0.0), 1.0)
