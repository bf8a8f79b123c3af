"""Benchmark the drift report of an outside count: seconds to check and compare 10,000 and 100,000 SKUs.

Run from the project root: ``python bench/bench_reconcile.py [--rows 10000 100000]``. SQLite
only, in a temporary folder. Each size gets a fresh database with that many products at one
store, one receive movement each before the count and a sale after it for one SKU in ten;
the count disagrees on one SKU in a hundred. Timed: checking the lines (products by SKU, the
line rules) and building the report (levels, movement sums after the count, lines written),
inside one transaction as the API runs it, then the commit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from app.catalog import services as catalog  # noqa: E402
from app.catalog.models import Product  # noqa: E402
from app.config import TestConfig  # noqa: E402
from app.db import begin_write, utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.stock import reconcile  # noqa: E402
from app.stock.models import StockLevel, StockMovement  # noqa: E402


def _seed(n: int):
    """n products with 10 on hand at one store; a sale of 2 after the count for one in ten."""
    begin_write(db.session)
    store = catalog.create_location(code="BENCH", name="Bench", kind="store", timezone="UTC")
    now = utcnow()
    before, after = now - timedelta(hours=2), now
    taken_at = now - timedelta(hours=1)
    db.session.execute(
        insert(Product),
        [{"sku": f"B-{i:06d}", "name": f"Item {i}", "price_amount": 100, "currency": "CNY"} for i in range(n)],
    )
    ids = list(db.session.scalars(select(Product.id).order_by(Product.id)))
    levels, movements = [], []
    for i, pid in enumerate(ids):
        sold = i % 10 == 0
        levels.append({"product_id": pid, "location_id": store.id, "on_hand": 8 if sold else 10, "reserved": 0})
        move = {"product_id": pid, "location_id": store.id, "reserved_delta": 0, "reserved_after": 0}
        movements.append(
            {**move, "kind": "receive", "delta": 10, "on_hand_after": 10, "version_after": 1, "created_at": before}
        )
        if sold:
            movements.append(
                {**move, "kind": "sale", "delta": -2, "on_hand_after": 8, "version_after": 2, "created_at": after}
            )
    db.session.execute(insert(StockLevel), levels)
    db.session.execute(insert(StockMovement), movements)
    db.session.commit()
    rows = [reconcile.CountRow(i + 2, f"B-{i:06d}", 11 if i % 100 == 0 else 10) for i in range(n)]
    return store, taken_at, rows


def run(n: int) -> tuple[float, float, float, int]:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(TestConfig(f"sqlite:///{folder}/bench.db", Path(folder) / "instance"))
        with app.app_context():
            db.create_all()
            store, taken_at, rows = _seed(n)
            begin_write(db.session)
            started = time.perf_counter()
            checked = reconcile.check(store, taken_at, rows)
            checked_at = time.perf_counter()
            snapshot = reconcile.record_snapshot(checked)
            built = time.perf_counter()
            db.session.commit()
            done = time.perf_counter()
            drift = snapshot.drift_count
            db.session.remove()
            db.engine.dispose()
    return checked_at - started, built - checked_at, done - started, drift


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 100_000])
    args = parser.parse_args()
    print(f"{'rows':>8}  {'check s':>8}  {'report s':>8}  {'total s':>8}  {'drift lines':>11}")
    for n in args.rows:
        check_s, report_s, total_s, drift = run(n)
        print(f"{n:>8}  {check_s:>8.2f}  {report_s:>8.2f}  {total_s:>8.2f}  {drift:>11}")


if __name__ == "__main__":
    main()
