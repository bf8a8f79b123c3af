"""JSON shapes of returns (also the source of the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma

from app.catalog.schemas import StrictSchema
from app.core.schemas import MAX_QUANTITY, id_range
from app.returns.models import CHANNELS
from app.returns.services import DESTINATIONS, REASON_MAX

STATUSES = ("requested", "received", "refunded", "cancelled")


class PickupAddressIn(StrictSchema):
    recipient = ma.fields.String(load_default="", validate=ma.validate.Length(max=120))
    phone = ma.fields.String(load_default="", validate=ma.validate.Length(max=32))
    line1 = ma.fields.String(required=True, validate=ma.validate.Length(min=1, max=200))
    line2 = ma.fields.String(load_default="", validate=ma.validate.Length(max=200))
    city = ma.fields.String(load_default="", validate=ma.validate.Length(max=80))
    postcode = ma.fields.String(load_default="", validate=ma.validate.Length(max=16))


class PickupIn(StrictSchema):
    from_ = ma.fields.AwareDateTime(required=True, data_key="from", metadata={"description": "ISO 8601 with a zone."})
    until = ma.fields.AwareDateTime(required=True, metadata={"description": "After from."})
    address = ma.fields.Nested(PickupAddressIn, required=True)


class ReturnLineIn(StrictSchema):
    line = ma.fields.Integer(
        required=True, strict=True, validate=id_range, metadata={"description": "The order line's id."}
    )
    qty = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=1, max=MAX_QUANTITY))


class StartReturnIn(StrictSchema):
    lines = ma.fields.List(ma.fields.Nested(ReturnLineIn), required=True, validate=ma.validate.Length(min=1, max=200))
    reason = ma.fields.String(load_default="", validate=ma.validate.Length(max=REASON_MAX))
    channel = ma.fields.String(required=True, validate=ma.validate.OneOf(CHANNELS))
    pickup = ma.fields.Nested(PickupIn, load_default=None, metadata={"description": "For channel pickup."})


class ReceiveLineIn(StrictSchema):
    line = ma.fields.Integer(
        required=True, strict=True, validate=id_range, metadata={"description": "The order line's id."}
    )
    qty = ma.fields.Integer(required=True, strict=True, validate=ma.validate.Range(min=0, max=MAX_QUANTITY))
    to = ma.fields.String(required=True, validate=ma.validate.OneOf(DESTINATIONS))


class ReceiveIn(StrictSchema):
    location = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=32),
        metadata={"description": "The code of the store or warehouse receiving the goods."},
    )
    lines = ma.fields.List(ma.fields.Nested(ReceiveLineIn), required=True, validate=ma.validate.Length(min=1, max=400))


class ScanIn(StrictSchema):
    code = ma.fields.String(
        required=True,
        validate=ma.validate.Length(min=1, max=300),
        metadata={"description": "What the scanner read: the return's token or the URL its QR holds."},
    )


class ReturnArgs(StrictSchema):
    status = ma.fields.String(load_default=None, validate=ma.validate.OneOf(STATUSES))
    location = ma.fields.String(
        load_default=None, validate=ma.validate.Length(max=32), metadata={"description": "Received at."}
    )
    member = ma.fields.Integer(load_default=None, validate=id_range)
    cursor = ma.fields.String(load_default=None, validate=ma.validate.Length(max=100))
    limit = ma.fields.Integer(load_default=50, validate=ma.validate.Range(min=1, max=200))


class ReturnLineOut(ma.Schema):
    line = ma.fields.Integer(metadata={"description": "The order line."})
    sku = ma.fields.String()
    name = ma.fields.String()
    qty = ma.fields.Integer(metadata={"description": "Units asked to come back."})
    unit_price = ma.fields.Integer()
    sellable = ma.fields.Integer(metadata={"description": "Received and back in stock at the receiving location."})
    quarantined = ma.fields.Integer(metadata={"description": "Received and set aside (not sellable)."})
    refund_amount = ma.fields.Integer()


class PickupOut(ma.Schema):
    from_ = ma.fields.DateTime(data_key="from", attribute="from")
    until = ma.fields.DateTime()
    address = ma.fields.Dict()


class QrOut(ma.Schema):
    token = ma.fields.String(metadata={"description": "What a clerk's scanner reads (POST /returns/scan)."})
    text = ma.fields.String(metadata={"description": "The QR's content: a URL holding the token."})
    svg_url = ma.fields.String(metadata={"description": "The QR as an SVG image."})


class PlaceOut(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    address = ma.fields.String()


class ReceivedOut(ma.Schema):
    location = ma.fields.String()
    at = ma.fields.DateTime()
    by = ma.fields.String()


class RefundOut(ma.Schema):
    amount = ma.fields.Integer(metadata={"description": "Minor units given back."})
    text = ma.fields.String()
    method = ma.fields.String(metadata={"description": "wallet, card or counter (cash from the clerk)."})
    how = ma.fields.String()
    at = ma.fields.DateTime()
    by = ma.fields.String()


class ReturnOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    order = ma.fields.String()
    member = ma.fields.Integer(allow_none=True)
    channel = ma.fields.String()
    status = ma.fields.String(metadata={"description": "requested, received, refunded or cancelled."})
    reason = ma.fields.String()
    currency = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(ReturnLineOut))
    pickup = ma.fields.Nested(PickupOut, allow_none=True)
    qr = ma.fields.Nested(QrOut, allow_none=True)
    label_url = ma.fields.String(allow_none=True, metadata={"description": "Mail returns: the printable label."})
    send_to = ma.fields.Nested(PlaceOut, allow_none=True, metadata={"description": "Mail returns: where to."})
    received = ma.fields.Nested(ReceivedOut, allow_none=True)
    refund = ma.fields.Nested(RefundOut, allow_none=True)
    points_taken = ma.fields.Integer()
    points_given = ma.fields.Integer()
    created_at = ma.fields.DateTime()


class ReturnPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ReturnOut))
    next_cursor = ma.fields.String(allow_none=True)


class ReturnableLineOut(ma.Schema):
    line = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    qty = ma.fields.Integer(metadata={"description": "Bought."})
    returned = ma.fields.Integer()
    returnable = ma.fields.Integer(metadata={"description": "May still be returned (not in an open return)."})
    unit_price = ma.fields.Integer()


class OrderReturnsOut(ma.Schema):
    order = ma.fields.String()
    return_until = ma.fields.DateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(ReturnableLineOut))
    returns = ma.fields.List(ma.fields.Nested(ReturnOut))
