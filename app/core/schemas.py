"""Shared bounds of API input, so a number too big for a column is a 422, never a crash.

Quantities (stock movements, cart and reservation lines) lie within +-1,000,000 units; a movement of
1e9 units is refused. Prices and amounts are below 10**9 minor units (a price of 1e9 is refused).
Ids and points are within 64 bits.
"""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.limits import MAX_ID

MAX_QUANTITY = 1_000_000
MAX_AMOUNT = 10**9  # exclusive

quantity_range = validate.Range(min=-MAX_QUANTITY, max=MAX_QUANTITY)
positive_quantity = validate.Range(min=1, max=MAX_QUANTITY)
amount_range = validate.Range(min=0, max=MAX_AMOUNT, max_inclusive=False)
id_range = validate.Range(min=1, max=MAX_ID)


class ErrorDetail(ma.Schema):
    code = ma.fields.String(required=True, metadata={"description": "Stable, for programs (e.g. validation_error)."})
    message = ma.fields.String(required=True, metadata={"description": "For people."})
    details = ma.fields.Raw(metadata={"description": "Per-field messages, when the input was not valid."})


class ErrorOut(ma.Schema):
    """Every error answer: ``{"error": {"code", "message"}}``."""

    error = ma.fields.Nested(ErrorDetail, required=True)


# OpenAPI ``security`` of operations that differ from the default (a bearer key or device token).
PUBLIC: list = []  # anyone, signed in or not (guest carts, QR images, sign-up, sign-in)
MEMBER = [{"member": []}]  # a signed-in member's session cookie
MEMBER_OR_KEY = [{"bearer": []}, {"member": []}]
