"""How the reports read: their columns, a window from a request's arguments, and CSV."""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, timedelta

from flask import Response

from app.analytics import services
from app.core.csvfiles import spreadsheet_safe
from app.db import utcnow

TITLES = {
    "products": "Scans by product",
    "stores": "Scans by store",
    "hours": "Scans by hour of the day",
    "not_bought": "Scanned, not bought",
    "out_of_stock": "Out of stock when scanned",
    "unknown": "Codes nobody knew",
}
# (column, heading) per report, in the order pages and CSV files show them.
COLUMNS = {
    "products": [("sku", "SKU"), ("name", "Product"), ("scans", "Scans"), ("shopper_days", "Shopper-days")],
    "stores": [("store", "Store"), ("store_name", "Name"), ("scans", "Scans"), ("phone", "Phone"), ("kiosk", "Kiosk")],
    "hours": [("store", "Store"), ("hour", "Hour"), ("scans", "Scans")],
    "not_bought": [
        ("sku", "SKU"),
        ("name", "Product"),
        ("store", "Store"),
        ("scanned", "Shopper-days scanned"),
        ("not_bought", "Not bought that day"),
    ],
    "out_of_stock": [("sku", "SKU"), ("name", "Product"), ("store", "Store"), ("scans", "Scans with none available")],
    "unknown": [("code", "Code"), ("store", "Store"), ("scans", "Scans"), ("last", "Last seen (UTC)")],
}
MAX_DAYS = 366


def days(first: date | None, last: date | None, span: int = 7) -> tuple[date, date]:
    """The stores' days a report covers (both included); by default the last ``span`` days to today."""
    last = last or utcnow().date()
    first = first or last - timedelta(days=span - 1)
    if first > last:
        first, last = last, first
    return max(first, last - timedelta(days=MAX_DAYS - 1)), last


def cell(row: dict, column: str) -> object:
    value = row.get(column)
    return value.strftime("%Y-%m-%d %H:%M") if isinstance(value, datetime) else value


def csv_response(name: str, rows: list[dict], first: date, last: date) -> Response:
    """One report as a CSV download."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([heading for _, heading in COLUMNS[name]])
    for row in rows:
        writer.writerow([spreadsheet_safe(cell(row, column)) for column, _ in COLUMNS[name]])
    filename = f"scans-{name}-{first:%Y%m%d}-{last:%Y%m%d}.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f"attachment; filename={filename}"}
    )


def json_rows(rows: list[dict]) -> list[dict]:
    """Rows with times as ISO text."""
    return [{k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in row.items()} for row in rows]


__all__ = ["COLUMNS", "TITLES", "csv_response", "days", "json_rows", "services"]
