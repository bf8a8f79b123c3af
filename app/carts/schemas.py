"""JSON shapes of carts (also the source of the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma

from app.catalog.schemas import StrictSchema
from app.core.schemas import quantity_range


class AddLineIn(StrictSchema):
    code = ma.fields.String(
        load_default=None, metadata={"description": "A scanned shelf label (code or URL) or barcode."}
    )
    sku = ma.fields.String(load_default=None)
    qty = ma.fields.Integer(load_default=1, strict=True, validate=quantity_range)
    location = ma.fields.String(
        load_default=None, metadata={"description": "Store code; a shelf label says it, a barcode or SKU needs it."}
    )
    online = ma.fields.Boolean(
        load_default=False,
        metadata={
            "description": "For an order from anywhere: when the store has none left, the line is added unheld"
            " (409 only if no location can send them) and is collected or delivered at checkout."
        },
    )


class QuantityIn(StrictSchema):
    qty = ma.fields.Integer(required=True, strict=True, validate=quantity_range)


class CartLineOut(ma.Schema):
    id = ma.fields.Integer()
    sku = ma.fields.String()
    name = ma.fields.String()
    image = ma.fields.String()
    location = ma.fields.String()
    qty = ma.fields.Integer()
    unit_price = ma.fields.Integer(metadata={"description": "Minor units (fen for CNY)."})
    price = ma.fields.String()
    line_total = ma.fields.Integer()
    held = ma.fields.Boolean(metadata={"description": "The units are held for this cart right now."})
    held_until = ma.fields.String(allow_none=True)
    online = ma.fields.Boolean(metadata={"description": "Not held at its store: to be collected or delivered."})


class CartOut(ma.Schema):
    id = ma.fields.String()
    status = ma.fields.String()
    member = ma.fields.Integer(allow_none=True)
    version = ma.fields.Integer()
    currency = ma.fields.String()
    lines = ma.fields.List(ma.fields.Nested(CartLineOut))
    total = ma.fields.Integer()
    total_text = ma.fields.String()
    items = ma.fields.Integer()
