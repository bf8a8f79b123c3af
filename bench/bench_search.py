"""Benchmark the web shop's product search: p50/p99 milliseconds over 100,000 products.

Run from the project root: ``python bench/bench_search.py [--products 100000] [--runs 200]``.
SQLite always (a file in a temporary folder); PostgreSQL too when TEST_DATABASE_URL is set (in
a schema of its own, dropped afterwards). Products get English and Chinese names from word
lists, SKUs by category, valid EAN-13 barcodes and stock at five stores; each run searches a
new word of its kind for the first page (20) with the stock at a store, as the shop's API does.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import create_engine, insert, text  # noqa: E402
from stdnum import ean  # noqa: E402

from app import create_app  # noqa: E402
from app.catalog import services as catalog  # noqa: E402
from app.catalog.models import Location, Product  # noqa: E402
from app.config import TestConfig, normalise_db_url  # noqa: E402
from app.db import utcnow  # noqa: E402
from app.extensions import db  # noqa: E402
from app.shop import search  # noqa: E402
from app.stock.models import StockLevel  # noqa: E402

GOAL_MS = 50
CATEGORIES = "TEA SNK KIT HOM STA DRK FRZ BAK FRU VEG DAI MEA SEA SPI OIL NUD RIC CAN BAB PET".split()
ADJECTIVES = (
    "Green Black Spicy Sweet Golden Fresh Dried Smoked Wild Classic Organic Premium Mini Large Crispy Silky Red White "
    "Roasted Jasmine"
).split()
NOUNS = (
    "Tea|Oolong|Peanuts|Noodles|Dumplings|Rice|Crackers|Cookies|Mango|Soy Sauce|Vinegar|Tofu|Buns|Chili Oil|Sesame|"
    "Walnuts|Bowl|Teapot|Candle|Notebook|Brush|Wok|Towel|Lantern|Mooncake|Seaweed|Honey|Dates|Ginger|Mushrooms"
).split("|")
# The same words in Chinese, in the same order.
CN_ADJECTIVES = "绿 红 麻辣 香甜 金 新鲜 风干 烟熏 野生 经典 有机 精选 迷你 大号 香脆 丝滑 白 烘焙 茉莉 手工".split()
CN_NOUNS = (
    "茶 乌龙茶 花生 面条 饺子 大米 饼干 曲奇 芒果 酱油 香醋 豆腐 包子 辣椒油 芝麻 "
    "核桃 碗 茶壶 蜡烛 笔记本 毛笔 炒锅 毛巾 灯笼 月饼 海苔 蜂蜜 红枣 生姜 香菇"
).split()
STORES = 5


def _barcode(n: int) -> str:
    body = f"69{n:010d}"
    return body + ean.calc_check_digit(body)


def _products(count: int, rng: random.Random) -> list[dict]:
    rows, now = [], utcnow()
    for n in range(1, count + 1):
        a, b = rng.randrange(len(ADJECTIVES)), rng.randrange(len(NOUNS))
        category = CATEGORIES[n % len(CATEGORIES)]
        rows.append(
            {
                "id": n,
                "sku": f"{category}-{n:06d}",
                "name": f"{ADJECTIVES[a]} {NOUNS[b]} {CN_ADJECTIVES[a]}{CN_NOUNS[b]} {rng.randint(50, 999)}g",
                "description": "",
                "price_amount": rng.randint(100, 50_000),
                "currency": "CNY",
                "image": "",
                "category": category,
                "barcode": _barcode(n),
                "active": n % 50 != 0,  # a few taken off sale
                "created_at": now,
                "updated_at": now,
            }
        )
    return rows


def _fill(count: int) -> float:
    """Stores, products (through the search index's triggers) and stock; seconds taken."""
    rng = random.Random(7)
    started = time.perf_counter()
    for i in range(STORES):
        catalog.create_location(f"S{i}", f"Store {i}", "store", latitude=31.2 + i / 50, longitude=121.4 + i / 50)
    db.session.flush()
    stores = [loc.id for loc in db.session.scalars(db.select(Location).order_by(Location.id))]
    rows = _products(count, rng)
    for start in range(0, count, 5000):
        db.session.execute(insert(Product), rows[start : start + 5000])
    levels, now = [], utcnow()
    for row in rows:
        for location_id in rng.sample(stores, 2):
            on_hand = rng.choice([0, 1, 5, 20])
            levels.append(
                {
                    "product_id": row["id"],
                    "location_id": location_id,
                    "on_hand": on_hand,
                    "reserved": 0,
                    "version": 1,
                    "low_stock_at": 3,
                    "updated_at": now,
                }
            )
    for start in range(0, len(levels), 10000):
        db.session.execute(insert(StockLevel), levels[start : start + 10000])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    else:
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    return time.perf_counter() - started


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def _kinds(count: int, rng: random.Random) -> list[tuple[str, Callable[[], dict]]]:
    """Each kind of search, as a maker of the arguments of one run."""

    def some(n: int) -> int:
        return rng.randint(1, n)

    return [
        ("name word", lambda: {"query": rng.choice(NOUNS).split()[0].lower()}),
        ("two words", lambda: {"query": f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)}".lower()}),
        ("Chinese 2 chars", lambda: {"query": rng.choice([w for w in CN_NOUNS if len(w) == 2])}),
        ("Chinese 3+ chars", lambda: {"query": rng.choice([w for w in CN_NOUNS if len(w) >= 3])}),
        ("SKU prefix", lambda: {"query": f"{CATEGORIES[some(count) % len(CATEGORIES)]}-{some(count):06d}"[:8]}),
        ("whole SKU", lambda: {"query": (lambda n: f"{CATEGORIES[n % len(CATEGORIES)]}-{n:06d}")(some(count))}),
        ("short prefix", lambda: {"query": rng.choice(NOUNS)[:2].lower()}),
        ("barcode", lambda: {"query": _barcode(some(count))}),
        ("category", lambda: {"category": rng.choice(CATEGORIES)}),
        ("category + word", lambda: {"category": rng.choice(CATEGORIES), "query": rng.choice(NOUNS).split()[0]}),
        ("no match", lambda: {"query": f"zq{rng.randint(0, 10**6)}x"}),
    ]


def _measure(count: int, runs: int) -> list[tuple[str, float, float, float, float]]:
    """(kind, p50, p99, max, mean hits) of each kind of search on the current app's database."""
    rng = random.Random(11)
    store = catalog.get_location("S0")
    out = []
    for kind, make in _kinds(count, rng):
        times, found = [], []
        for _ in range(runs):
            arguments = make()
            started = time.perf_counter()
            hits, _ = search.search_products(arguments.pop("query", ""), location=store, limit=20, **arguments)
            times.append((time.perf_counter() - started) * 1000)
            found.append(len(hits))
            db.session.rollback()
        out.append((kind, _percentile(times, 0.5), _percentile(times, 0.99), max(times), sum(found) / len(found)))
    return out


def _run(url: str, instance: Path, count: int, runs: int) -> tuple[float, list]:
    app = create_app(TestConfig(url, instance))
    with app.app_context():
        db.create_all()
        seconds = _fill(count)
        rows = _measure(count, runs)
        db.session.remove()
        db.engine.dispose()
    return seconds, rows


def _print(backend: str, seconds: float, rows: list) -> None:
    print(f"{backend}: {seconds:.1f} s to insert and index")
    print(f"  {'search':<18} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'hits':>6}  goal p99 < {GOAL_MS} ms")
    for kind, p50, p99, worst, hits in rows:
        mark = "ok" if p99 < GOAL_MS else "SLOW"
        print(f"  {kind:<18} {p50:>8.2f} {p99:>8.2f} {worst:>8.2f} {hits:>6.1f}  {mark}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--products", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    print(f"Product search over {args.products:,} products, {args.runs} searches of each kind, first page of 20")
    with tempfile.TemporaryDirectory(prefix="oneshelf-bench-search-") as folder:
        instance = Path(folder)
        sqlite_url = f"sqlite:///{instance / 'search.db'}"
        _print("SQLite (FTS5 trigram)", *_run(sqlite_url, instance, args.products, args.runs))
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
            _print("PostgreSQL (pg_trgm GIN)", *_run(url, instance, args.products, args.runs))
        finally:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()


if __name__ == "__main__":
    main()
