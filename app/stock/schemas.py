"""JSON shapes for stock."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.catalog.schemas import PageArgs, StrictSchema
from app.core.schemas import MAX_QUANTITY, positive_quantity, quantity_range

REASONS = ("receive", "sale", "return", "adjust", "count")


class MovementIn(StrictSchema):
    sku = ma.fields.String(required=True)
    location = ma.fields.String(required=True)
    reason = ma.fields.String(required=True, validate=validate.OneOf(REASONS))
    delta = ma.fields.Integer(
        strict=True,
        validate=quantity_range,
        metadata={"description": "Signed change of on hand: positive for receive and return, negative for sale."},
    )
    counted = ma.fields.Integer(
        strict=True,
        validate=validate.Range(min=0, max=MAX_QUANTITY),
        metadata={"description": "For reason=count: the units found."},
    )
    reference = ma.fields.String(load_default="", validate=validate.Length(max=120))
    note = ma.fields.String(load_default="", validate=validate.Length(max=255))


class MovementBatchIn(StrictSchema):
    movements = ma.fields.List(ma.fields.Nested(MovementIn), required=True, validate=validate.Length(min=1, max=500))


class LevelOut(ma.Schema):
    sku = ma.fields.String()
    location = ma.fields.String()
    on_hand = ma.fields.Integer()
    reserved = ma.fields.Integer()
    available = ma.fields.Integer()
    version = ma.fields.Integer()


class MovementOut(ma.Schema):
    id = ma.fields.Integer()
    sku = ma.fields.String()
    location = ma.fields.String()
    reason = ma.fields.String()
    delta = ma.fields.Integer()
    reserved_delta = ma.fields.Integer()
    reference = ma.fields.String()
    note = ma.fields.String()
    reservation_id = ma.fields.Integer(allow_none=True)
    actor = ma.fields.String()
    created_at = ma.fields.DateTime()
    level = ma.fields.Nested(LevelOut)


class MovementsOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MovementOut))


class LevelArgs(StrictSchema):
    sku = ma.fields.String(load_default=None)
    location = ma.fields.String(load_default=None)


class LevelList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LevelOut))


class HistoryArgs(PageArgs):
    sku = ma.fields.String(load_default=None)
    location = ma.fields.String(load_default=None)


class MovementPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MovementOut))
    next_cursor = ma.fields.String(allow_none=True)


class TransferIn(StrictSchema):
    sku = ma.fields.String(required=True)
    source = ma.fields.String(required=True, data_key="from")
    target = ma.fields.String(required=True, data_key="to")
    quantity = ma.fields.Integer(required=True, strict=True, validate=positive_quantity)
    reference = ma.fields.String(load_default="", validate=validate.Length(max=120))


class ReservationIn(StrictSchema):
    sku = ma.fields.String(required=True)
    location = ma.fields.String(required=True)
    quantity = ma.fields.Integer(required=True, strict=True, validate=positive_quantity)
    reference = ma.fields.String(load_default="", validate=validate.Length(max=120))
    ttl_seconds = ma.fields.Integer(load_default=900, strict=True, validate=validate.Range(min=1, max=7 * 86400))


class ReservationOut(ma.Schema):
    id = ma.fields.Integer()
    sku = ma.fields.String()
    location = ma.fields.String()
    quantity = ma.fields.Integer()
    status = ma.fields.String()
    reference = ma.fields.String()
    expires_at = ma.fields.DateTime()
    level = ma.fields.Nested(LevelOut)
