"""Benchmark the router: milliseconds to plan orders of 1, 5 and 50 lines over 1,000 locations.

Run from the project root: ``python bench/bench_route.py [--locations 1000] [--runs 200]``.
Pure planning (no database): 1,000 locations scattered within about 200 km of Shanghai,
each holding a quarter of 5,000 products (so about 250 locations hold each product); each run
plans a new random order to a random address. Orders of up to 8 lines are planned exactly, bigger ones by the heuristic.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.fulfilment import router  # noqa: E402
from app.fulfilment.router import Line, Rates, Source  # noqa: E402

SHANGHAI = (31.2304, 121.4737)


def _network(rng: random.Random, n: int, products: int) -> tuple[list[Source], dict[int, dict[int, int]]]:
    """n locations, each holding a quarter of the products; units available as a stock query returns them."""
    sources, available = [], {}
    for sid in range(n):
        sources.append(
            Source(
                sid,
                SHANGHAI[0] + rng.uniform(-2, 2),
                SHANGHAI[1] + rng.uniform(-2, 2),
                handling=rng.choice([200, 500, 800]),
                priority=rng.choice([0, 0, 0, 1000]),
            )
        )
        for product in rng.sample(range(products), products // 4):
            available.setdefault(product, {})[sid] = rng.choice([1, 2, 5, 20])
    return sources, available


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--locations", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=200)
    args = parser.parse_args()
    rng = random.Random(42)
    products = 5000
    sources, available = _network(rng, args.locations, products)
    rates = Rates(per_km=30)
    print(f"Routing plans over {args.locations} locations, {args.runs} orders each (goal: p99 < 50 ms at 50 lines)")
    print(f"{'lines':>6} {'exact':>6} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'parcels':>8}")
    for size in (1, 5, 50):
        times, parcels = [], []
        for _ in range(args.runs):
            lines = [Line(i, p, rng.randint(1, 3)) for i, p in enumerate(rng.sample(range(products), size))]
            where = (SHANGHAI[0] + rng.uniform(-1, 1), SHANGHAI[1] + rng.uniform(-1, 1))
            started = time.perf_counter()
            found = router.plan(lines, sources, available, where, rates)
            times.append((time.perf_counter() - started) * 1000)
            parcels.append(len(found.shipments))
        print(
            f"{size:>6} {str(found.exact):>6} {_percentile(times, 0.5):>8.2f} {_percentile(times, 0.99):>8.2f} "
            f"{max(times):>8.2f} {sum(parcels) / len(parcels):>8.1f}"
        )


if __name__ == "__main__":
    main()
