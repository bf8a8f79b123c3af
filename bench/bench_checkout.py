"""Benchmark checkout: paid checkouts per second and the time per checkout, on SQLite and PostgreSQL.

Run from the project root: ``python bench/bench_checkout.py`` (``make bench`` runs it too). With
TEST_DATABASE_URL set it adds PostgreSQL (a schema of its own, dropped afterwards).

One server process, started the way ``make serve`` starts it (gunicorn, one gevent worker), on
a fresh demo database with plenty of one product at one store. Guest carts are filled first
(one unit each, held); then ``--clients`` threads, each with its own keep-alive connection,
check them out as fast as the answers come, the way a shopper pays by card: ``POST
/api/v1/carts/{id}/checkout`` with an Idempotency-Key (the order, pending, and the payment
created at the sandbox card provider), the provider's page (GET, then the sandbox card typed
and POSTed there, no added latency), and our return page, which answers 303 to the receipt
once the order is paid (from the provider's signed notification, sent by the server's job
runner, or from the status query when it has not arrived yet). A checkout here is the whole
thing: the price check, the holds turned into sales, the payment recorded, the provider's
charge and notification, the order and its exit pass. The time per checkout covers the
three requests one shopper makes.

An online order is measured the same way: the line is delivered to an address, so checkout
also plans the parcel with the router over every location that ships online and holds its
unit there, in the same transaction.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_kiosk import percentile  # noqa: E402
from bench_stock import GEVENT_WS, postgres_schema, prepare_database, serve  # noqa: E402

CARD = "4242 4242 4242 4242"
SKU, LOCATION = "TEA-002", "SH-PUDONG"
HOME = {"recipient": "Li Lei", "line1": "1 Nanjing Rd", "city": "Shanghai", "latitude": 31.23, "longitude": 121.47}


class Connection:
    """One keep-alive HTTP connection to the server."""

    def __init__(self, url: str):
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=60)

    def call(self, method: str, path: str, body: dict | None = None, headers: dict | None = None):
        self.conn.request(
            method,
            path,
            body=json.dumps(body) if body is not None else None,
            headers={"Content-Type": "application/json", **(headers or {})},
        )
        response = self.conn.getresponse()
        return response.status, json.loads(response.read() or b"null")

    def page(self, method: str, path: str, form: dict | None = None, cookie: str = ""):
        """A page request (a form posted as a browser does); (status, headers, text)."""
        headers = {"Cookie": cookie} if cookie else {}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        self.conn.request(method, path, body=body, headers=headers)
        response = self.conn.getresponse()
        return response.status, response.headers, response.read().decode()


def pay_on_provider_page(conn: Connection, redirect_url: str) -> str | None:
    """Type the sandbox card on the provider's page; the return URL's path it sends the shopper to."""
    path = urllib.parse.urlsplit(redirect_url).path
    status, headers, text = conn.page("GET", path)
    assert status == 200, text[:200]
    cookie = "; ".join(c.split(";", 1)[0] for c in headers.get_all("Set-Cookie") or [])
    token = re.search(r'name="csrf_token" value="([^"]+)"', text).group(1)
    status, headers, text = conn.page("POST", path, {"card_number": CARD, "csrf_token": token}, cookie)
    return urllib.parse.urlsplit(headers["Location"]).path if status == 303 else None


def fill_carts(url: str, key: str, count: int, clients: int, online: bool = False) -> list[tuple[str, int]]:
    """``count`` guest carts holding one unit each (after receiving enough of the product)."""
    first = Connection(url)
    status, _ = first.call(
        "POST",
        "/api/v1/stock/movements",
        {"sku": SKU, "location": LOCATION, "reason": "receive", "delta": count},
        {"Authorization": f"Bearer {key}", "Idempotency-Key": uuid.uuid4().hex},
    )
    assert status == 201, status
    local = threading.local()

    def one(_):
        conn = getattr(local, "conn", None) or Connection(url)
        local.conn = conn
        status, cart = conn.call("POST", "/api/v1/carts")
        assert status == 201, cart
        wanted = {"sku": SKU, "location": LOCATION, "online": online}
        status, body = conn.call("POST", f"/api/v1/carts/{cart['id']}/lines", wanted)
        assert status == 201, body
        return cart["id"], body["lines"][0]["id"]

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(one, range(count)))


def check_out(
    url: str, carts: list[tuple[str, int]], clients: int, online: bool = False
) -> tuple[float, list[float], int]:
    """Check every cart out; (seconds, per-checkout ms, paid)."""
    local = threading.local()
    times: list[float] = []
    paid = 0
    lock = threading.Lock()

    def one(cart: tuple[str, int]):
        nonlocal paid
        cart_id, line_id = cart
        conn = getattr(local, "conn", None) or Connection(url)
        local.conn = conn
        body = {"payment": {"method": "card"}}
        if online:
            body["fulfilment"] = [{"line": line_id, "mode": "deliver", "address": HOME}]
        started = time.perf_counter()
        status, body = conn.call(
            "POST", f"/api/v1/carts/{cart_id}/checkout", body, {"Idempotency-Key": uuid.uuid4().hex}
        )
        done = False
        if status == 201 and body["next_action"]:
            back = pay_on_provider_page(conn, body["next_action"]["redirect_url"])
            if back:
                status, headers, _ = conn.page("GET", back)
                done = status == 303 and "/orders/" in headers.get("Location", "")
        took = (time.perf_counter() - started) * 1000
        with lock:
            times.append(took)
            paid += done

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(one, carts))
    return time.perf_counter() - started, times, paid


def run(label: str, folder: Path, database_url: str | None, args) -> list[tuple]:
    database = prepare_database(label, folder, database_url)
    rows = []
    with serve("app.wsgi:app", GEVENT_WS, database.env, folder) as server:
        url = server.urls[0]
        for kind, online in (("in store", False), ("online", True)):
            carts = fill_carts(url, database.key, args.checkouts, args.clients, online)
            check_out(url, carts[: args.warmup], args.clients, online)
            seconds, times, paid = check_out(url, carts[args.warmup :], args.clients, online)
            rows.append((label, kind, len(times), paid, seconds, times))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkouts", type=int, default=1020, help="carts to check out (the first --warmup warm up)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    args = parser.parse_args()
    pg_url = os.environ.get("TEST_DATABASE_URL")
    rows = []
    with tempfile.TemporaryDirectory(prefix="oneshelf-bench-checkout-") as tmp, contextlib.ExitStack() as stack:
        rows += run("SQLite", Path(tmp) / "sqlite", None, args)
        if pg_url:
            rows += run("PostgreSQL", Path(tmp) / "pg", stack.enter_context(postgres_schema(pg_url)), args)
    print(f"\nCheckout by card on the sandbox provider's page ({args.clients} clients; one `make serve` process)")
    print("in store: the unit is carried out; online: delivered, the parcel planned and held by the router\n")
    print(f"{'database':<12} {'order':<9} {'checkouts':>9} {'paid':>6} {'paid/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
    for label, kind, count, paid, seconds, times in rows:
        p50, p99 = statistics.median(times), percentile(times, 0.99)
        print(f"{label:<12} {kind:<9} {count:>9} {paid:>6} {paid / seconds:>8.1f} {p50:>8.1f} {p99:>8.1f}")
    if not pg_url:
        print("\nPostgreSQL: skipped (set TEST_DATABASE_URL).")


if __name__ == "__main__":
    main()
