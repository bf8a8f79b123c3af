"""JSON shapes of merchants, rates, statements and payout batches (also the OpenAPI document)."""

from __future__ import annotations

import marshmallow as ma
from marshmallow import validate

from app.core.schemas import id_range


class StrictSchema(ma.Schema):
    class Meta:
        unknown = ma.RAISE


class MerchantIn(StrictSchema):
    code = ma.fields.String(
        required=True, validate=validate.Length(min=1, max=32), metadata={"pattern": r"^[A-Z0-9][A-Z0-9_-]{0,31}$"}
    )
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    payout_account = ma.fields.String(
        load_default="", validate=validate.Length(max=200), metadata={"description": "Bank and account number."}
    )
    settlement_days = ma.fields.Integer(
        load_default=1,
        strict=True,
        validate=validate.Range(min=1, max=90),
        metadata={"description": "T+N: the sales of N days are settled together (T+1 by default)."},
    )
    commission_rate = ma.fields.Integer(
        load_default=None,
        allow_none=True,
        strict=True,
        validate=validate.Range(min=0, max=10000),
        metadata={"description": "The general commission in basis points (1000 = 10%), from now on."},
    )
    currency = ma.fields.String(load_default="CNY", validate=validate.Length(equal=3))


class RateIn(StrictSchema):
    rate = ma.fields.Integer(
        required=True,
        strict=True,
        validate=validate.Range(min=0, max=10000),
        metadata={"description": "Basis points of the gross sale (1000 = 10%)."},
    )
    category = ma.fields.String(
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=80),
        metadata={"description": "A product category; absent: the merchant's general rate."},
    )
    effective_from = ma.fields.AwareDateTime(
        load_default=None,
        allow_none=True,
        default_timezone=None,
        metadata={"description": "When it starts (now or later; absent: now). Sales before it keep their rate."},
    )


class RateOut(ma.Schema):
    id = ma.fields.Integer()
    category = ma.fields.String(allow_none=True)
    rate = ma.fields.Integer()
    effective_from = ma.fields.DateTime()


class MerchantOut(ma.Schema):
    id = ma.fields.Integer()
    code = ma.fields.String()
    name = ma.fields.String()
    payout_account = ma.fields.String()
    settlement_days = ma.fields.Integer()
    currency = ma.fields.String()
    active = ma.fields.Boolean()


class MerchantList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MerchantOut))


class RateList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(RateOut))


class ProductsIn(StrictSchema):
    skus = ma.fields.List(
        ma.fields.String(validate=validate.Length(min=1, max=64)),
        required=True,
        validate=validate.Length(max=1000),
        metadata={"description": "The merchant's products from now on: others of it become the operator's."},
    )


class ProductRef(ma.Schema):
    sku = ma.fields.String()
    name = ma.fields.String()
    category = ma.fields.String()


class ProductList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(ProductRef))


class StatementOut(ma.Schema):
    id = ma.fields.Integer()
    number = ma.fields.String()
    merchant = ma.fields.Function(lambda s: s.merchant_id)
    period_start = ma.fields.DateTime(allow_none=True)
    period_end = ma.fields.DateTime()
    currency = ma.fields.String()
    entry_count = ma.fields.Integer()
    gross_sales = ma.fields.Integer(metadata={"description": "Minor units, as every amount here."})
    refunds = ma.fields.Integer(metadata={"description": "Gross value clawed back by refunds and returns."})
    commission = ma.fields.Integer()
    carried_in = ma.fields.Integer(metadata={"description": "A negative balance of the previous statement."})
    net = ma.fields.Integer()
    payout = ma.fields.Integer()
    carried_out = ma.fields.Integer(metadata={"description": "A negative balance taken into the next statement."})
    tax = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), metadata={"description": "Tax per rate."})
    pdf_url = ma.fields.Method("_pdf")
    csv_url = ma.fields.Method("_csv")

    def _pdf(self, statement) -> str:
        from flask import url_for

        return url_for("settlement_api.statement_pdf", statement_id=statement.id)

    def _csv(self, statement) -> str:
        from flask import url_for

        return url_for("settlement_api.statement_csv", statement_id=statement.id)


class StatementList(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StatementOut))


class CloseIn(StrictSchema):
    merchants = ma.fields.List(
        ma.fields.Integer(strict=True, validate=id_range),
        load_default=None,
        allow_none=True,
        validate=validate.Length(max=10000),
        metadata={"description": "Merchant ids to close; absent: every merchant."},
    )


class JobRef(ma.Schema):
    id = ma.fields.String()
    status_url = ma.fields.String()
