"""Product import and export as CSV.

Every row is checked before anything is written. With mode "all" one bad row means
nothing is written; with "valid_only" the good rows are imported and the bad ones listed.
"""

from __future__ import annotations

import csv
import io
from typing import Any

import marshmallow as ma
from flask import Response, current_app
from sqlalchemy import select

from app.catalog import services
from app.catalog.images import check_image_url
from app.catalog.models import Product
from app.core.csvfiles import count_rows, decode, spreadsheet_safe, unescape_cell  # noqa: F401 - callers use them from here
from app.errors import DomainError
from app.extensions import db
from app.money import check_currency, parse_amount, to_decimal_text

COLUMNS = ["sku", "name", "price", "currency", "barcode", "category", "description", "image", "active"]
REQUIRED = ("sku", "name", "price")
TRUE = {"1", "true", "yes", "y", "on", ""}
FALSE = {"0", "false", "no", "n", "off"}


class RowError(ma.Schema):
    line = ma.fields.Integer()
    sku = ma.fields.String(allow_none=True)
    field = ma.fields.String(allow_none=True)
    message = ma.fields.String()


class ImportResult(ma.Schema):
    created = ma.fields.Integer()
    updated = ma.fields.Integer()
    unchanged = ma.fields.Integer()
    rows = ma.fields.Integer()
    errors = ma.fields.List(ma.fields.Nested(RowError))
    written = ma.fields.Boolean(metadata={"description": "False when nothing was written."})


def _parse_row(row: dict[str, str], default_currency: str) -> dict[str, Any]:
    """One CSV row as product fields; raises DomainError naming the bad field."""
    values: dict[str, Any] = {}
    for name in REQUIRED:
        if not (row.get(name) or "").strip():
            raise _FieldError(name, f"{name} is required.")
    sku = row["sku"].strip()
    if not services.SKU_RE.match(sku) or sku.lower() in services.RESERVED_SKUS:
        raise _FieldError("sku", "A SKU is 1-64 letters, digits, dots, dashes or underscores, and not a page name.")
    values["sku"] = sku
    values["name"] = row["name"].strip()[:200]
    currency_text = (row.get("currency") or "").strip() or default_currency
    for field, parse in (
        ("currency", lambda: check_currency(currency_text)),
        ("price", lambda: parse_amount(row["price"], values["currency"])),
        ("barcode", lambda: services.normalise_barcode(row.get("barcode"))),
    ):
        try:
            values[field] = parse()
        except DomainError as error:
            raise _FieldError(field, error.message) from None
    active = (row.get("active") or "").strip().lower()
    if active not in TRUE | FALSE:
        raise _FieldError("active", "active must be true or false.")
    values["active"] = active in TRUE
    for field in ("category", "description"):
        values[field] = (row.get(field) or "").strip()
    try:
        values["image"] = check_image_url(row.get("image"))
    except DomainError as error:
        raise _FieldError("image", error.message) from None
    return values


class _FieldError(Exception):
    def __init__(self, field: str, message: str) -> None:
        self.field, self.message = field, message


def check_rows(text: str, report=None) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Parse and check every row: (good rows with their line numbers, errors)."""
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise DomainError(
            "invalid_header",
            f"The first line must name the columns; missing: {', '.join(missing)}.",
            details={"expected": COLUMNS},
        )
    reader.fieldnames = header
    default_currency = current_app.config["DEFAULT_CURRENCY"]
    good, errors = [], []
    seen_sku: dict[str, int] = {}
    seen_barcode: dict[str, int] = {}
    owners = dict(db.session.execute(select(Product.barcode, Product.sku).where(Product.barcode.is_not(None))).all())
    total = count_rows(text)
    for index, row in enumerate(reader):
        line = index + 2  # the header is line 1
        sku = (row.get("sku") or "").strip() or None
        try:
            if None in row:
                raise _FieldError(None, "This line has more values than the header has columns.")
            row = {name: unescape_cell(value or "") for name, value in row.items()}
            values = _parse_row(row, default_currency)
            if sku in seen_sku:
                raise _FieldError("sku", f"SKU {sku} is also on line {seen_sku[sku]}.")
            barcode = values["barcode"]
            if barcode and barcode in seen_barcode:
                raise _FieldError("barcode", f"Barcode {barcode} is also on line {seen_barcode[barcode]}.")
            if barcode and owners.get(barcode, sku) != sku:
                raise _FieldError("barcode", f"Barcode {barcode} already belongs to {owners[barcode]}.")
        except _FieldError as error:
            errors.append({"line": line, "sku": sku, "field": error.field, "message": error.message})
            continue
        finally:
            if report and index % 200 == 0:
                report(index, total)
        seen_sku[sku] = line
        if values["barcode"]:
            seen_barcode[values["barcode"]] = line
        good.append(values)
    return good, errors


def import_csv(text: str, mode: str = "all", report=None) -> dict[str, Any]:
    """Check every row, then write them all (or only the good ones with mode="valid_only")."""
    good, errors = check_rows(text, report)
    result = {
        "rows": len(good) + len(errors),
        "errors": errors,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "written": False,
    }
    if errors and mode == "all" or not good:
        return result
    existing = {p.sku: p for p in db.session.scalars(select(Product).where(Product.sku.in_([v["sku"] for v in good])))}
    created = []
    for values in good:
        product = existing.get(values["sku"])
        fields = {k: v for k, v in values.items() if k not in ("sku", "price")}
        fields["price_amount"] = values["price"]
        if product is None:
            product = Product(sku=values["sku"], **fields)
            db.session.add(product)
            created.append(product)
        elif any(getattr(product, k) != v for k, v in fields.items()):
            services.update_product(product, **fields)
            result["updated"] += 1
        else:
            result["unchanged"] += 1
    db.session.flush()
    services.announce_created(created)
    result["created"] = len(created)
    result["written"] = True
    if report:
        report(result["rows"], result["rows"])
    return result


def start_import_job(text: str, mode: str):
    """Import a big file in the background; the job shows progress."""
    from app.jobs import services as jobs

    return jobs.start_import("product_import", count_rows(text), import_csv, text, mode)


def export_rows() -> str:
    """Every product as CSV text, in import columns."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(COLUMNS)
    for p in db.session.scalars(select(Product).order_by(Product.id)):
        row = [
            p.sku,
            p.name,
            to_decimal_text(p.price_amount, p.currency),
            p.currency,
            p.barcode or "",
            p.category,
            p.description,
            p.image,
            "true" if p.active else "false",
        ]
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return out.getvalue()


def export_response() -> Response:
    return Response(
        export_rows(),
        mimetype="text/csv",
        headers={"Content-Disposition": "attachment; filename=products.csv"},
    )
