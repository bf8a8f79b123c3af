"""Merchants, their products and their commission rates. Functions flush, callers commit.

A commission rate holds from its ``effective_from`` until the next one of the same merchant
and category: a sale takes the category's rate in force at its moment, else the merchant's
general rate, and keeps it (the entry stores it). Rates start now or later, never earlier,
so a change never reaches back to sales already made.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import UTC, date, datetime

from sqlalchemy import func, select, update

from app.catalog import services as catalog
from app.catalog.models import Product
from app.db import utcnow
from app.errors import Conflict, DomainError, NotFound
from app.extensions import db
from app.settlement.models import CommissionRate, Merchant

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,31}$")
BASIS = 10_000


def create_merchant(
    code: str, name: str, payout_account: str = "", settlement_days: int = 1, currency: str = "CNY"
) -> Merchant:
    """Add a merchant (T+1 unless told otherwise)."""
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise DomainError("invalid_code", "A merchant code is 1-32 letters, digits, '-' or '_'.", status=422)
    if not name.strip():
        raise DomainError("invalid_name", "A merchant needs a name.", status=422)
    if not 1 <= settlement_days <= 90:
        raise DomainError("invalid_cycle", "The settlement cycle is T+1 to T+90 days.", status=422)
    if db.session.scalar(select(Merchant.id).filter_by(code=code)) is not None:
        raise Conflict("merchant_exists", f"A merchant with code {code} already exists.")
    merchant = Merchant(
        code=code,
        name=name.strip(),
        payout_account=payout_account.strip(),
        settlement_days=settlement_days,
        currency=currency,
    )
    db.session.add(merchant)
    db.session.flush()
    return merchant


def get_merchant(merchant_id: int) -> Merchant:
    """The merchant with this id, or 404."""
    merchant = db.session.get(Merchant, merchant_id)
    if merchant is None:
        raise NotFound("merchant_not_found", f"No merchant {merchant_id}.")
    return merchant


def merchant_by_code(code: str) -> Merchant:
    """The merchant with this code, or 404."""
    merchant = db.session.scalar(select(Merchant).filter_by(code=code.strip().upper()))
    if merchant is None:
        raise NotFound("merchant_not_found", f"No merchant {code!r}.")
    return merchant


def list_merchants() -> list[Merchant]:
    """Every merchant, by code."""
    return list(db.session.scalars(select(Merchant).order_by(Merchant.code)))


def _start(effective_from: datetime | date | None) -> datetime:
    """When a new rate starts: now, or a later moment (a date means its first moment, UTC)."""
    now = utcnow()
    if effective_from is None:
        return now
    if not isinstance(effective_from, datetime):
        effective_from = datetime(effective_from.year, effective_from.month, effective_from.day, tzinfo=UTC)
    if effective_from.tzinfo is None:
        effective_from = effective_from.replace(tzinfo=UTC)
    if effective_from.date() == now.date() and effective_from < now:
        return now  # "from today": from now on, today's earlier sales keep their rate
    if effective_from < now:
        raise DomainError("rate_in_past", "A rate starts today or later; past sales keep theirs.", status=422)
    return effective_from


def set_rate(
    merchant: Merchant, rate: int, category: str | None = None, effective_from: datetime | date | None = None
) -> CommissionRate:
    """A new commission rate (basis points) for the merchant, or for one category of its products."""
    if isinstance(rate, bool) or not isinstance(rate, int) or not 0 <= rate <= BASIS:
        raise DomainError("invalid_rate", "A rate is 0 to 10000 basis points (1000 = 10%).", status=422)
    row = CommissionRate(
        merchant_id=merchant.id,
        category=(category or "").strip().casefold() or None,
        rate=rate,
        effective_from=_start(effective_from),
    )
    db.session.add(row)
    db.session.flush()
    return row


def rates_of(merchant_id: int) -> list[CommissionRate]:
    """A merchant's rates, the general ones first, oldest first."""
    query = select(CommissionRate).where(CommissionRate.merchant_id == merchant_id)
    order = (CommissionRate.category.is_not(None), CommissionRate.category, CommissionRate.effective_from)
    return list(db.session.scalars(query.order_by(*order, CommissionRate.id)))


def rate_at(merchant_id: int, category: str | None, at: datetime) -> int:
    """The rate in force at ``at``: the category's, else the general one, else 0."""
    wanted = (category or "").strip().casefold() or None
    for cat in ([wanted] if wanted else []) + [None]:
        cond = CommissionRate.category == cat if cat is not None else CommissionRate.category.is_(None)
        rate = db.session.scalar(
            select(CommissionRate.rate)
            .where(CommissionRate.merchant_id == merchant_id, cond, CommissionRate.effective_from <= at)
            .order_by(CommissionRate.effective_from.desc(), CommissionRate.id.desc())
            .limit(1)
        )
        if rate is not None:
            return rate
    return 0


def assign_products(merchant: Merchant, skus: Collection[str]) -> list[Product]:
    """Make these products the merchant's (an unknown SKU: 404, nothing changed)."""
    products = [catalog.get_product(sku) for sku in skus]
    taken = [p.sku for p in products if p.merchant_id not in (None, merchant.id)]
    if taken:
        raise Conflict("product_of_other_merchant", f"Another merchant sells {', '.join(taken)}.")
    for product in products:
        product.merchant_id = merchant.id
    db.session.flush()
    return products


def release_products(merchant: Merchant, skus: Collection[str]) -> int:
    """These products are the operator's again; returns how many changed."""
    result = db.session.execute(
        update(Product)
        .where(Product.merchant_id == merchant.id, Product.sku.in_(list(skus)))
        .values(merchant_id=None)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount


def products_of(merchant_id: int) -> list[Product]:
    """The merchant's products, by SKU."""
    return list(db.session.scalars(select(Product).where(Product.merchant_id == merchant_id).order_by(Product.sku)))


def product_counts() -> dict[int, int]:
    """Products per merchant id."""
    rows = db.session.execute(
        select(Product.merchant_id, func.count()).where(Product.merchant_id.is_not(None)).group_by(Product.merchant_id)
    )
    return {merchant_id: count for merchant_id, count in rows}
