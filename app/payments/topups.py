"""Wallet top-ups: paid by card on the provider's page, credited once when the provider confirms.

Functions flush, callers commit. A top-up starts a pending card payment at the provider (one
per reference); the wallet is credited by the ``payment.captured`` reaction below, which a
notification or a status query triggers, and only once per payment.
"""

from __future__ import annotations

from app.errors import DomainError
from app.members.models import Member
from app.money import format_money
from app.outbox import services as outbox
from app.payments import hosted, wallet
from app.payments.models import Payment, WalletEntry
from app.payments.services import start_payment

# Per top-up, in minor units of the wallet's currency: CN¥1.00 to CN¥5,000.00.
TOPUP_MIN, TOPUP_MAX = 100, 500_000


def _check_topup(amount: int, currency: str) -> None:
    if not isinstance(amount, int) or isinstance(amount, bool) or amount < TOPUP_MIN:
        low = format_money(TOPUP_MIN, currency)
        raise DomainError("topup_too_small", f"A top-up is at least {low}.", details={"min": TOPUP_MIN})
    if amount > TOPUP_MAX:
        high = format_money(TOPUP_MAX, currency)
        raise DomainError("topup_too_large", f"A top-up is at most {high}.", details={"max": TOPUP_MAX})


def top_up(member: Member, amount: int, reference: str) -> Payment:
    """Start a card top-up of ``amount`` (minor units) at the provider; a retry with the same reference is the same one.

    The shopper pays on the provider's page (``payment.action_url``); the wallet is credited
    when the provider confirms the charge.
    """
    account = wallet.require_wallet(member.id)
    _check_topup(amount, account.currency)
    payment = start_payment("card", amount, account.currency, reference=reference, member_id=member.id, purpose="topup")
    return hosted.start_hosted(payment, f"Wallet top-up {format_money(amount, account.currency)}")


def topup_entry(payment: Payment) -> WalletEntry | None:
    """The wallet entry a top-up's payment made, once it was credited."""
    done = wallet.entries_for_payment(payment.id, "topup")
    return done[0] if done else None


@outbox.signal("payment.captured").connect
def _credit(event, payment: Payment, **_: object) -> None:
    """A top-up's card was charged: credit the wallet (once per payment)."""
    if payment.purpose != "topup" or topup_entry(payment) is not None:
        return
    assert payment.member_id is not None
    wallet.credit(payment.member_id, payment.amount, payment.currency, "topup", payment.id)


@hosted.returning.connect
def _back_to_wallet(payment: Payment) -> str | None:
    """A shopper back from paying a top-up goes to the wallet page."""
    return "/account/wallet" if payment.purpose == "topup" else None
