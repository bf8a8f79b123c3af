"""JSON shapes for locations and products (also the source of the OpenAPI document)."""

from __future__ import annotations

import json

import marshmallow as ma
from marshmallow import validate

from app.catalog.models import LOCATION_KINDS
from app.core.schemas import amount_range


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class PageArgs(StrictSchema):
    cursor = ma.fields.String(load_default=None)
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))


class LocationIn(StrictSchema):
    code = ma.fields.String(required=True, validate=validate.Length(min=1, max=32))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=120))
    kind = ma.fields.String(required=True, validate=validate.OneOf(LOCATION_KINDS))
    address = ma.fields.String(load_default="", validate=validate.Length(max=255))
    # The ranges are checked by the service (422 invalid_coordinates); here they are documented.
    latitude = ma.fields.Float(
        load_default=None, allow_none=True, allow_nan=False, metadata={"minimum": -90, "maximum": 90}
    )
    longitude = ma.fields.Float(
        load_default=None, allow_none=True, allow_nan=False, metadata={"minimum": -180, "maximum": 180}
    )
    timezone = ma.fields.String(load_default="UTC")
    currency = ma.fields.String(
        load_default="CNY",
        validate=validate.Length(equal=3),
        metadata={"description": "What its baskets are priced in."},
    )
    help_answer_minutes = ma.fields.Integer(
        load_default=5,
        validate=validate.Range(min=1, max=240),
        metadata={"description": "Service standard: a shopper's call for help is answered within this many minutes."},
    )
    # Checked by the service (422 invalid_opening_hours): days mon..sun, windows of "HH:MM".
    opening_hours = ma.fields.Dict(
        keys=ma.fields.String(),
        values=ma.fields.Raw(),
        load_default=None,
        allow_none=True,
        metadata={
            "description": 'Local times per weekday, e.g. {"mon": [["09:00", "21:00"]], "sun": []}; absent: unknown.'
        },
    )


class LocationOut(ma.Schema):
    code = ma.fields.String()
    name = ma.fields.String()
    kind = ma.fields.String()
    address = ma.fields.String()
    latitude = ma.fields.Float(allow_none=True)
    longitude = ma.fields.Float(allow_none=True)
    timezone = ma.fields.String()
    currency = ma.fields.String()
    help_answer_minutes = ma.fields.Integer()
    opening_hours = ma.fields.Function(
        lambda location: json.loads(location.opening_hours) if location.opening_hours else None, allow_none=True
    )


class LocationArgs(PageArgs):
    kind = ma.fields.String(load_default=None, validate=validate.OneOf(LOCATION_KINDS))


class LocationPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LocationOut))
    next_cursor = ma.fields.String(allow_none=True)


class Price(StrictSchema):
    amount = ma.fields.Integer(
        required=True,
        strict=True,
        validate=amount_range,
        metadata={"description": "Integer minor units (cents, fen), below 10**9."},
    )
    currency = ma.fields.String(
        load_default=None,
        validate=validate.Length(equal=3),
        metadata={"description": "ISO 4217 code; the shop's default when left out."},
    )


class ProductPatch(StrictSchema):
    name = ma.fields.String(validate=validate.Length(min=1, max=200))
    description = ma.fields.String(validate=validate.Length(max=5000))
    price = ma.fields.Nested(Price)
    image = ma.fields.String(validate=validate.Length(max=500))
    category = ma.fields.String(validate=validate.Length(max=80))
    barcode = ma.fields.String(
        allow_none=True, metadata={"description": "Legacy EAN-13 or UPC-A; the check digit is verified."}
    )
    active = ma.fields.Boolean(truthy={True}, falsy={False})


class ProductIn(ProductPatch):
    # The pattern is checked by the service (422 invalid_sku); here it is documented.
    sku = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=64),
        metadata={"pattern": r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"},
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    price = ma.fields.Nested(Price, required=True)


class PriceOut(ma.Schema):
    amount = ma.fields.Integer()
    currency = ma.fields.String()


class ProductOut(ma.Schema):
    sku = ma.fields.String()
    name = ma.fields.String()
    description = ma.fields.String()
    price = ma.fields.Function(
        lambda p: {"amount": p.price_amount, "currency": p.currency}, metadata={"type": "object"}
    )
    image = ma.fields.String()
    category = ma.fields.String()
    barcode = ma.fields.String(allow_none=True)
    active = ma.fields.Boolean()
    updated_at = ma.fields.DateTime()


class ProductArgs(PageArgs):
    category = ma.fields.String(load_default=None)
    q = ma.fields.String(load_default=None, metadata={"description": "Search name, SKU or barcode."})
    active = ma.fields.Boolean(load_default=None)


class ProductPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProductOut))
    next_cursor = ma.fields.String(allow_none=True)


class ImportArgs(StrictSchema):
    mode = ma.fields.String(
        load_default="all",
        validate=validate.OneOf(["all", "valid_only"]),
        metadata={"description": "all: write nothing if any row is bad; valid_only: import the good rows."},
    )


def product_fields(body: dict, default_currency: str) -> dict:
    """Flatten an API body into service keyword arguments."""
    fields = {k: v for k, v in body.items() if k not in ("price", "sku")}
    if "price" in body:
        fields["price_amount"] = body["price"]["amount"]
        fields["currency"] = body["price"].get("currency") or default_currency
    return fields
