"""Help requests in the JSON API: what a phone sends and what it gets back."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.catalog.schemas import StrictSchema


class HelpRequestIn(StrictSchema):
    location = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=32), metadata={"description": "The store's code."}
    )
    topic = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=200),
        metadata={"description": 'What it is about, e.g. "basket" (a product is better named by sku).'},
    )
    sku = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(min=1, max=64),
        metadata={"description": "The product the shopper is looking at."},
    )


class HelpRequestOut(ma.Schema):
    id = ma.fields.Integer()
    status = ma.fields.String(metadata={"description": "open, claimed, answered, closed or cancelled."})
    location = ma.fields.String()
    location_name = ma.fields.String()
    topic = ma.fields.String()
    created_at = ma.fields.String()
    answer_within_minutes = ma.fields.Integer(metadata={"description": "The store's service standard."})
    claimed_by = ma.fields.String(allow_none=True, metadata={"description": "The clerk on the way."})
    claimed_at = ma.fields.String(allow_none=True)
    answered_by = ma.fields.String(allow_none=True)
