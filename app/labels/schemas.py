"""JSON shapes for labels."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.catalog.schemas import PageArgs, StrictSchema
from app.labels.services import FORMATS, label_url


class LabelArgs(PageArgs):
    location = ma.fields.String(load_default=None)
    sku = ma.fields.String(load_default=None)


class LabelOut(ma.Schema):
    code = ma.fields.String()
    url = ma.fields.Function(lambda label: label_url(label.code), metadata={"type": "string"})
    sku = ma.fields.Function(lambda label: label.product.sku, metadata={"type": "string"})
    location = ma.fields.Function(lambda label: label.location.code, metadata={"type": "string"})
    version = ma.fields.Integer()
    printed_version = ma.fields.Integer(metadata={"description": "0 when never printed."})
    needs_reprint = ma.fields.Boolean()


class LabelPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LabelOut))
    next_cursor = ma.fields.String(allow_none=True)


class PrintIn(StrictSchema):
    location = ma.fields.String(required=True)
    skus = ma.fields.List(
        ma.fields.String(), load_default=None, metadata={"description": "Leave out for every active product."}
    )
    format = ma.fields.String(load_default="a4", validate=validate.OneOf(FORMATS))
    background = ma.fields.Boolean(
        load_default=False, metadata={"description": "Always answer 202 with a job, whatever the size."}
    )
