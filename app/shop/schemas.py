"""JSON shapes of the web shop's product search (also the source of the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.catalog.schemas import StrictSchema
from app.shop.search import MAX_LIMIT, MAX_QUERY


class SearchArgs(StrictSchema):
    q = ma.fields.String(
        load_default="",
        validate=validate.Length(max=4 * MAX_QUERY),
        metadata={
            "description": "Words of the name (any script: 绿茶), a SKU or part of it, or a barcode. "
            "Every word must match; words of one or two characters match a word start (Latin) "
            f"or anywhere (other scripts). The first {MAX_QUERY} characters count."
        },
    )
    category = ma.fields.String(load_default=None, validate=validate.Length(max=80))
    location = ma.fields.String(
        load_default=None,
        validate=validate.Length(min=1, max=32),
        metadata={"description": "Store code: each product says how many are available there (404 if unknown)."},
    )
    cursor = ma.fields.String(load_default=None, validate=validate.Length(max=200))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=MAX_LIMIT))


class PriceOut(ma.Schema):
    amount = ma.fields.Integer(metadata={"description": "Integer minor units (fen for CNY)."})
    currency = ma.fields.String()
    text = ma.fields.String(metadata={"description": "The price as shown, e.g. CN¥45.50."})


class ElsewhereOut(ma.Schema):
    location = ma.fields.String(metadata={"description": "Location code."})
    name = ma.fields.String()
    kind = ma.fields.String(metadata={"description": "store, or warehouse (delivery only)."})
    available = ma.fields.Integer()
    km = ma.fields.Float(allow_none=True, metadata={"description": "From the chosen location, when both are mapped."})


class ShopProductOut(ma.Schema):
    sku = ma.fields.String()
    name = ma.fields.String()
    category = ma.fields.String()
    image = ma.fields.String()
    barcode = ma.fields.String(allow_none=True)
    price = ma.fields.Nested(PriceOut)
    url = ma.fields.String(metadata={"description": "The product's page in the web shop."})
    available_here = ma.fields.Integer(
        allow_none=True, metadata={"description": "Units available at the location asked for; null without one."}
    )
    elsewhere = ma.fields.List(
        ma.fields.Nested(ElsewhereOut), metadata={"description": "Other locations with units available, nearest first."}
    )


class ShopProductPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ShopProductOut))
    next_cursor = ma.fields.String(allow_none=True)
