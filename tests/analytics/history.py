"""A generated history of scans, baskets and orders, written in bulk, and the reports counted by hand.

Used by the tests (a few thousand rows, checked against a brute-force count) and by
``bench/bench_analytics.py`` (a large history, timed).
"""

from __future__ import annotations

import random
import secrets
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from app.carts.models import Cart
from app.catalog.models import Location, Product
from app.extensions import db
from app.kiosks.models import Device, KioskSession
from app.members.models import Member
from app.orders.models import Order, OrderLine
from app.scans.models import Scan

START = datetime(2026, 11, 30, 0, 0, tzinfo=UTC)
CHUNK = 20_000


@dataclass
class History:
    stores: list[Location]
    products: list[Product]
    scans: list[dict] = field(default_factory=list)
    # (shopper key, product id, order location id, paid_at) of every paid line.
    bought: list[tuple[str, int, int, datetime]] = field(default_factory=list)


def make_history(
    scans: int = 3000, orders: int = 300, seed: int = 7, stores: int = 2, products: int = 12, keep: bool = True
) -> History:
    """Stores (one in UTC, one in Shanghai ...), products, members, kiosk sessions, scans and orders.

    ``keep``: remember every scan for a count by hand (a benchmark's large history does not).
    """
    rng = random.Random(seed)
    zones = ["UTC", "Asia/Shanghai", "America/New_York", "Asia/Tokyo"]
    places = [
        Location(code=f"AN-{i}", name=f"Store {i}", kind="store", timezone=zones[i % len(zones)]) for i in range(stores)
    ]
    items = [
        Product(sku=f"AN-P{i:03d}", name=f"Product {i}", price_amount=100 + i, currency="CNY") for i in range(products)
    ]
    db.session.add_all(places + items)
    db.session.flush()
    members = [Member(name=f"Member {i}", code_secret=secrets.token_hex(10)) for i in range(max(20, scans // 500))]
    devices = [
        Device(location_id=p.id, number=1, name="Kiosk", token_prefix=f"an{p.id}", token_hash="x") for p in places
    ]
    db.session.add_all(members + devices)
    db.session.flush()
    kiosk_sessions = [
        KioskSession(device_id=rng.choice(devices).id, key=secrets.token_hex(16)) for _ in range(max(30, scans // 300))
    ]
    db.session.add_all(kiosk_sessions)
    db.session.flush()
    history = History(places, items)
    guests = [secrets.token_hex(16) for _ in range(max(40, scans // 100))]
    span = 9 * 86400 / max(scans, 1)
    for start in range(0, scans, CHUNK):
        # In time order, as a server records them.
        times = (START + timedelta(seconds=(i + rng.random()) * span) for i in range(start, min(start + CHUNK, scans)))
        chunk = [_scan(rng, at, places, items, members, kiosk_sessions, guests) for at in times]
        db.session.execute(insert(Scan), chunk)
        if keep:
            history.scans.extend(chunk)
    _orders(rng, history, members, kiosk_sessions, orders)
    db.session.commit()
    return history


def _scan(rng, at, places, items, members, kiosk_sessions, guests) -> dict:
    place = rng.choice(places)
    channel = rng.choices(["phone", "kiosk", "staff"], [6, 3, 1])[0]
    unknown = rng.random() < 0.05
    who = rng.random()
    member_id = rng.choice(members).id if who < 0.4 else None
    session = None
    if member_id is None and who < 0.9:
        session = rng.choice(kiosk_sessions).key if channel == "kiosk" else rng.choice(guests)
    return {
        "code": f"UNK{rng.randrange(5)}" if unknown else f"L{rng.randrange(10**6)}",
        "channel": channel,
        "product_id": None if unknown else rng.choice(items).id,
        "location_id": place.id,
        "shopper_session": session,
        "member_id": member_id,
        "outcome": "unknown" if unknown else "product",
        "available": None if unknown or rng.random() < 0.1 else rng.choice([0, 0, 1, 2, 5]),
        "created_at": at,
    }


def _orders(rng, history: History, members, kiosk_sessions, count: int) -> None:
    carts, orders, lines = [], [], []
    for n in range(count):
        place = rng.choice(history.stores)
        by_member = rng.random() < 0.6
        member = rng.choice(members) if by_member else None
        session = None if by_member else rng.choice(kiosk_sessions)
        cart_id = secrets.token_hex(16)
        carts.append(
            {
                "id": cart_id,
                "member_id": member.id if member else None,
                "kiosk_session_id": session.id if session else None,
                "status": "checked_out",
            }
        )
        paid_at = START + timedelta(seconds=rng.randrange(0, 9 * 86400))
        status = rng.choices(["paid", "partially_refunded", "cancelled", "pending_payment"], [7, 1, 1, 1])[0]
        orders.append(
            {
                "id": n + 1,
                "number": f"AN{n:06d}",
                "cart_id": cart_id,
                "checkout_key": f"k{n}",
                "request_hash": "h",
                "member_id": member.id if member else None,
                "location_id": place.id,
                "channel": "kiosk" if session else "phone",
                "status": status,
                "currency": "CNY",
                "subtotal": 100,
                "total": 100,
                "payment_method": "wallet",
                "created_at": paid_at,
                "paid_at": paid_at if status in ("paid", "partially_refunded") else None,
            }
        )
        for product in rng.sample(history.products, rng.randint(1, 3)):
            lines.append(
                {
                    "order_id": n + 1,
                    "product_id": product.id,
                    "location_id": place.id,
                    "sku": product.sku,
                    "name": product.name,
                    "quantity": 1,
                    "unit_price": 100,
                    "line_total": 100,
                }
            )
            if status in ("paid", "partially_refunded"):
                key = f"m{member.id}" if member else f"s{session.key}"
                history.bought.append((key, product.id, place.id, paid_at))
    for begin in range(0, len(orders), CHUNK):
        db.session.execute(insert(Cart), carts[begin : begin + CHUNK])
        db.session.execute(insert(Order), orders[begin : begin + CHUNK])
    for begin in range(0, len(lines), CHUNK):
        db.session.execute(insert(OrderLine), lines[begin : begin + CHUNK])


# ---- the same reports, counted by hand -------------------------------------------------------------


def _local(history: History, location_id: int, moment: datetime) -> datetime:
    zone = {p.id: p.timezone for p in history.stores}[location_id]
    return moment.astimezone(ZoneInfo(zone))


def _product_scan(row: dict) -> bool:
    return row["product_id"] is not None and row["channel"] != "staff"


def _shopper(row: dict) -> str | None:
    if row["member_id"] is not None:
        return f"m{row['member_id']}"
    return f"s{row['shopper_session']}" if row["shopper_session"] is not None else None


def by_hand(history: History, first: date, last: date, ids: set[int]) -> dict[str, Counter]:
    """Every report as a Counter keyed like the rows the services return, from the scans one by one."""
    sku = {p.id: p.sku for p in history.products}
    code = {p.id: p.code for p in history.stores}
    mine = [row for row in history.scans if row["location_id"] in ids]
    rows = [
        r
        for r in mine
        if _product_scan(r) and first <= _local(history, r["location_id"], r["created_at"]).date() <= last
    ]
    products, stores, hours, out = Counter(), Counter(), Counter(), Counter()
    for row in rows:
        products[sku[row["product_id"]]] += 1
        stores[code[row["location_id"]]] += 1
        hours[(code[row["location_id"]], _local(history, row["location_id"], row["created_at"]).hour)] += 1
        if row["available"] == 0:
            out[(sku[row["product_id"]], code[row["location_id"]])] += 1
    seen = {
        (_shopper(r), r["product_id"], r["location_id"], _local(history, r["location_id"], r["created_at"]).date())
        for r in rows
        if _shopper(r) is not None
    }
    scanned, missed = Counter(), Counter()
    for key, product, place, day in seen:
        # Bought that day: paid (anywhere) within the scanning store's day.
        bought = any(
            k == key and p == product and _local(history, place, paid).date() == day for k, p, _, paid in history.bought
        )
        scanned[(sku[product], code[place])] += 1
        missed[(sku[product], code[place])] += not bought
    unknown = Counter(
        (r["code"], code[r["location_id"]])
        for r in mine
        if r["outcome"] == "unknown" and first <= _local(history, r["location_id"], r["created_at"]).date() <= last
    )
    return {
        "products": products,
        "stores": stores,
        "hours": hours,
        "out_of_stock": out,
        "scanned": scanned,
        "not_bought": missed,
        "unknown": unknown,
    }


def from_services(reports: dict[str, list[dict]]) -> dict[str, Counter]:
    """The services' reports keyed like ``by_hand``."""
    return {
        "products": Counter({r["sku"]: r["scans"] for r in reports["products"]}),
        "stores": Counter({r["store"]: r["scans"] for r in reports["stores"]}),
        "hours": Counter({(r["store"], r["hour"]): r["scans"] for r in reports["hours"]}),
        "out_of_stock": Counter({(r["sku"], r["store"]): r["scans"] for r in reports["out_of_stock"]}),
        "scanned": Counter({(r["sku"], r["store"]): r["scanned"] for r in reports["not_bought"]}),
        "not_bought": Counter({(r["sku"], r["store"]): r["not_bought"] for r in reports["not_bought"]}),
        "unknown": Counter({(r["code"], r["store"]): r["scans"] for r in reports["unknown"]}),
    }


def per_store_channel(history: History, first: date, last: date, ids: set[int]) -> dict[str, tuple[int, int]]:
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    code = {p.id: p.code for p in history.stores}
    for row in history.scans:
        if row["location_id"] in ids and _product_scan(row):
            if first <= _local(history, row["location_id"], row["created_at"]).date() <= last:
                counts[code[row["location_id"]]][0 if row["channel"] == "phone" else 1] += 1
    return {k: tuple(v) for k, v in counts.items()}
