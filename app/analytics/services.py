"""Scan analytics: reports over a range of the stores' own days, read from the counts ``rollup`` keeps.

- **products / stores / hours**: product scans (shelf labels, barcodes) on phones and kiosks.
- **not bought**: per product and store, the shopper-days it was scanned, and how many of
  those ended without the shopper buying it that day (anywhere).
- **out of stock**: product scans that found none available at that store.
- **unknown**: codes nobody knew, for the reprint list.

Every store's days are its own (its time zone). The recent days are counted again every
minute by the job runner; older days when ``flask analytics rebuild`` says so.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.sql import Select

from app.analytics.models import ScanDay, ScanHour, UnknownCodeDay
from app.catalog import services as catalog
from app.catalog.models import Product
from app.extensions import db

REPORTS = ("products", "stores", "hours", "not_bought", "out_of_stock", "unknown")
LIMIT = 100


@dataclass(frozen=True)
class Window:
    """The stores' days a report covers (first and last included), and which stores."""

    first: date
    last: date
    location_ids: tuple[int, ...]


def window(first: date, last: date, location_ids: Collection[int] | None = None) -> Window:
    """A report window over these stores (every store when None)."""
    places = catalog.all_locations()
    chosen = tuple(sorted(loc.id for loc in places if location_ids is None or loc.id in location_ids))
    return Window(first, last, chosen)


def _days(table, w: Window) -> list:
    return [table.day >= w.first.isoformat(), table.day <= w.last.isoformat(), table.location_id.in_(w.location_ids)]


def _rows(query: Select) -> list[dict]:
    return [dict(row._mapping) for row in db.session.execute(query)]


def scans_by_product(w: Window) -> list[dict]:
    """Product scans per product, most scanned first, with the shopper-days behind them."""
    scans = func.sum(ScanDay.phone + ScanDay.kiosk)
    query = (
        select(Product.sku, Product.name, scans.label("scans"), func.sum(ScanDay.shopper_days).label("shopper_days"))
        .join(Product, Product.id == ScanDay.product_id)
        .where(*_days(ScanDay, w))
        .group_by(Product.id, Product.sku, Product.name)
        .order_by(scans.desc(), Product.sku)
        .limit(LIMIT)
    )
    return _rows(query)


def scans_by_store(w: Window) -> list[dict]:
    """Product scans per store, by channel."""
    query = (
        select(
            ScanDay.location_id,
            func.sum(ScanDay.phone + ScanDay.kiosk).label("scans"),
            func.sum(ScanDay.phone).label("phone"),
            func.sum(ScanDay.kiosk).label("kiosk"),
        )
        .where(*_days(ScanDay, w))
        .group_by(ScanDay.location_id)
        .order_by(ScanDay.location_id)
    )
    return _named(_rows(query))


def scans_by_hour(w: Window) -> list[dict]:
    """Product scans per store and hour of the store's day (0-23)."""
    query = (
        select(ScanHour.location_id, ScanHour.hour, func.sum(ScanHour.scans).label("scans"))
        .where(*_days(ScanHour, w))
        .group_by(ScanHour.location_id, ScanHour.hour)
        .order_by(ScanHour.location_id, ScanHour.hour)
    )
    return _named(_rows(query))


def scanned_not_bought(w: Window) -> list[dict]:
    """Per product and store: shopper-days scanned, and those not bought that day (most missed first)."""
    missed = func.sum(ScanDay.not_bought)
    query = (
        select(
            Product.sku,
            Product.name,
            ScanDay.location_id,
            func.sum(ScanDay.shopper_days).label("scanned"),
            missed.label("not_bought"),
        )
        .join(Product, Product.id == ScanDay.product_id)
        .where(*_days(ScanDay, w))
        .group_by(Product.id, Product.sku, Product.name, ScanDay.location_id)
        .having(func.sum(ScanDay.shopper_days) > 0)
        .order_by(missed.desc(), Product.sku, ScanDay.location_id)
        .limit(LIMIT)
    )
    return _named(_rows(query))


def out_of_stock_scans(w: Window) -> list[dict]:
    """Per product and store: scans that found none available there (most first)."""
    scans = func.sum(ScanDay.out_of_stock)
    query = (
        select(Product.sku, Product.name, ScanDay.location_id, scans.label("scans"))
        .join(Product, Product.id == ScanDay.product_id)
        .where(*_days(ScanDay, w))
        .group_by(Product.id, Product.sku, Product.name, ScanDay.location_id)
        .having(scans > 0)
        .order_by(scans.desc(), Product.sku, ScanDay.location_id)
        .limit(LIMIT)
    )
    return _named(_rows(query))


def unknown_codes(w: Window) -> list[dict]:
    """Codes scanned at these stores that nobody knew: a label to reprint, or a product to add."""
    scans = func.sum(UnknownCodeDay.scans)
    query = (
        select(
            UnknownCodeDay.code,
            UnknownCodeDay.location_id,
            scans.label("scans"),
            func.max(UnknownCodeDay.last_at).label("last"),
        )
        .where(*_days(UnknownCodeDay, w))
        .group_by(UnknownCodeDay.code, UnknownCodeDay.location_id)
        .order_by(scans.desc(), UnknownCodeDay.code)
        .limit(LIMIT)
    )
    return _named(_rows(query))


def _named(rows: list[dict]) -> list[dict]:
    """Each row with its store's code and name."""
    places = catalog.locations_by_id({row["location_id"] for row in rows})
    for row in rows:
        place = places.get(row["location_id"])
        row["store"], row["store_name"] = (place.code, place.name) if place else ("", "")
    return rows


def report(name: str, w: Window) -> list[dict]:
    """One of REPORTS over the window."""
    return {
        "products": scans_by_product,
        "stores": scans_by_store,
        "hours": scans_by_hour,
        "not_bought": scanned_not_bought,
        "out_of_stock": out_of_stock_scans,
        "unknown": unknown_codes,
    }[name](w)
