"""Statements: closed once, never changed; their PDF and CSV show the totals; the payout file; the schedule."""

from __future__ import annotations

import csv
import io
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError

from app.db import begin_write
from app.errors import Conflict
from app.settlement.models import SettlementEntry, Statement
from tests.conftest import need_tool
from tests.settlement.conftest import close

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def only_statement(db, merchant) -> Statement:
    db.session.expire_all()
    [statement] = db.session.scalars(select(Statement).filter_by(merchant_id=merchant.id))
    return statement


@pytest.fixture
def closed(db, make_merchant, merchant_product, sell, refund, give_back):
    """A Chinese-named merchant's closed statement: two sales, a partial refund and a return."""
    merchant = make_merchant(name="杭州龙井茶行 Longjing Tea", rate=800)
    tea = merchant_product(merchant, price=6800, category="Tea")
    book = merchant_product(merchant, price=4500, category="Books")
    first = sell([(tea, 2), (book, 1)])
    second = sell([(tea, 1)])
    refund(first, 1810)
    give_back(second, [(second.lines[0].id, 1)])
    close(db, [merchant.id])
    return merchant, only_statement(db, merchant)


@both
def test_a_statement_holds_the_cycle_and_later_refunds_go_to_the_next(db, closed, sell, refund, merchant_product):
    from app.settlement import statements

    merchant, statement = closed
    assert statement.gross_sales == 2 * 6800 + 4500 + 6800
    assert statement.refunds == 1810 + 6800
    sales = statement.gross_sales - statement.refunds
    assert statement.payout == sales - statement.commission and statement.carried_out == 0
    before = {c: getattr(statement, c) for c in ("gross_sales", "refunds", "commission", "payout", "entry_count")}
    from app.orders.models import Order

    first = db.session.scalar(
        select(Order)
        .join(SettlementEntry, SettlementEntry.order_id == Order.id)
        .where(SettlementEntry.merchant_id == merchant.id, SettlementEntry.kind == "refund")
    )
    refund(first, 100)
    again = only_statement(db, merchant)
    assert {c: getattr(again, c) for c in before} == before
    open_entry = db.session.scalar(
        select(SettlementEntry).where(
            SettlementEntry.merchant_id == merchant.id, SettlementEntry.booked_at >= statement.period_end
        )
    )
    assert open_entry.kind == "refund" and open_entry.gross < 0
    assert open_entry not in statements.entries_of(again)


@both
def test_closed_statements_and_entries_cannot_be_changed(db, closed):
    merchant, statement = closed
    begin_write(db.session)
    statement.payout += 1
    with pytest.raises(Conflict):
        db.session.flush()
    db.session.rollback()
    # Past the ORM too: the database itself refuses.
    for sql in (
        "UPDATE settlement_statements SET payout = payout + 1",
        "DELETE FROM settlement_statements",
        "UPDATE settlement_entries SET gross = gross + 1",
        "DELETE FROM settlement_entries",
    ):
        begin_write(db.session)
        with pytest.raises(DBAPIError):
            db.session.execute(text(sql))
        db.session.rollback()
    assert only_statement(db, merchant).payout == statement.payout


@both
def test_the_pdf_shows_the_merchant_and_its_totals(db, closed, tmp_path):
    from app.money import format_money
    from app.settlement import services

    merchant, statement = closed
    pdf = tmp_path / "statement.pdf"
    pdf.write_bytes(services.statement_pdf(statement))
    words = subprocess.run([need_tool("pdftotext"), "-layout", str(pdf), "-"], capture_output=True, text=True).stdout
    assert "杭州龙井茶行 Longjing Tea" in words
    for amount in (statement.gross_sales, -statement.refunds, -statement.commission, statement.payout):
        assert format_money(amount, "CNY") in words
    assert statement.number in words
    subprocess.run([need_tool("pdftoppm"), "-r", "60", "-png", str(pdf), str(tmp_path / "page")], check=True)
    page = tmp_path / "page-1.png"
    assert page.stat().st_size > 5_000  # a drawn page, not a blank one


@both
def test_the_csv_rows_add_up_to_the_totals(db, closed):
    from app.settlement import services

    merchant, statement = closed
    text_ = services.statement_csv(statement)
    rows = list(csv.reader(io.StringIO(text_)))
    header, body = rows[0], rows[1 : rows.index([])]
    entries = [dict(zip(header, row, strict=True)) for row in body]
    totals = {row[0]: int(row[1]) for row in rows[rows.index([]) + 2 :]}
    assert len(entries) == statement.entry_count
    assert (
        sum(int(e["gross"]) for e in entries if e["kind"] == "sale") == totals["Gross sales"] == statement.gross_sales
    )
    assert -sum(int(e["gross"]) for e in entries if e["kind"] != "sale") == -totals["Refunds and returns"]
    assert sum(int(e["commission"]) for e in entries) == -totals["Commission"] == statement.commission
    assert sum(int(e["net"]) for e in entries) == totals["Payout"] == statement.payout
    assert {e["order"] for e in entries} and all(e["order"] and e["sku"] for e in entries)


@both
def test_the_payout_file_has_one_row_per_merchant_paid(db, make_merchant, merchant_product, sell, refund):
    from app.settlement import services, statements

    paid, owing = make_merchant(rate=1000), make_merchant(rate=1000)
    a, b = merchant_product(paid, price=2000), merchant_product(owing, price=3000)
    close(db, [paid.id, owing.id])
    order = sell([(b, 1)])
    close(db, [paid.id, owing.id])
    sell([(a, 1)])
    refund(order)
    batch = close(db, [paid.id, owing.id])
    rows = list(csv.DictReader(io.StringIO(services.payout_csv(batch))))
    assert [(r["merchant"], r["amount"], r["amount_minor"], r["account"]) for r in rows] == [
        (paid.code, "18.00", "1800", paid.payout_account)
    ]
    assert rows[0]["reference"] == statements.statements_in(batch)[0].number


def test_the_schedule_closes_each_cycle_at_midnight(db, app, make_merchant, merchant_product, sell):
    from app.settlement import statements, tasks

    daily, weekly = make_merchant(days=1), make_merchant(days=7)
    sell([(merchant_product(daily), 1), (merchant_product(weekly), 1)])
    # 2026-12-08 in Shanghai: 20,795 days after 1970-01-01, 20,790 is the last multiple of 7.
    now = datetime(2026, 12, 8, 3, 0, tzinfo=UTC)
    assert statements.cycle_end(1, now) == datetime(2026, 12, 7, 16, 0, tzinfo=UTC)
    assert statements.cycle_end(7, now) == datetime(2026, 12, 2, 16, 0, tzinfo=UTC)
    assert tasks.close_settlement_cycles.call_local() == 0  # today's sales belong to today's open cycle
    begin_write(db.session)
    made = statements.close_due(datetime(2027, 1, 1, tzinfo=UTC))
    db.session.commit()
    assert [len(statements.statements_in(b)) for b in made] == [1, 1]
    assert tasks.close_settlement_cycles.call_local() == 0  # nothing twice
