"""Feedback in the JSON API: what a shopper sends, and what staff read."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.catalog.schemas import StrictSchema
from app.feedback.models import SUBJECTS


class FeedbackIn(StrictSchema):
    subject = ma.fields.String(
        required=True, validate=validate.OneOf(SUBJECTS), metadata={"description": "order, parcel, return or help."}
    )
    ref = ma.fields.String(
        required=True,
        validate=validate.Length(min=1, max=24),
        metadata={"description": "The order or return number, or the parcel's or help request's id."},
    )
    rating = ma.fields.Integer(required=True, strict=True, validate=validate.Range(min=1, max=5))
    comment = ma.fields.String(load_default="", validate=validate.Length(max=1000))


class FeedbackOut(ma.Schema):
    id = ma.fields.Integer()
    subject = ma.fields.String()
    title = ma.fields.String()
    location = ma.fields.Integer(metadata={"description": "The store's id."})
    channel = ma.fields.String(
        metadata={"description": "kiosk, phone, online, collect, deliver, store, mail or pickup."}
    )
    clerk = ma.fields.String(metadata={"description": "Who served the shopper, when a clerk did."})
    rating = ma.fields.Integer()
    comment = ma.fields.String()
    low = ma.fields.Boolean(metadata={"description": "A rating of 2 or less: the store's staff were told at once."})
    created_at = ma.fields.String()


class FeedbackQuery(StrictSchema):
    location = ma.fields.String(
        load_default=None, metadata={"description": "A store's code (default: every store you see)."}
    )
    since = ma.fields.Date(
        load_default=None, data_key="from", metadata={"description": "First day (default: 27 days before the last)."}
    )
    until = ma.fields.Date(
        load_default=None, data_key="to", metadata={"description": "Last day, included (default: today, UTC)."}
    )


class GroupOut(ma.Schema):
    name = ma.fields.String()
    count = ma.fields.Integer()
    average = ma.fields.String(metadata={"description": "The average rating to one decimal."})
    low = ma.fields.Integer()


class SummaryOut(ma.Schema):
    store = ma.fields.List(ma.fields.Nested(GroupOut))
    channel = ma.fields.List(ma.fields.Nested(GroupOut))
    clerk = ma.fields.List(ma.fields.Nested(GroupOut))
    week = ma.fields.List(ma.fields.Nested(GroupOut))


class FeedbackListOut(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FeedbackOut), metadata={"description": "Newest first, at most 500."})
    summary = ma.fields.Nested(SummaryOut)
