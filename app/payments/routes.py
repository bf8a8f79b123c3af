"""Our pages for card payments: the return page a shopper comes back to, and the reconciliation.

If the provider's notification has not arrived yet, it asks the provider's query API, so a
lost or late notification never leaves a paid shopper waiting; then it sends the shopper to
the page of what was paid (the receipt, the wallet), or says the card was declined.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, redirect, render_template, request

from app.payments import hosted, reconciliation, services
from app.payments.models import CHARGED
from app.payments.reconciliation_api import yesterday
from app.staff.auth import staff_page
from app.transaction import writes

bp = Blueprint("payment_pages", __name__)


@bp.get("/payments/return/<reference>")
@writes  # the query's answer is recorded (a GET that writes, like the phone page's scan)
def payment_return(reference: str):
    """Back from the provider: paid goes on to its page; declined or still waiting is said here."""
    payment = services.payment_by_reference(reference)
    if payment is None or payment.method != "card":
        return render_template("payments/return.html", payment=None, next_url=None), 404
    next_url = hosted.came_back(payment)
    if payment.status in CHARGED and next_url:
        return redirect(next_url, code=303)
    response = render_template("payments/return.html", payment=payment, next_url=next_url)
    return response, 200, {"Cache-Control": "no-store"}


@bp.get("/staff/payments/reconciliation")
@staff_page("admin")
def reconciliation_page():
    """Admins: a day's card payments compared with the provider's statement, and what disagrees."""
    try:
        day = date.fromisoformat(request.args["day"]) if request.args.get("day") else yesterday()
    except ValueError:
        day = yesterday()
    report = reconciliation.reconcile_day(day)
    return render_template("payments/reconciliation.html", report=report, day=day)
