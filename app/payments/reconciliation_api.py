"""JSON API for the daily reconciliation of card payments with the provider's statement (admins)."""

from __future__ import annotations

from datetime import date, timedelta

import marshmallow as ma

from app.db import utcnow
from app.payments import reconciliation
from app.payments.api import api
from app.staff.auth import require_api_role


class ReconciliationArgs(ma.Schema):
    day = ma.fields.Date(load_default=None, metadata={"description": "A UTC day (YYYY-MM-DD); yesterday if left out."})
    provider = ma.fields.String(load_default="sandbox", validate=ma.validate.OneOf(("sandbox",)))


class MismatchOut(ma.Schema):
    kind = ma.fields.String(
        metadata={
            "description": "charged_not_captured, unknown_here, captured_not_charged, amount_mismatch, "
            "declined_but_captured, refund_unknown_here, refund_unknown_there, refund_amount_mismatch, "
            "refunded_total_mismatch."
        }
    )
    reference = ma.fields.String()
    message = ma.fields.String()
    ours = ma.fields.Dict(allow_none=True)
    theirs = ma.fields.Dict(allow_none=True)


class ComparedOut(ma.Schema):
    charges = ma.fields.Integer()
    refunds = ma.fields.Integer()
    payments = ma.fields.Integer()


class ReconciliationOut(ma.Schema):
    day = ma.fields.String()
    provider = ma.fields.String()
    compared = ma.fields.Nested(ComparedOut)
    mismatches = ma.fields.List(ma.fields.Nested(MismatchOut))


def yesterday() -> date:
    """The last whole UTC day."""
    return utcnow().date() - timedelta(days=1)


@api.route("/payments/reconciliation", methods=["GET"])
@api.arguments(ReconciliationArgs(), location="query")
@api.response(200, ReconciliationOut)
@require_api_role("admin", scope="orders:read")
def payment_reconciliation(args):
    """Admins: the card provider's statement of a day against our payments; every line that disagrees."""
    return reconciliation.reconcile_day(args["day"] or yesterday(), args["provider"])
