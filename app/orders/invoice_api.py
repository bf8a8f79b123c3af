"""JSON API: a member asks for an invoice (fapiao) of their paid order, and sees where it stands."""

from __future__ import annotations

import marshmallow as ma
from flask_smorest import Blueprint

from app.catalog.schemas import StrictSchema
from app.core.schemas import MEMBER
from app.errors import NotFound
from app.members.auth import current_member, require_member_api
from app.orders import invoices
from app.orders.models import Order
from app.orders.schemas import OrderTaxOut
from app.transaction import writes

api = Blueprint("invoices_api", __name__, url_prefix="/api/v1", description="Invoices (fapiao) of orders")


class InvoiceRequestIn(StrictSchema):
    title = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=200),
        metadata={"description": "The invoice title: a company's name, or a person's."},
    )
    tax_id = ma.fields.String(
        required=True,
        validate=ma.validate.Length(max=64),
        metadata={"description": "The buyer's unified social credit code: 15 to 20 letters and digits."},
    )
    email = ma.fields.String(
        load_default=None, allow_none=True, validate=ma.validate.Length(max=254), metadata={"description": "Optional."}
    )


class InvoiceRequestOut(ma.Schema):
    id = ma.fields.Integer()
    order = ma.fields.String(metadata={"description": "The order number."})
    status = ma.fields.String(metadata={"description": "requested, or issued (final)."})
    title = ma.fields.String()
    tax_id = ma.fields.String()
    email = ma.fields.String(allow_none=True)
    invoice_number = ma.fields.String(allow_none=True)
    currency = ma.fields.String()
    amount = ma.fields.Integer(metadata={"description": "The order's total, tax included."})
    tax = ma.fields.List(ma.fields.Nested(OrderTaxOut))
    tax_total = ma.fields.Integer()
    requested_at = ma.fields.DateTime()
    issued_at = ma.fields.DateTime(allow_none=True)


def _my_order(number_or_id: str) -> Order:
    """The signed-in member's order by its number or id; anyone else's answers as an unknown one (404)."""
    order = invoices.order_by_number_or_id(number_or_id)
    if order is None or order.member_id != current_member().id:
        raise NotFound("order_not_found", f"No order {number_or_id}.")
    return order


@api.route("/orders/<number_or_id>/invoice-request", methods=["POST"])
@writes
@api.arguments(InvoiceRequestIn())
@api.response(201, InvoiceRequestOut)
@api.alt_response(409, description="The order is not paid, or its invoice was issued already.")
@require_member_api
@api.doc(security=MEMBER)
def request_invoice(body, number_or_id: str):
    """Ask for an invoice of my paid order; a later request replaces the details until it is issued."""
    order = _my_order(number_or_id)
    request = invoices.request_invoice(order, body["title"], body["tax_id"], body["email"])
    return invoices.as_json(request, order)


@api.route("/orders/<number_or_id>/invoice-request", methods=["GET"])
@api.response(200, InvoiceRequestOut)
@require_member_api
@api.doc(security=MEMBER)
def get_invoice_request(number_or_id: str):
    """My order's invoice request and where it stands (404 when none was made)."""
    order = _my_order(number_or_id)
    request = invoices.request_of(order)
    if request is None:
        raise NotFound("invoice_request_not_found", f"No invoice was requested for order {order.number}.")
    return invoices.as_json(request, order)
