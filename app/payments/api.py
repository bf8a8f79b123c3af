"""JSON API for the signed-in member's wallet (balance, history, card top-ups) and providers' notifications.

Registered in ``app/__init__.py`` (``_register_blueprints``) like the other API blueprints::

    from app.payments.api import api as payments_api
    ...  # add payments_api to the tuple passed to api.register_blueprint (it is CSRF-exempted there
    ...  # like the others; member writes prove CSRF in ``member_write`` below)

and its models imported in ``app/models.py``::

    from app.payments.models import Payment, PaymentRefund, SandboxCharge, Wallet, WalletEntry
"""

from __future__ import annotations

import hashlib

import marshmallow as ma
from flask import Response, current_app, request
from flask_smorest import Blueprint
from sqlalchemy import select

from app.catalog.schemas import PageArgs, StrictSchema
from app.core.schemas import MEMBER, PUBLIC
from app.extensions import csrf, db
from app.idempotency.services import HEADER, idempotent
from app.members.auth import NotSignedIn, current_member, require_member_api
from app.money import format_money
from app.payments import hosted, topups, wallet
from app.payments.models import Payment, Wallet, WalletEntry
from app.payments.refusals import refuse_card_number
from app.payments.schemas import NextActionOut
from app.transaction import writes

api = Blueprint("payments_api", __name__, url_prefix="/api/v1", description="Member wallet")


# ---- shapes ----------------------------------------------------------------------------


class WalletEntryOut(ma.Schema):
    id = ma.fields.Integer()
    kind = ma.fields.String(metadata={"description": "topup, payment or refund."})
    amount = ma.fields.Integer(metadata={"description": "Minor units: positive in, negative out."})
    balance_after = ma.fields.Integer()
    payment_reference = ma.fields.String(allow_none=True)
    created_at = ma.fields.DateTime()


class WalletOut(ma.Schema):
    balance = ma.fields.Integer(metadata={"description": "Minor units (CNY: fen; 5000 is CN¥50.00)."})
    currency = ma.fields.String()
    balance_text = ma.fields.String(metadata={"description": "The balance for people, e.g. CN¥50.00."})
    entries = ma.fields.List(ma.fields.Nested(WalletEntryOut), metadata={"description": "Newest first."})
    next_cursor = ma.fields.String(allow_none=True)


class TopUpIn(StrictSchema):
    amount = ma.fields.Integer(
        required=True,
        strict=True,
        metadata={"description": "Minor units of the wallet's currency: 5000 is CN¥50.00 (100 to 500000)."},
    )

    @ma.pre_load
    def _no_card_numbers(self, data, **_):
        return refuse_card_number(data)


class TopUpPaymentOut(ma.Schema):
    reference = ma.fields.String()
    status = ma.fields.String()
    amount = ma.fields.Integer()
    currency = ma.fields.String()
    card_last4 = ma.fields.String(allow_none=True)


class TopUpOut(ma.Schema):
    entry = ma.fields.Nested(WalletEntryOut, allow_none=True, metadata={"description": "Once the card is charged."})
    payment = ma.fields.Nested(TopUpPaymentOut)
    next_action = ma.fields.Nested(NextActionOut, allow_none=True)
    balance = ma.fields.Integer()
    currency = ma.fields.String()
    balance_text = ma.fields.String()


def _entries_out(entries: list[WalletEntry]) -> list[dict]:
    ids = {e.payment_id for e in entries if e.payment_id}
    rows = db.session.execute(select(Payment.id, Payment.reference).where(Payment.id.in_(ids)))
    references = {payment_id: reference for payment_id, reference in rows}
    return [
        {
            "id": e.id,
            "kind": e.kind,
            "amount": e.amount,
            "balance_after": e.balance_after,
            "payment_reference": references.get(e.payment_id) if e.payment_id else None,
            "created_at": e.created_at,
        }
        for e in entries
    ]


def _balance_out(account: Wallet) -> dict:
    return {
        "balance": account.balance,
        "currency": account.currency,
        "balance_text": format_money(account.balance, account.currency),
    }


# ---- member writes: signed in, CSRF, Idempotency-Key required --------------------------


def _signed_in_member() -> None:
    if current_member() is None:
        raise NotSignedIn("not_signed_in", "Sign in first.")
    csrf.protect()


# A member API write: 401 unless signed in, CSRF, and a required Idempotency-Key; a retry with
# the key answers the first (successful) answer and has no second effect.
member_write = idempotent(required=True, check=_signed_in_member)


def topup_reference(member_id: int, key: str) -> str:
    """The payment reference of a top-up: one per member and Idempotency-Key, so a retry charges once."""
    return f"topup-{member_id}-{hashlib.sha256(key.encode()).hexdigest()[:40]}"


# ---- endpoints ---------------------------------------------------------------------------


@api.route("/members/me/wallet", methods=["GET"])
@require_member_api
@api.arguments(PageArgs(), location="query")
@api.response(200, WalletOut)
@api.doc(security=MEMBER)
def my_wallet(args):
    """The signed-in member's wallet: balance and entries, newest first (page on with the cursor)."""
    member = current_member()
    # A member who never topped up has no wallet row yet: an empty one, without writing on a GET.
    account = wallet.wallet_of(member.id, create=False) or Wallet(
        balance=0, currency=current_app.config["DEFAULT_CURRENCY"]
    )
    entries, cursor = wallet.wallet_history(member.id, args["cursor"], args["limit"])
    return {**_balance_out(account), "entries": _entries_out(entries), "next_cursor": cursor}


@api.route("/members/me/wallet/topups", methods=["POST"])
@member_write
@api.arguments(TopUpIn())
@api.response(201, TopUpOut)
@api.doc(
    parameters=[
        {
            "in": "header",
            "name": HEADER,
            "required": True,
            "schema": {"type": "string", "maxLength": 255},
            "description": "Required: a retry with the same key charges the card and credits the wallet once.",
        }
    ]
)
@api.doc(security=MEMBER)
def create_top_up(body):
    """Top up the wallet from a card; amount in minor units (5000 is CN¥50.00).

    Answers the pending payment and ``next_action``: the shopper types the card on the card
    provider's page (``next_action.redirect_url``), never here; the wallet is credited when the
    provider confirms the charge. A request with ``card_number`` is refused (400). A declined
    card is shown on the provider's page and stays declined for its key: top up again with a new key.
    """
    member = current_member()
    reference = topup_reference(member.id, request.headers[HEADER])
    payment = topups.top_up(member, body["amount"], reference)
    entry = topups.topup_entry(payment)
    account = wallet.require_wallet(member.id)
    return {
        "entry": _entries_out([entry])[0] if entry else None,
        "payment": payment,
        "next_action": hosted.next_action(payment),
        **_balance_out(account),
    }


# ---- notifications from hosted payment providers -------------------------------------------


@api.route("/payments/notifications/<provider>", methods=["POST"])
@api.response(200, description="The plain text success: the notification is recorded (a replay too).")
@api.alt_response(401, description="Not signed, or the signature does not match: nothing was written.")
@api.alt_response(400, description="The notification cannot be read: nothing was written.")
@api.alt_response(404, description="No such payment provider.")
@api.doc(security=PUBLIC)
@writes
def provider_notification(provider: str):
    """A payment provider tells us what became of a payment (server to server, signed).

    No CSRF here, deliberately: the caller is the provider's server, which has no session or
    CSRF token of ours; what proves it is the HMAC signature over the body, checked first.
    """
    hosted.receive_notification(provider, request.get_data(cache=False), request.headers)
    return Response("success", mimetype="text/plain")


from app.payments import reconciliation_api  # noqa: E402,F401 - its routes are on this blueprint
