"""Benchmark scan-to-screen: from the kiosk program sending a scan to the kiosk screen's event.

Run from the project root: ``python bench/bench_kiosk.py`` (``make bench`` runs it too).

The server is started the way ``make serve`` starts it (gunicorn, one gevent worker) on a fresh
demo database. A kiosk program connects with a device token and sends ``kiosk:scan`` for shelf
labels one after another, as ``python -m kiosk`` does; the kiosk screen is a second Socket.IO
connection that followed the kiosk's session with ``kiosk:subscribe``, as the page does. The
delay is from just before the program's emit to the screen receiving ``kiosk:product`` for that
scan (both stamps from one clock), and to the program's acknowledgement.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import socketio

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_stock import GEVENT_WS, flask_cli, prepare_database, serve  # noqa: E402


def labels_of(url: str, key: str, location: str = "SH-PUDONG") -> list[str]:
    request = urllib.request.Request(
        f"{url}/api/v1/labels?location={location}&limit=200", headers={"Authorization": f"Bearer {key}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return [item["url"] for item in json.load(response)["items"]]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def measure(url: str, token: str, codes: list[str], scans: int) -> tuple[list[float], list[float]]:
    """Send ``scans`` scans one at a time; the screen and acknowledgement delays in ms."""
    arrived: dict[str, float] = {}
    got = threading.Condition()
    screen = socketio.Client(reconnection=False)

    @screen.on("kiosk:product", namespace="/live")
    def shown(event):
        with got:
            arrived[event["client_id"]] = time.time()
            got.notify_all()

    screen.connect(url, namespaces=["/live"], transports=["websocket"])
    assert screen.call("kiosk:subscribe", {"token": token}, namespace="/live", timeout=10)["ok"]
    program = socketio.Client(reconnection=False)
    program.connect(url, namespaces=["/live"], auth={"token": token}, transports=["websocket"])
    to_screen, to_ack = [], []
    try:
        for n in range(scans):
            client_id = uuid.uuid4().hex
            sent = time.time()
            ack = program.call("kiosk:scan", {"id": client_id, "code": codes[n % len(codes)]}, namespace="/live")
            acked = time.time()
            assert ack["ok"] and ack["result"]["kind"] == "product", ack
            with got:
                got.wait_for(lambda wanted=client_id: wanted in arrived, timeout=10)
            to_ack.append((acked - sent) * 1000)
            to_screen.append((arrived[client_id] - sent) * 1000)
    finally:
        program.disconnect()
        screen.disconnect()
    return to_screen[5:], to_ack[5:]  # the first few warm the server up


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scans", type=int, default=305, help="scans to send (the first 5 warm up)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="oneshelf-bench-kiosk-") as tmp:
        database = prepare_database("SQLite", Path(tmp), None)
        token = flask_cli(["devices", "create", "--location", "SH-PUDONG", "--name", "Bench kiosk"], database.env)
        token = token.strip().splitlines()[-1]
        with serve("app.wsgi:app", GEVENT_WS, database.env, Path(tmp)) as server:
            url = server.urls[0]
            to_screen, to_ack = measure(url, token, labels_of(url, database.key), args.scans)
    print(f"\nScan to screen ({len(to_screen)} scans, one at a time; `make serve` server, SQLite)\n")
    print(f"{'from the program sending a scan to':<42} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}")
    for name, values in (("the kiosk screen's kiosk:product", to_screen), ("the program's acknowledgement", to_ack)):
        print(f"{name:<42} {statistics.median(values):8.1f} {percentile(values, 0.99):8.1f} {max(values):8.1f}")
    print("\nGoal: scan-to-screen p99 under 100 ms.")


if __name__ == "__main__":
    main()
