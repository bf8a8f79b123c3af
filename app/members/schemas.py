"""JSON shapes for members."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.catalog.schemas import PageArgs, StrictSchema
from app.labels.qr import qr_svg


class SignUpIn(StrictSchema):
    login = ma.fields.String(required=True, metadata={"description": "E-mail or phone number."})
    password = ma.fields.String(required=True, load_only=True)
    name = ma.fields.String(load_default="", validate=validate.Length(max=120))


class SignInIn(StrictSchema):
    login = ma.fields.String(required=True)
    password = ma.fields.String(required=True, load_only=True)


class IdentifierOut(ma.Schema):
    kind = ma.fields.String()
    value = ma.fields.String()
    verified = ma.fields.Boolean()


class MemberOut(ma.Schema):
    id = ma.fields.Integer()
    name = ma.fields.String()
    first_name = ma.fields.String()
    points = ma.fields.Integer()
    identifiers = ma.fields.List(ma.fields.Nested(IdentifierOut))


class ProfileIn(StrictSchema):
    name = ma.fields.String(validate=validate.Length(max=120))


class CodeOut(ma.Schema):
    code = ma.fields.String()
    shows_from = ma.fields.DateTime()
    expires_at = ma.fields.DateTime()
    svg = ma.fields.Function(
        lambda c: qr_svg(c.code), metadata={"type": "string", "description": "The code as a QR (SVG)."}
    )


class MemberCodeOut(ma.Schema):
    code = ma.fields.String(metadata={"description": "Show this one now (as a QR)."})
    expires_at = ma.fields.DateTime()
    ahead = ma.fields.List(
        ma.fields.Nested(CodeOut), metadata={"description": "This code and the next ones, to show offline."}
    )


class RedeemIn(StrictSchema):
    code = ma.fields.String(required=True)
    location = ma.fields.String(load_default=None, metadata={"description": "Where it was scanned (store code)."})


class RedeemOut(ma.Schema):
    member = ma.fields.Nested(MemberOut)


class ScanArgs(PageArgs):
    pass


class ScanOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    channel = ma.fields.String()
    at = ma.fields.DateTime()
    sku = ma.fields.String(allow_none=True)
    product = ma.fields.String(allow_none=True)
    location = ma.fields.String(allow_none=True)
    location_name = ma.fields.String(allow_none=True)


class ScanPage(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ScanOut))
    next_cursor = ma.fields.String(allow_none=True)
