"""The sandbox provider's hosted payment page: the only place a card number is typed.

The form posts back to this blueprint (the provider), never to our routes. After a charge
the provider owes our notify URL a signed notification (sent by the job runner) and sends
the shopper back to our return URL; a card network error leaves the page open to try again.
"""

from __future__ import annotations

from flask import current_app, redirect, render_template, request

from app.errors import DomainError
from app.money import format_money
from app.payments.sandbox_provider import bp, cards, store


def _page(session: store.Session, *, error: str | None = None, outcome: str | None = None, status: int = 200):
    """The page as the payment stands: the form (with an error), a decline, or paid / closed."""
    shown = render_template(
        "payments/sandbox/pay.html",
        session=session,
        amount_text=format_money(session.amount, session.currency),
        hints=cards.HINTS if current_app.config["SANDBOX_PAYMENTS"] else [],
        error=error,
        outcome=outcome,
    )
    response = current_app.make_response((shown, status))
    response.headers["Cache-Control"] = "no-store"
    return response


def _session_or_404(token: str) -> store.Session:
    """The hosted payment behind the address; 404 for an unknown one."""
    session = store.find_session(token)
    if session is None:
        raise DomainError("payment_not_found", "No such payment at Sandbox Pay.", status=404)
    return session


@bp.get("/pay/<token>")
def pay_page(token: str):
    """The hosted page: what is paid, to whom, and the card form while the payment is open."""
    return _page(_session_or_404(token))


@bp.post("/pay/<token>")
def pay(token: str):
    """Charge the card typed on the page; back to the merchant after a charge (or a decline)."""
    session = _session_or_404(token)
    if not session.open:
        return _page(session, status=409)
    try:
        outcome = cards.pay(session, request.form.get("card_number", ""))
    except DomainError as refused:
        return _page(session, error=refused.message, status=refused.status)
    if outcome.charge is None:
        return _page(session, error=outcome.message, status=502)  # nothing charged: the form stays
    charge = outcome.charge
    store.queue_notification(
        session,
        {
            "reference": charge.reference,
            "provider_ref": charge.provider_ref,
            "status": "captured" if charge.status != "declined" else "declined",
            "amount": charge.amount,
            "currency": charge.currency,
            "card_last4": charge.card_last4,
            "decline_code": charge.decline_code,
        },
    )
    _send_soon()
    if charge.status == "declined":
        # The shopper reads the decline here, then goes back to the shop (the basket is as it was).
        return _page(store.find_session(token) or session, outcome=outcome.message or "The card was declined.")
    return redirect(session.return_url, code=303)


def _send_soon() -> None:
    """Ask the job runner to send the notification now (its sweep sends it otherwise)."""
    from app.payments import tasks

    try:
        tasks.send_notifications()
    except Exception:  # noqa: BLE001 - a queue that is down must not lose the charge; the sweep sends it
        current_app.logger.exception("queueing the payment notification failed")
