"""Count one store's day from scans and orders into the analytics tables (replacing what was there).

A store's day runs from its local midnight to the next, in its time zone (so a clock change
makes that day 23 or 25 hours long). A shopper is the member when known, else the session the
scan was made in (a kiosk session's orders are that session's; a phone guest is matched once
they sign in, since their scans then join the member). "Not bought" means no paid order of
that shopper held the product during the store's day, at any location.

This reads the scans', orders' and carts' tables directly and in bulk: it is a read model,
and going through each domain's services row by row could not count a large history.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, delete, func, insert, literal, select

from app.analytics.models import ScanDay, ScanHour, UnknownCodeDay
from app.carts.models import Cart
from app.catalog import services as catalog
from app.catalog.models import Location
from app.db import begin_write, utcnow
from app.extensions import db
from app.kiosks.models import KioskSession
from app.orders.models import PAID, Order, OrderLine
from app.scans.models import Scan


def bounds(location: Location, day: date) -> tuple[datetime, datetime]:
    """The UTC start and end of a store's local day."""
    zone = ZoneInfo(location.timezone or "UTC")
    start = datetime.combine(day, time(), zone)
    end = datetime.combine(day + timedelta(days=1), time(), zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def today(location: Location) -> date:
    """The store's date now."""
    return utcnow().astimezone(ZoneInfo(location.timezone or "UTC")).date()


def _scans_of(location: Location, start: datetime, end: datetime) -> list[ColumnElement]:
    return [Scan.location_id == location.id, Scan.created_at >= start, Scan.created_at < end]


def scan_shopper() -> ColumnElement:
    """A scan's shopper: "m<member id>", else "s<session>" (None for a scan of nobody in particular)."""
    member = literal("m") + func.cast(Scan.member_id, db.String)
    session = literal("s") + Scan.shopper_session
    return case((Scan.member_id.is_not(None), member), (Scan.shopper_session.is_not(None), session), else_=None)


def _bought(start: datetime, end: datetime):
    """(shopper, product) of every unit paid for between start and end, anywhere."""
    member = literal("m") + func.cast(Order.member_id, db.String)
    shopper = case((Order.member_id.is_not(None), member), else_=literal("s") + KioskSession.key).label("shopper")
    return (
        select(shopper, OrderLine.product_id.label("product_id"))
        .select_from(Order)
        .join(OrderLine, OrderLine.order_id == Order.id)
        .join(Cart, Cart.id == Order.cart_id)
        .outerjoin(KioskSession, KioskSession.id == Cart.kiosk_session_id)
        .where(Order.status.in_(PAID), Order.paid_at >= start, Order.paid_at < end)
        .distinct()
        .subquery("bought")
    )


def _product_rows(location: Location, start: datetime, end: datetime, day: str) -> list[dict]:
    product_scan = [*_scans_of(location, start, end), Scan.product_id.is_not(None), Scan.channel != "staff"]
    counts = {
        row.product_id: {
            "location_id": location.id,
            "day": day,
            "product_id": row.product_id,
            "phone": row.phone,
            "kiosk": row.kiosk,
            "out_of_stock": row.out_of_stock,
            "shopper_days": 0,
            "not_bought": 0,
        }
        for row in db.session.execute(
            select(
                Scan.product_id,
                func.sum(case((Scan.channel == "phone", 1), else_=0)).label("phone"),
                func.sum(case((Scan.channel == "kiosk", 1), else_=0)).label("kiosk"),
                func.sum(case((Scan.available == 0, 1), else_=0)).label("out_of_stock"),
            )
            .where(*product_scan)
            .group_by(Scan.product_id)
        )
    }
    shopper = scan_shopper().label("shopper")
    seen = db.session.execute(select(shopper, Scan.product_id).where(*product_scan, shopper.is_not(None)).distinct())
    # Matched here rather than joined in SQL: both sets are one store-day small, and SQLite would
    # compare every pair of the two.
    bought = {(row.shopper, row.product_id) for row in db.session.execute(select(_bought(start, end)))}
    for who, product_id in seen:
        counts[product_id]["shopper_days"] += 1
        counts[product_id]["not_bought"] += (who, product_id) not in bought
    return list(counts.values())


def _hours_since(column, start: datetime) -> ColumnElement:
    """Whole hours from ``start`` to ``column`` (the hour of the store's day)."""
    if db.engine.dialect.name == "sqlite":
        # Whole seconds (julianday's fractions of a day would put 16:00:00 at 15:59:59.999).
        seconds = func.cast(func.strftime("%s", column), db.Integer) - int(start.timestamp())
        return seconds // 3600
    return func.floor(func.extract("epoch", column - start) / 3600)


def _hour_rows(location: Location, start: datetime, end: datetime, day: str) -> list[dict]:
    hour = _hours_since(Scan.created_at, start).label("hour")
    rows = db.session.execute(
        select(hour, func.count().label("scans"))
        .where(*_scans_of(location, start, end), Scan.product_id.is_not(None), Scan.channel != "staff")
        .group_by(hour)
    )
    return [{"location_id": location.id, "day": day, "hour": int(r.hour), "scans": r.scans} for r in rows]


def _unknown_rows(location: Location, start: datetime, end: datetime, day: str) -> list[dict]:
    rows = db.session.execute(
        select(Scan.code, func.count().label("scans"), func.max(Scan.created_at).label("last_at"))
        .where(*_scans_of(location, start, end), Scan.outcome == "unknown")
        .group_by(Scan.code)
    )
    return [
        {"location_id": location.id, "day": day, "code": r.code, "scans": r.scans, "last_at": r.last_at} for r in rows
    ]


Counts = dict[type, list[dict]]


def count(location: Location, day: date) -> Counts:
    """One store's day counted from scans and orders (reads only)."""
    start, end = bounds(location, day)
    key = day.isoformat()
    return {
        ScanDay: _product_rows(location, start, end, key),
        ScanHour: _hour_rows(location, start, end, key),
        UnknownCodeDay: _unknown_rows(location, start, end, key),
    }


def replace(location: Location, day: date, counts: Counts) -> None:
    """Put a store-day's counts in place of what was there (flushes; the caller commits)."""
    key = day.isoformat()
    for table, rows in counts.items():
        db.session.execute(delete(table).where(table.location_id == location.id, table.day == key))
        if rows:
            db.session.execute(insert(table), rows)


def roll_up(location: Location, day: date) -> None:
    """Count one store's day again from scratch, in the caller's transaction."""
    replace(location, day, count(location, day))


def refresh(location: Location, day: date) -> None:
    """Count a store-day and commit it: counted in a read, written in a short write of its own.

    On SQLite a write transaction holds the one write lock; counting a busy day inside it would
    keep every checkout waiting.
    """
    counts = count(location, day)
    db.session.rollback()  # the read ends; nothing was written
    begin_write(db.session)
    replace(location, day, counts)
    db.session.commit()


def stores() -> list[Location]:
    return [loc for loc in catalog.all_locations() if loc.kind == "store"]


def roll_up_days(first: date, last: date, locations: Iterable[Location] | None = None) -> int:
    """Count every store's days from ``first`` to ``last`` again; how many store-days."""
    done = 0
    for location in locations if locations is not None else stores():
        day = first
        while day <= last:
            roll_up(location, day)
            day += timedelta(days=1)
            done += 1
    return done


def recent_days(location: Location) -> list[date]:
    """The days the job runner keeps counting: the store's today and yesterday."""
    local = today(location)
    return [local - timedelta(days=1), local]


def refresh_recent() -> int:
    """Count today and yesterday of every store again, each store-day committed on its own."""
    done = 0
    for location in stores():
        for day in recent_days(location):
            refresh(location, day)
            done += 1
    return done
