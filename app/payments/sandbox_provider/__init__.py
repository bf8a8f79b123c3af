"""The sandbox card provider: its hosted payment page and its notifications (the outside world).

It plays the part Alipay, WeChat Pay or UnionPay play in production: our server creates a
payment there (``store.create_session``), the shopper types the card on its page (this
blueprint, under ``/sandbox-pay/``), it charges the card, keeps its records in its own storage
(``app.payments.gateway``) and sends a signed notification to our notify URL (``notify``).
Nothing here writes to our tables; our side talks to it only through ``SandboxCardProvider``.
"""

from flask import Blueprint

bp = Blueprint("sandbox_pay", __name__, url_prefix="/sandbox-pay")

from app.payments.sandbox_provider import routes  # noqa: E402,F401 - the hosted page
