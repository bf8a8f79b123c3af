"""Rules for shelf labels. Functions flush, callers commit."""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from app.catalog import services as catalog
from app.catalog.models import Location, Product
from app.core.pagination import paginate
from app.db import begin_write, utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.jobs import services as jobs
from app.labels.models import Label
from app.money import format_money

# Upper-case base32: no 0/1/8/9 to mix up with O/I/B/g, and QR alphanumeric mode.
ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
CODE_LENGTH = 8
FORMATS = ("a4", "thermal-50x30")
QR_ALPHANUMERIC = set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")


def new_code() -> str:
    """A random label code (40 bits)."""
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(code: str) -> str:
    return code.strip().upper()


def label_url(code: str) -> str:
    """The URL a label's QR holds; upper case when the base URL allows it (smaller QR)."""
    base = current_app.config["PUBLIC_BASE_URL"]
    parts = urlsplit(base)
    # Scheme and host are case-insensitive; a path prefix might not be, so keep it as is.
    if parts.path in ("", "/") and set(base.upper()) <= QR_ALPHANUMERIC:
        return f"{base.rstrip('/').upper()}/Q/{code}"
    return f"{base.rstrip('/')}/q/{code}"


def ensure_labels(products: list[Product] | None = None, locations: list[Location] | None = None) -> int:
    """Give every product-location pair among these a current label; returns how many were made."""
    query_products = select(Product.id)
    query_locations = select(Location.id)
    if products is not None:
        if not products:
            return 0
        query_products = query_products.where(Product.id.in_([p.id for p in products]))
    if locations is not None:
        if not locations:
            return 0
        query_locations = query_locations.where(Location.id.in_([loc.id for loc in locations]))
    product_ids = list(db.session.scalars(query_products))
    location_ids = list(db.session.scalars(query_locations))
    existing = set(
        db.session.execute(
            select(Label.product_id, Label.location_id).where(
                Label.retired_at.is_(None),
                Label.product_id.in_(product_ids),
                Label.location_id.in_(location_ids),
            )
        ).tuples()
    )
    rows = [
        {
            "code": new_code(),
            "product_id": p,
            "location_id": loc,
            "version": 1,
            "printed_version": 0,
            "created_at": utcnow(),
        }
        for p in product_ids
        for loc in location_ids
        if (p, loc) not in existing
    ]
    # A clash among 2^40 codes is very unlikely; a unique index catches it if it happens.
    for start in range(0, len(rows), 1000):
        db.session.execute(Label.__table__.insert(), rows[start : start + 1000])
    return len(rows)


def mark_changed(product: Product) -> None:
    """What the labels show changed: bump their version, which puts printed ones on the reprint list."""
    db.session.execute(
        update(Label)
        .where(Label.product_id == product.id, Label.retired_at.is_(None))
        .values(version=Label.version + 1)
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def resolve(code: str) -> Label:
    """The label with this code (any case), or 404."""
    label = db.session.scalar(select(Label).filter_by(code=normalise_code(code)))
    if label is None:
        raise NotFound("label_not_found", f"No label with code {code!r}.")
    return label


def current_of(label: Label) -> Label:
    """Follow replacements from a retired label to the one on the shelf now."""
    seen = set()
    while label.retired_at is not None and label.replaced_by_id and label.id not in seen:
        seen.add(label.id)
        label = db.session.get(Label, label.replaced_by_id)
    return label


def replace_label(label: Label) -> Label:
    """Retire a label (lost, damaged, leaked) and give its product a new code at that location."""
    if label.retired_at is not None:
        raise DomainError("label_retired", f"Label {label.code} is already retired.", status=409)
    label.retired_at = utcnow()
    db.session.flush()
    new = Label(code=new_code(), product_id=label.product_id, location_id=label.location_id, version=label.version)
    db.session.add(new)
    db.session.flush()
    label.replaced_by_id = new.id
    return new


def _labels_query(location: Location | None, skus: list[str] | None):
    query = select(Label).where(Label.retired_at.is_(None)).join(Label.product)
    if location is not None:
        query = query.where(Label.location_id == location.id)
    if skus:
        catalog.find_products(skus)  # 404 for an unknown SKU
        query = query.where(Product.sku.in_(skus))
    return query


def list_labels(location_code: str | None, sku: str | None, cursor: str | None, limit: int):
    """A page of current labels, by location and/or SKU."""
    location = catalog.get_location(location_code) if location_code else None
    return paginate(_labels_query(location, [sku] if sku else None), Label.id, cursor, limit)


def labels_to_print(location_code: str, skus: list[str] | None) -> list[Label]:
    """The current labels at a location, for all products or the given SKUs, sorted for the shelf."""
    location = catalog.get_location(location_code)
    query = _labels_query(location, skus).where(Product.active.is_(True))
    labels = list(db.session.scalars(query.options(joinedload(Label.product)).order_by(Product.category, Product.name)))
    if not labels:
        raise DomainError("nothing_to_print", f"No active products to label at {location.code}.")
    return labels


def reprint_list(location_code: str | None = None) -> list[Label]:
    """Printed labels whose product changed since: they show an old price or name."""
    query = _labels_query(catalog.get_location(location_code) if location_code else None, None)
    query = query.where(Label.printed_version > 0, Label.printed_version < Label.version)
    return list(db.session.scalars(query.order_by(Label.location_id, Product.name)))


def reprint_count() -> int:
    return len(reprint_list())


def mark_printed(label_ids: list[int]) -> None:
    """These labels were printed at their current version."""
    for start in range(0, len(label_ids), 500):
        db.session.execute(
            update(Label)
            .where(Label.id.in_(label_ids[start : start + 500]))
            .values(printed_version=Label.version)
            .execution_options(synchronize_session=False)
        )


def label_data(labels: list[Label]) -> list[Any]:
    """What the printer needs for each label, read while the session is open."""
    from app.labels.pdf import LabelData

    return [
        LabelData(
            code=label.code,
            url=label_url(label.code),
            name=label.product.name,
            price=format_money(label.product.price_amount, label.product.currency),
            sku=label.product.sku,
            barcode=label.product.barcode,
            location=label.location.name,
        )
        for label in labels
    ]


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise DomainError("invalid_format", f"Format must be one of: {', '.join(FORMATS)}.")
    return fmt


def render_now(labels: list[Label], fmt: str) -> bytes:
    """A PDF of these labels, made in this request; they count as printed."""
    from app.labels.pdf import render_labels

    pdf = render_labels(label_data(labels), check_format(fmt))
    mark_printed([label.id for label in labels])
    return pdf


def start_print_job(labels: list[Label], fmt: str):
    """Make a big PDF on the job runner; the job shows progress and holds the file."""
    check_format(fmt)
    return jobs.start_job("labels_pdf", len(labels), print_job_work, label_ids=[label.id for label in labels], fmt=fmt)


def print_job_work(report, label_ids: list[int], fmt: str):
    """A label PDF job's work (on a worker; safe to run again): read, render, then mark printed."""
    from app.labels.pdf import render_labels

    query = select(Label).options(joinedload(Label.product), joinedload(Label.location))
    found = {
        label.id: label
        for start in range(0, len(label_ids), 500)
        for label in db.session.scalars(query.where(Label.id.in_(label_ids[start : start + 500])))
    }
    data = label_data([found[label_id] for label_id in label_ids if label_id in found])
    db.session.rollback()  # the render holds no transaction, and no lock
    pdf = render_labels(data, fmt, report)
    begin_write(db.session)
    mark_printed(label_ids)
    pages = (len(data) + 23) // 24 if fmt == "a4" else len(data)
    return {"labels": len(data), "pages": pages, "format": fmt}, pdf, "pdf"
