"""Benchmark domain events: from the commit that records them to the webhook receiver's acknowledgement.

Run from the project root: ``python bench/bench_events.py`` (``make bench`` runs it too); with
TEST_DATABASE_URL set it adds PostgreSQL (a schema of its own, dropped afterwards).

The app runs with one job-runner worker thread in this process (publishing and delivering), a
plain HTTP receiver on 127.0.0.1 answers 204 and notes when each ``webhook-id`` arrived.

- *burst*: ``--events`` events committed as fast as possible (100 per commit); events per
  second from the first commit to the last acknowledgement.
- *steady*: the same number of events committed at ``--rate`` events per second (10 per
  commit); commit-to-acknowledgement time per event, p50 and p99.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_kiosk import percentile  # noqa: E402
from bench_stock import postgres_schema  # noqa: E402


class Receiver(BaseHTTPRequestHandler):
    arrived: dict[str, float] = {}

    def do_POST(self):  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.arrived.setdefault(self.headers["webhook-id"], time.perf_counter())
        self.send_response(204)
        self.end_headers()

    def log_message(self, *args):
        pass


def run(database_url: str, instance: Path, events: int, rate: float) -> list[tuple]:
    from app import create_app
    from app.config import TestConfig
    from app.extensions import db
    from app.jobs.queue import start_in_process
    from app.outbox import services as outbox
    from app.webhooks import services as webhooks

    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    app = create_app(TestConfig(database_url, instance))
    rows = []
    with app.app_context():
        db.create_all()
        webhooks.create_endpoint(f"http://127.0.0.1:{server.server_port}/hook", ["stock.changed"])
        db.session.commit()
        consumer = start_in_process(app, workers=1)
        try:
            for name, per_commit, pace in (("burst", 100, None), ("steady", 10, rate)):
                Receiver.arrived = {}
                committed = _produce(outbox, db, events, per_commit, pace)
                deadline = time.perf_counter() + 600
                while len(Receiver.arrived) < events and time.perf_counter() < deadline:
                    time.sleep(0.01)
                got = [Receiver.arrived[uid] - at for uid, at in committed.items() if uid in Receiver.arrived]
                span = max(Receiver.arrived.values()) - min(committed.values())
                rows.append(
                    (
                        name,
                        f"{len(got)}/{events}",
                        f"{len(got) / span:,.0f}",
                        f"{percentile(got, 0.5) * 1000:,.0f}",
                        f"{percentile(got, 0.99) * 1000:,.0f}",
                    )
                )
        finally:
            consumer.stop(graceful=True)
            db.session.remove()
            db.engine.dispose()
            server.shutdown()
    return rows


def _produce(outbox, db, events: int, per_commit: int, rate: float | None) -> dict[str, float]:
    """Commit ``events`` stock.changed events; the time each one's commit returned, by event id."""
    from app.db import begin_write

    committed: dict[str, float] = {}
    start = time.perf_counter()
    for first in range(0, events, per_commit):
        if rate:
            wait = start + first / rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
        begin_write(db.session)
        batch = [
            outbox.record("stock.changed", f"stock:B-{n % 50}:SH", {"n": n}) for n in range(first, first + per_commit)
        ]
        uids = [row.uid for row in batch]
        db.session.commit()
        at = time.perf_counter()
        committed.update((uid, at) for uid in uids)
    return committed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=100.0, help="events per second in the steady run")
    args = parser.parse_args()
    print("Domain events: commit -> published -> signed webhook -> 2xx (one job worker thread)")
    print(f"{'database':<11} {'run':<7} {'acknowledged':>13} {'events/s':>9} {'p50 ms':>8} {'p99 ms':>8}")
    backends = [("SQLite", None)]
    if os.environ.get("TEST_DATABASE_URL"):
        backends.append(("PostgreSQL", os.environ["TEST_DATABASE_URL"]))
    for label, pg in backends:
        with tempfile.TemporaryDirectory() as tmp:
            with postgres_schema(pg) if pg else contextlib.nullcontext(f"sqlite:///{tmp}/bench.db") as url:
                for row in run(url, Path(tmp) / "instance", args.events, args.rate):
                    print(f"{label:<11} {row[0]:<7} {row[1]:>13} {row[2]:>9} {row[3]:>8} {row[4]:>8}")


if __name__ == "__main__":
    main()
