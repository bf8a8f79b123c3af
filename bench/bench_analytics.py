"""Benchmark scan analytics: seconds per report over a large history, on SQLite and PostgreSQL.

Run from the project root: ``python bench/bench_analytics.py [--scans 1000000] [--orders 100000]``.
A generated history (the tests' generator) of scans over 9 days at 4 stores in different time
zones, with member, kiosk-session and guest shoppers and paid orders. It times counting the
days (once for the whole history, then the two days the job runner counts every minute), then
each report over every store's 9 days, and over one store's 2 days. PostgreSQL too when
TEST_DATABASE_URL is set. Goal: p99 under 200 ms per report at 1,000,000 scans and 100,000 orders.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, text  # noqa: E402

from app import create_app  # noqa: E402
from app.analytics import rollup, services  # noqa: E402
from app.config import TestConfig, normalise_db_url  # noqa: E402
from app.db import begin_write  # noqa: E402
from app.extensions import db  # noqa: E402
from tests.analytics.history import START, make_history  # noqa: E402

GOAL_MS = 200


def _run(url: str, instance: Path, scans: int, orders: int, runs: int) -> tuple[float, list]:
    app = create_app(TestConfig(url, instance))
    rows = []
    with app.app_context():
        db.create_all()
        history = make_history(scans=scans, orders=orders, stores=4, products=500, keep=False)
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        started = time.perf_counter()
        first, last = START.date(), START.date() + timedelta(days=8)
        rollup.roll_up_days(first, last)
        db.session.commit()
        counted = time.perf_counter() - started
        reading = writing = 0.0
        recent = 0
        for location in history.stores:
            for day in (last - timedelta(days=1), last):
                began = time.perf_counter()
                counts = rollup.count(location, day)
                db.session.rollback()
                read = time.perf_counter()
                begin_write(db.session)
                rollup.replace(location, day, counts)
                db.session.commit()
                reading, writing, recent = reading + read - began, writing + time.perf_counter() - read, recent + 1
        minute = (reading, writing)
        every = [p.id for p in history.stores]
        windows = [
            ("all stores, 9 days", first, last, every),
            ("one store, 2 days", first + timedelta(days=3), first + timedelta(days=4), every[1:2]),
        ]
        for label, since, until, ids in windows:
            window = services.window(since, until, ids)
            for name in services.REPORTS:
                times = []
                for _ in range(runs):
                    began = time.perf_counter()
                    found = services.report(name, window)
                    times.append((time.perf_counter() - began) * 1000)
                    db.session.rollback()
                times.sort()
                rows.append(
                    (
                        label,
                        name,
                        times[len(times) // 2],
                        times[min(len(times) - 1, int(0.99 * len(times)))],
                        len(found),
                    )
                )
        db.session.remove()
        db.engine.dispose()
    return (counted, minute, recent), rows


def _print(backend: str, timings: tuple, rows: list) -> None:
    counted, (reading, writing), recent = timings
    print(f"{backend}: {counted:.1f} s to count the 9 days of 4 stores once")
    print(f"  every minute, the {recent} recent store-days: {reading:.2f} s counting, {writing * 1000:.0f} ms writing")
    print(f"  {'window':<20} {'report':<14} {'p50 ms':>8} {'p99 ms':>8} {'rows':>6}  goal p99 < {GOAL_MS} ms")
    for label, name, p50, p99, count in rows:
        mark = "ok" if p99 < GOAL_MS else "SLOW"
        print(f"  {label:<20} {name:<14} {p50:>8.1f} {p99:>8.1f} {count:>6}  {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    print(f"Scan analytics over {args.scans:,} scans and {args.orders:,} orders")
    with tempfile.TemporaryDirectory(prefix="oneshelf-bench-analytics-") as folder:
        instance = Path(folder)
        _print("SQLite", *_run(f"sqlite:///{instance / 'analytics.db'}", instance, args.scans, args.orders, args.runs))
        pg = os.environ.get("TEST_DATABASE_URL")
        if not pg:
            print("PostgreSQL: skipped (set TEST_DATABASE_URL=postgresql://... to measure it too)")
            return
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(normalise_db_url(pg))
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        try:
            url = f"{pg}{'&' if '?' in pg else '?'}options=-csearch_path%3D{schema}"
            _print("PostgreSQL", *_run(url, instance, args.scans, args.orders, args.runs))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
