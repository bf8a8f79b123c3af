"""A statement as PDF and CSV, and a payout batch as the bank's CSV file.

Amounts are printed to the fen; the CSV holds minor units as plain integers (never escaped,
so a spreadsheet sums them) and text cells made spreadsheet-safe.
"""

from __future__ import annotations

import csv
import io
from datetime import datetime
from zoneinfo import ZoneInfo

from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from app.core.csvfiles import spreadsheet_safe
from app.labels.fonts import draw_text, truncate
from app.money import format_money, to_decimal_text
from app.settlement.models import Merchant, PayoutBatch, SettlementEntry, Statement
from app.tax import rate_label

FONT, BOLD = "Helvetica", "Helvetica-Bold"
KIND_WORDS = {"sale": "Sale", "refund": "Refund", "return": "Return"}
LINE_ROWS = 40  # entry rows per page after the first


def _when(moment: datetime | None, zone: ZoneInfo) -> str:
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") if moment else "-"


def summary_rows(statement: Statement) -> list[tuple[str, int]]:
    """The statement's totals, as they are printed (label, minor units)."""
    return [
        ("Gross sales", statement.gross_sales),
        ("Refunds and returns", -statement.refunds),
        ("Commission", -statement.commission),
        ("Carried in", statement.carried_in),
        ("Net", statement.net),
        ("Payout", statement.payout),
        ("Carried forward", statement.carried_out),
    ]


def statement_pdf(
    statement: Statement, merchant: Merchant, entries: list[SettlementEntry], refs: dict[int, tuple[str, str]], zone
) -> bytes:
    """An A4 statement: the totals, tax per rate, then every entry with its order and SKU."""
    out = io.BytesIO()
    c = Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(f"Statement {statement.number}")
    width, height = A4
    left, y = 18 * mm, height - 22 * mm
    money = lambda amount: format_money(amount, statement.currency)  # noqa: E731
    draw_text(c, left, y, "Settlement statement", BOLD, 16)
    y -= 9 * mm
    draw_text(c, left, y, truncate(merchant.name, BOLD, 13, width - 2 * left), BOLD, 13)
    y -= 6 * mm
    for text in (
        f"Merchant {merchant.code} - statement {statement.number}",
        f"Period {_when(statement.period_start, zone)} to {_when(statement.period_end, zone)} ({zone.key})",
        f"Payout account: {merchant.payout_account or '-'}",
    ):
        draw_text(c, left, y, truncate(text, FONT, 10, width - 2 * left), FONT, 10)
        y -= 5 * mm
    y -= 4 * mm
    for label, amount in summary_rows(statement):
        font = BOLD if label in ("Payout", "Net") else FONT
        draw_text(c, left, y, label, font, 11)
        draw_text(c, left + 110 * mm, y, money(amount), font, 11, align="right")
        y -= 6 * mm
    y -= 3 * mm
    draw_text(c, left, y, "Tax included in net sales, per rate", BOLD, 10)
    y -= 5 * mm
    for rate, tax in statement.tax.items():
        draw_text(c, left, y, rate_label(int(rate)), FONT, 10)
        draw_text(c, left + 110 * mm, y, money(tax), FONT, 10, align="right")
        y -= 5 * mm
    y -= 4 * mm
    y = _entries(c, entries, refs, zone, statement.currency, left, y, height)
    c.showPage()
    c.save()
    return out.getvalue()


def _entries(c: Canvas, entries, refs, zone, currency: str, left: float, y: float, height: float) -> float:
    """The entry table, over as many pages as it takes."""
    columns = [(0, "When"), (32, "Order"), (58, "SKU"), (90, "Kind"), (108, "Units")]
    amounts = [(150, "Gross"), (178, "Commission")]

    def header(y: float) -> float:
        for dx, title in columns:
            draw_text(c, left + dx * mm, y, title, BOLD, 8)
        for dx, title in amounts:
            draw_text(c, left + dx * mm, y, title, BOLD, 8, align="right")
        return y - 4.5 * mm

    y = header(y)
    for entry in entries:
        if y < 18 * mm:
            c.showPage()
            y = header(height - 20 * mm)
        number, sku = refs.get(entry.order_line_id, ("", ""))
        cells = [_when(entry.occurred_at, zone), number, truncate(sku, FONT, 8, 30 * mm), KIND_WORDS[entry.kind]]
        cells.append(str(entry.quantity))
        for (dx, _), text in zip(columns, cells, strict=True):
            draw_text(c, left + dx * mm, y, text, FONT, 8)
        for (dx, _), amount in zip(amounts, (entry.gross, entry.commission), strict=True):
            draw_text(c, left + dx * mm, y, format_money(amount, currency), FONT, 8, align="right")
        y -= 4 * mm
    return y


CSV_HEADER = [
    "statement",
    "merchant",
    "occurred_at",
    "kind",
    "order",
    "order_line",
    "sku",
    "source",
    "quantity",
    "gross",
    "commission_rate",
    "commission",
    "net",
    "tax_rate",
]


def statement_csv(statement: Statement, merchant: Merchant, entries, refs: dict[int, tuple[str, str]]) -> str:
    """One row per entry (amounts in minor units), then the totals as rows of their own."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in entries:
        number, sku = refs.get(e.order_line_id, ("", ""))
        writer.writerow(
            [
                spreadsheet_safe(statement.number),
                spreadsheet_safe(merchant.code),
                e.occurred_at.isoformat(),
                e.kind,
                spreadsheet_safe(number),
                e.order_line_id,
                spreadsheet_safe(sku),
                spreadsheet_safe(e.source),
                e.quantity,
                e.gross,
                e.commission_rate,
                e.commission,
                e.gross - e.commission,
                e.tax_rate,
            ]
        )
    writer.writerow([])
    writer.writerow(["total", "minor_units"])
    for label, amount in summary_rows(statement):
        writer.writerow([label, amount])
    for rate, tax in statement.tax.items():
        writer.writerow([f"Tax {rate_label(int(rate))}", tax])
    return out.getvalue()


PAYOUT_HEADER = ["merchant", "name", "account", "amount", "amount_minor", "currency", "reference"]


def payout_csv(batch: PayoutBatch, rows: list[tuple[Statement, Merchant]]) -> str:
    """One row per merchant with a positive payout: account, amount, and the statement as reference."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(PAYOUT_HEADER)
    for statement, merchant in rows:
        if statement.payout <= 0:
            continue
        writer.writerow(
            [
                spreadsheet_safe(merchant.code),
                spreadsheet_safe(merchant.name),
                spreadsheet_safe(merchant.payout_account),
                to_decimal_text(statement.payout, statement.currency),
                statement.payout,
                statement.currency,
                spreadsheet_safe(statement.number),
            ]
        )
    return out.getvalue()
