"""JSON shapes of checkouts and orders (also the source of the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma

from app.catalog.schemas import PageArgs, StrictSchema
from app.core.schemas import MAX_AMOUNT, MAX_ID, id_range
from app.payments.refusals import refuse_card_number
from app.payments.schemas import NextActionOut


class PaymentIn(StrictSchema):
    method = ma.fields.String(
        required=True,
        validate=ma.validate.OneOf(("wallet", "card", "counter")),
        metadata={"description": "card: the answer's next_action sends the shopper to the card provider's page."},
    )

    @ma.pre_load
    def _no_card_numbers(self, data, **_):
        return refuse_card_number(data)


class AddressIn(StrictSchema):
    id = ma.fields.Integer(
        validate=id_range, metadata={"description": "One of my saved addresses (then give nothing else)."}
    )
    recipient = ma.fields.String(validate=ma.validate.Length(max=120))
    phone = ma.fields.String(validate=ma.validate.Length(max=32))
    line1 = ma.fields.String(validate=ma.validate.Length(max=200))
    line2 = ma.fields.String(validate=ma.validate.Length(max=200))
    city = ma.fields.String(validate=ma.validate.Length(max=80))
    postcode = ma.fields.String(validate=ma.validate.Length(max=16))
    country = ma.fields.String(validate=ma.validate.Length(equal=2))
    latitude = ma.fields.Float(allow_none=True, validate=ma.validate.Range(min=-90, max=90))
    longitude = ma.fields.Float(allow_none=True, validate=ma.validate.Range(min=-180, max=180))


class FulfilmentChoiceIn(StrictSchema):
    line = ma.fields.Integer(
        required=True, strict=True, validate=id_range, metadata={"description": "A basket line id."}
    )
    mode = ma.fields.String(required=True, validate=ma.validate.OneOf(("carry_out", "collect", "deliver")))
    location = ma.fields.String(
        validate=ma.validate.Length(max=32), metadata={"description": "collect: the store's code."}
    )
    address = ma.fields.Nested(AddressIn, metadata={"description": "deliver: a saved address {id} or a new one."})


class CheckoutIn(StrictSchema):
    payment = ma.fields.Nested(PaymentIn, required=True)
    fulfilment = ma.fields.List(
        ma.fields.Nested(FulfilmentChoiceIn),
        load_default=list,
        validate=ma.validate.Length(max=200),
        metadata={"description": "Per line: carried out now (the default), collected at a store, or delivered."},
    )
    points = ma.fields.Integer(
        load_default=0,
        strict=True,
        validate=ma.validate.Range(min=0, max=MAX_ID),
        metadata={"description": "Points to spend."},
    )


class OrderLineOut(ma.Schema):
    id = ma.fields.Integer()
    mode = ma.fields.String()
    sku = ma.fields.String()
    name = ma.fields.String()
    qty = ma.fields.Integer()
    unit_price = ma.fields.Integer()
    line_total = ma.fields.Integer()
    location = ma.fields.String()
    tax_rate = ma.fields.Integer(metadata={"description": "The line's tax rate as sold, in basis points (1300: 13%)."})
    tax_amount = ma.fields.Integer(metadata={"description": "The tax inside what was paid for the line."})


class OrderTaxOut(ma.Schema):
    rate = ma.fields.Integer(metadata={"description": "Basis points (900: 9%)."})
    rate_text = ma.fields.String()
    amount = ma.fields.Integer(metadata={"description": "What was paid at this rate, tax included."})
    tax = ma.fields.Integer(metadata={"description": "The tax in it: the sum of its lines' tax."})
    tax_left = ma.fields.Integer(metadata={"description": "The tax after returns (less the returned units' share)."})


class OrderPaymentOut(ma.Schema):
    method = ma.fields.String()
    status = ma.fields.String(allow_none=True)
    card_last4 = ma.fields.String(allow_none=True)


class ExitPassOut(ma.Schema):
    token = ma.fields.String(metadata={"description": "Show it as a QR; a clerk scans it once at the door."})
    used_at = ma.fields.DateTime(allow_none=True)


class ParcelPlaceOut(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()


class ParcelLineOut(ma.Schema):
    line = ma.fields.Integer(metadata={"description": "The order line."})
    product = ma.fields.Integer()
    qty = ma.fields.Integer()
    picked = ma.fields.Integer()


class ParcelOut(ma.Schema):
    id = ma.fields.Integer()
    mode = ma.fields.String(metadata={"description": "collect or deliver"})
    status = ma.fields.String()
    status_text = ma.fields.String(metadata={"description": "What the step means to the shopper."})
    code = ma.fields.String(metadata={"description": "Shown as a QR; the clerk scans it at collection."})
    from_ = ma.fields.Nested(ParcelPlaceOut, data_key="from", attribute="from", allow_none=True)
    collect_at = ma.fields.Nested(ParcelPlaceOut, allow_none=True)
    address = ma.fields.Dict(allow_none=True)
    address_text = ma.fields.String()
    distance_km = ma.fields.Float()
    expected_at = ma.fields.DateTime(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(ParcelLineOut))
    updated_at = ma.fields.DateTime()


class OrderOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    status = ma.fields.String()
    channel = ma.fields.String()
    location = ma.fields.String()
    member = ma.fields.Integer(allow_none=True)
    lines = ma.fields.List(ma.fields.Nested(OrderLineOut))
    currency = ma.fields.String()
    subtotal = ma.fields.Integer()
    discount = ma.fields.Integer()
    total = ma.fields.Integer()
    total_text = ma.fields.String()
    tax = ma.fields.List(
        ma.fields.Nested(OrderTaxOut), metadata={"description": "The tax per rate; they sum to tax_total."}
    )
    tax_total = ma.fields.Integer(metadata={"description": "The tax included in total."})
    refunded_amount = ma.fields.Integer()
    points_redeemed = ma.fields.Integer()
    points_earned = ma.fields.Integer()
    payment = ma.fields.Nested(OrderPaymentOut)
    exit_pass = ma.fields.Nested(ExitPassOut, allow_none=True)
    fulfilments = ma.fields.List(
        ma.fields.Nested(ParcelOut), metadata={"description": "The parcels of lines collected or delivered."}
    )
    created_at = ma.fields.DateTime()
    paid_at = ma.fields.DateTime(allow_none=True)


class CheckoutOut(OrderOut):
    next_action = ma.fields.Nested(
        NextActionOut, allow_none=True, metadata={"description": "For a card order pending payment."}
    )


class OrderPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(OrderOut))
    next_cursor = ma.fields.String(allow_none=True)


class OrderArgs(PageArgs):
    member = ma.fields.Integer(load_default=None, validate=id_range)
    q = ma.fields.String(load_default=None, metadata={"description": "An order number (or its start)."})
    status = ma.fields.String(load_default=None)
    since = ma.fields.AwareDateTime(load_default=None)
    until = ma.fields.AwareDateTime(load_default=None)


class RefundIn(StrictSchema):
    amount = ma.fields.Integer(
        load_default=None,
        strict=True,
        validate=ma.validate.Range(min=1, max=MAX_AMOUNT, max_inclusive=False),
        metadata={"description": "Minor units; all if left out."},
    )


class CounterIn(StrictSchema):
    how = ma.fields.String(required=True, validate=ma.validate.OneOf(("cash", "card")))


class ExitPassIn(StrictSchema):
    code = ma.fields.String(required=True, metadata={"description": "What the scanner read off the phone."})


class ExitCheckOut(ma.Schema):
    order = ma.fields.Nested(OrderOut)
    check_basket = ma.fields.Boolean(metadata={"description": "Look in the bag against the receipt."})
