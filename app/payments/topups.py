"""Wallet top-ups: charge a card, credit the wallet, once per reference. Functions flush, callers commit."""

from __future__ import annotations

from app.errors import DomainError
from app.members.models import Member
from app.money import format_money
from app.payments import wallet
from app.payments.models import CHARGED, WalletEntry
from app.payments.services import PaymentDeclined, collect, start_payment

# Per top-up, in minor units of the wallet's currency: CN¥1.00 to CN¥5,000.00.
TOPUP_MIN, TOPUP_MAX = 100, 500_000


def _check_topup(amount: int, currency: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < TOPUP_MIN:
        low = format_money(TOPUP_MIN, currency)
        raise DomainError("topup_too_small", f"A top-up is at least {low}.", details={"min": TOPUP_MIN})
    if amount > TOPUP_MAX:
        high = format_money(TOPUP_MAX, currency)
        raise DomainError("topup_too_large", f"A top-up is at most {high}.", details={"max": TOPUP_MAX})


def top_up(member: Member, amount: int, card_number: str, reference: str) -> WalletEntry:
    """Charge a card and credit the wallet with a "topup" entry; a retry with the same reference credits once.

    ``amount`` is in minor units of the wallet's currency. A declined card raises ``PaymentDeclined``.
    """
    account = wallet.require_wallet(member.id)
    _check_topup(amount, account.currency)
    payment = start_payment(
        "card",
        amount,
        account.currency,
        reference=reference,
        member_id=member.id,
        card_number=card_number,
        purpose="topup",
    )
    collect(payment, {"card_number": card_number})
    if payment.status not in CHARGED:
        raise PaymentDeclined(payment)
    done = wallet.entries_for_payment(payment.id, "topup")
    return done[0] if done else wallet.credit(member.id, amount, account.currency, "topup", payment.id)
