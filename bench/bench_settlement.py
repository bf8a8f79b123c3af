"""Benchmark settlement: closing the statements of 1,000,000 order lines over 200 merchants.

Run from the project root: ``python bench/bench_settlement.py [--lines 1000000] [--merchants 200] [--pg]``.
A history of paid orders (8 lines each) over 7 days at one store, every line a merchant's
product, 2% of the lines refunded in part, is written with bulk inserts (not timed). Then it
times the one run that closes every merchant's cycle at once (the totals are one GROUP BY,
the statements one INSERT, the entries one UPDATE), the payout file, and a merchant's open
cycle. PostgreSQL too with ``--pg`` or when TEST_DATABASE_URL is set. Goal: under 60 s per run.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, select, text  # noqa: E402

from app import create_app  # noqa: E402
from app.carts.models import Cart  # noqa: E402
from app.catalog.models import Location, Product  # noqa: E402
from app.config import TestConfig, normalise_db_url  # noqa: E402
from app.db import begin_write  # noqa: E402
from app.extensions import db  # noqa: E402
from app.orders.models import Order, OrderLine  # noqa: E402
from app.settlement import services, statements  # noqa: E402
from app.settlement.entries import commission_of  # noqa: E402
from app.settlement.models import CommissionRate, Merchant, SettlementEntry  # noqa: E402

GOAL_S = 60
LINES_PER_ORDER = 8
CHUNK = 20_000
START = datetime(2026, 11, 30, 16, 0, tzinfo=UTC)  # midnight in Shanghai


def _insert(table, rows: list[dict]) -> None:
    """Bulk insert: COPY on PostgreSQL, executemany in chunks on SQLite."""
    if not rows:
        return
    if db.engine.dialect.name != "postgresql":
        for start in range(0, len(rows), CHUNK):
            db.session.execute(table.insert(), rows[start : start + CHUNK])
        return
    defaults = {}
    for column in table.columns:
        if column.name not in rows[0] and column.default is not None and not column.primary_key:
            arg = column.default.arg
            defaults[column.name] = arg(None) if callable(arg) else arg
    rows = [{**defaults, **row} for row in rows] if defaults else rows
    columns = list(rows[0])
    raw = db.session.connection().connection.driver_connection
    with raw.cursor() as cursor, cursor.copy(f"COPY {table.name} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row([row[c] for c in columns])


def _history(lines: int, merchants: int) -> int:
    """Merchants, products, carts, paid orders, their lines and settlement entries; returns the entries."""
    rng = random.Random(7)
    begin_write(db.session)
    store = Location(code="BENCH", name="Bench store", kind="store")
    db.session.add(store)
    db.session.flush()
    _insert(
        Merchant.__table__,
        [
            {
                "code": f"M{m:04d}",
                "name": f"商户 {m}",
                "payout_account": f"ICBC {m:08d}",
                "settlement_days": 1,
                "currency": "CNY",
                "active": True,
                "created_at": START,
            }
            for m in range(1, merchants + 1)
        ],
    )
    ids = list(db.session.scalars(select(Merchant.id).order_by(Merchant.id)))
    rates = {m: rng.choice((500, 800, 1000, 1500, 2000)) for m in ids}
    _insert(
        CommissionRate.__table__,
        [
            {"merchant_id": m, "category": None, "rate": r, "effective_from": START, "created_at": START}
            for m, r in rates.items()
        ],
    )
    _insert(
        Product.__table__,
        [
            {
                "sku": f"B-{m}-{p}",
                "name": f"Item {m}/{p}",
                "description": "",
                "price_amount": 100 + rng.randrange(20_000),
                "currency": "CNY",
                "image": "",
                "category": rng.choice(("tea", "food")),
                "barcode": None,
                "active": True,
                "merchant_id": m,
                "created_at": START,
                "updated_at": START,
            }
            for m in ids
            for p in range(5)
        ],
    )
    products = db.session.execute(select(Product.id, Product.merchant_id, Product.price_amount, Product.sku)).all()
    orders = lines // LINES_PER_ORDER
    at = [START + timedelta(seconds=rng.randrange(7 * 86400)) for _ in range(orders)]
    _insert(
        Cart.__table__,
        [
            {
                "id": f"c{o:031d}",
                "status": "checked_out",
                "currency": "CNY",
                "version": 0,
                "created_at": at[o],
                "updated_at": at[o],
            }
            for o in range(orders)
        ],
    )
    order_rows, line_rows, picks = [], [], []
    for o in range(orders):
        chosen = [products[rng.randrange(len(products))] for _ in range(LINES_PER_ORDER)]
        qty = [1 + rng.randrange(3) for _ in chosen]
        total = sum(p.price_amount * q for p, q in zip(chosen, qty, strict=True))
        order_rows.append(
            {
                "number": f"B{o:09d}",
                "cart_id": f"c{o:031d}",
                "checkout_key": "bench",
                "request_hash": "bench",
                "location_id": store.id,
                "channel": "kiosk",
                "status": "paid",
                "currency": "CNY",
                "subtotal": total,
                "discount": 0,
                "total": total,
                "payment_method": "counter",
                "created_at": at[o],
                "paid_at": at[o],
            }
        )
        picks.append((chosen, qty))
    _insert(Order.__table__, order_rows)
    order_ids = list(db.session.scalars(select(Order.id).order_by(Order.id)))
    for o, (chosen, qty) in enumerate(picks):
        for p, q in zip(chosen, qty, strict=True):
            line_rows.append(
                {
                    "order_id": order_ids[o],
                    "product_id": p.id,
                    "location_id": store.id,
                    "sku": p.sku,
                    "name": "Item",
                    "quantity": q,
                    "unit_price": p.price_amount,
                    "line_total": p.price_amount * q,
                    "mode": "carry_out",
                    "returned_quantity": 0,
                }
            )
    _insert(OrderLine.__table__, line_rows)
    line_ids = db.session.execute(select(OrderLine.id, OrderLine.order_id).order_by(OrderLine.id)).all()
    entries = [(line_id, order_id, row) for (line_id, order_id), row in zip(line_ids, line_rows, strict=True)]
    by_product = {p.id: p.merchant_id for p in products}
    stamp = {oid: at[i] for i, oid in enumerate(order_ids)}
    sale_rows = []
    for line_id, order_id, row in entries:
        merchant = by_product[row["product_id"]]
        rate = rates[merchant]
        sale_rows.append(
            {
                "merchant_id": merchant,
                "kind": "sale",
                "order_id": order_id,
                "order_line_id": line_id,
                "source": "bench",
                "occurred_at": stamp[order_id],
                "booked_at": stamp[order_id],
                "quantity": row["quantity"],
                "gross": row["line_total"],
                "commission_rate": rate,
                "commission": commission_of(row["line_total"], rate),
                "tax_rate": 1300,
            }
        )
    _insert(SettlementEntry.__table__, sale_rows)
    db.session.commit()
    return len(sale_rows)


def _run(url: str, instance: Path, lines: int, merchants: int) -> list[tuple[str, float, str]]:
    app = create_app(TestConfig(url, instance))
    rows = []
    with app.app_context():
        db.create_all()
        began = time.perf_counter()
        count = _history(lines, merchants)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        rows.append(("write the history (not a goal)", time.perf_counter() - began, f"{count:,} entries"))

        began = time.perf_counter()
        begin_write(db.session)
        batch = statements.close_cycle(START + timedelta(days=7))
        db.session.commit()
        made = len(statements.statements_in(batch))
        filed = sum(s.entry_count for s in statements.statements_in(batch))
        rows.append(
            ("close every merchant's cycle", time.perf_counter() - began, f"{made} statements, {filed:,} entries")
        )
        db.session.rollback()

        began = time.perf_counter()
        payout = services.payout_csv(batch)
        rows.append(("payout file", time.perf_counter() - began, f"{payout.count(chr(10)) - 1} rows"))
        db.session.rollback()

        merchant_id = db.session.scalar(select(Merchant.id).limit(1))
        began = time.perf_counter()
        statement = statements.statements_of(merchant_id)[0]
        pdf = services.statement_pdf(statement)
        rows.append(
            (
                "one statement's PDF",
                time.perf_counter() - began,
                f"{statement.entry_count:,} entries, {len(pdf) // 1024} KiB",
            )
        )
        db.session.rollback()

        began = time.perf_counter()
        statements.preview(merchant_id)
        rows.append(("a merchant's open cycle", time.perf_counter() - began, "after the close"))
        db.session.remove()
        db.engine.dispose()
    return rows


def _print(backend: str, rows: list) -> None:
    print(f"{backend}:")
    print(f"  {'step':<32} {'seconds':>8}  {'what':<36} goal < {GOAL_S} s")
    for step, seconds, what in rows:
        mark = "" if step.startswith("write") else ("ok" if seconds < GOAL_S else "SLOW")
        print(f"  {step:<32} {seconds:>8.2f}  {what:<36} {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--merchants", type=int, default=200)
    parser.add_argument("--pg", action="store_true", help="also on PostgreSQL (TEST_DATABASE_URL, else the local one)")
    parser.add_argument("--no-sqlite", action="store_true", help="PostgreSQL only")
    args = parser.parse_args()
    print(f"Settlement of {args.lines:,} order lines over {args.merchants} merchants")
    with tempfile.TemporaryDirectory(prefix="oneshelf-bench-settlement-") as folder:
        instance = Path(folder)
        if not args.no_sqlite:
            _print("SQLite", _run(f"sqlite:///{instance / 'settlement.db'}", instance, args.lines, args.merchants))
        pg = os.environ.get("TEST_DATABASE_URL") or ("postgresql://postgres@127.0.0.1:5432/test" if args.pg else None)
        if not pg:
            print("PostgreSQL: skipped (set TEST_DATABASE_URL=postgresql://... or pass --pg to measure it too)")
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(normalise_db_url(pg))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
            _print("PostgreSQL", _run(url, instance, args.lines, args.merchants))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
