"""Today at the stores a manager runs, against the same weekday last week, each store by its own day.

A read model: it counts orders, scans, help requests, stock levels, parcels, returns and feedback
in bulk from their tables (one grouped query each), which the owning domains' services would
answer row by row. "Today so far" is compared with the same weekday a week ago up to the same
time of day.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case, func, select

from app.analytics import rollup
from app.analytics.models import ScanDay
from app.catalog.models import Location
from app.db import utcnow
from app.extensions import db
from app.feedback import services as feedback
from app.fulfilment.models import Fulfilment
from app.orders.models import PAID, Order
from app.returns.models import Return
from app.scans.models import Scan
from app.service.models import HelpRequest
from app.stock.models import StockLevel

CHANNELS = ("kiosk", "phone", "counter", "online")


@dataclass(frozen=True)
class Day:
    """One store's today so far, and the same stretch a week ago."""

    location: Location
    start: datetime
    now: datetime

    @property
    def week_ago(self) -> tuple[datetime, datetime]:
        return self.start - timedelta(days=7), self.now - timedelta(days=7)


def days_of(locations: list[Location], now: datetime | None = None) -> list[Day]:
    """Each store's day so far, in its own time zone."""
    now = now or utcnow()
    return [Day(loc, rollup.bounds(loc, now.astimezone(_zone(loc)).date())[0], now) for loc in locations]


def _zone(location: Location):
    from zoneinfo import ZoneInfo

    return ZoneInfo(location.timezone or "UTC")


def _channel():
    """The counter when a clerk took the money, else where the order was placed."""
    return case((Order.payment_method == "counter", "counter"), else_=Order.channel)


def _sales(days: list[Day], week_ago: bool) -> dict[str, dict[str, int]]:
    """Paid orders and their totals per channel, summed over the stores."""
    out: dict[str, dict[str, int]] = {c: {"orders": 0, "total": 0} for c in CHANNELS}
    for day in days:
        start, end = day.week_ago if week_ago else (day.start, day.now)
        rows = db.session.execute(
            select(_channel().label("channel"), func.count(), func.coalesce(func.sum(Order.total), 0))
            .where(Order.location_id == day.location.id, Order.status.in_(PAID))
            .where(Order.paid_at >= start, Order.paid_at < end)
            .group_by(_channel())
        )
        for channel, orders, total in rows:
            out.setdefault(channel, {"orders": 0, "total": 0})
            out[channel]["orders"] += orders
            out[channel]["total"] += int(total)
    return out


def _sales_by_hour(days: list[Day], week_ago: bool) -> list[int]:
    """Sales per hour of the stores' day (summed over the stores), for the chart."""
    hours = [0] * 24
    for day in days:
        start, end = day.week_ago if week_ago else (day.start, day.now)
        rows = db.session.execute(
            select(Order.paid_at, Order.total)
            .where(Order.location_id == day.location.id, Order.status.in_(PAID))
            .where(Order.paid_at >= start, Order.paid_at < end)
        )
        for paid_at, total in rows:
            hours[min(23, int((paid_at - start).total_seconds() // 3600))] += total
    return hours


def _scans(days: list[Day]) -> dict[str, int | None]:
    """Product scans today, and the share of today's scanning shoppers who bought what they scanned."""
    scans = 0
    shopper_days = bought = 0
    for day in days:
        scans += db.session.scalar(
            select(func.count()).select_from(Scan).where(
                Scan.location_id == day.location.id, Scan.created_at >= day.start, Scan.created_at < day.now,
                Scan.product_id.is_not(None), Scan.channel != "staff",
            )
        ) or 0
        local_day = day.now.astimezone(_zone(day.location)).date().isoformat()
        seen, missed = db.session.execute(
            select(func.coalesce(func.sum(ScanDay.shopper_days), 0), func.coalesce(func.sum(ScanDay.not_bought), 0))
            .where(ScanDay.location_id == day.location.id, ScanDay.day == local_day)
        ).one()
        shopper_days += int(seen)
        bought += int(seen) - int(missed)
    conversion = round(100 * bought / shopper_days) if shopper_days else None
    return {"scans": scans, "shopper_days": shopper_days, "bought": bought, "conversion": conversion}


def _help(days: list[Day]) -> dict:
    """Requests waiting now, and today's: how fast they were answered against each store's standard."""
    ids = [d.location.id for d in days]
    waiting = db.session.scalar(
        select(func.count()).select_from(HelpRequest).where(
            HelpRequest.location_id.in_(ids), HelpRequest.status.in_(("open", "claimed"))
        )
    ) or 0
    minutes, within, late = [], 0, 0
    for day in days:
        standard = timedelta(minutes=day.location.help_answer_minutes)
        rows = db.session.execute(
            select(HelpRequest.created_at, HelpRequest.claimed_at, HelpRequest.answered_at, HelpRequest.status)
            .where(HelpRequest.location_id == day.location.id, HelpRequest.created_at >= day.start)
            .where(HelpRequest.created_at < day.now)
        )
        for created, claimed, answered, status in rows:
            reached = claimed or answered
            if reached is not None:
                minutes.append((reached - created).total_seconds() / 60)
                within += reached - created <= standard
            elif status in ("open", "claimed") and day.now - created > standard:
                late += 1
    answered = len(minutes)
    median = sorted(minutes)[answered // 2] if answered else None
    return {
        "waiting": waiting,
        "answered_today": answered,
        "within_standard": round(100 * within / answered) if answered else None,
        "median_minutes": round(median, 1) if median is not None else None,
        "late_now": late,
        "standard_minutes": sorted({d.location.help_answer_minutes for d in days}),
    }


def _work(days: list[Day]) -> dict[str, int]:
    """Low stock, parcels to pick and pickups waiting, and returns still to come back."""
    ids = [d.location.id for d in days]
    low = db.session.scalar(
        select(func.count()).select_from(StockLevel).where(
            StockLevel.location_id.in_(ids), StockLevel.on_hand - StockLevel.reserved <= StockLevel.low_stock_at
        )
    ) or 0
    to_pick = db.session.scalar(
        select(func.count()).select_from(Fulfilment).where(
            Fulfilment.source_location_id.in_(ids), Fulfilment.status.in_(("open", "picking"))
        )
    ) or 0
    pickups = db.session.scalar(
        select(func.count()).select_from(Fulfilment).where(
            Fulfilment.collect_location_id.in_(ids), Fulfilment.status == "ready"
        )
    ) or 0
    returns = db.session.scalar(
        select(func.count()).select_from(Return).join(Order, Order.id == Return.order_id).where(
            Order.location_id.in_(ids), Return.status == "requested"
        )
    ) or 0
    return {"low_stock": low, "to_pick": to_pick, "pickups_waiting": pickups, "returns_waiting": returns}


def today(locations: list[Location], now: datetime | None = None) -> dict:
    """Everything the dashboard shows, as JSON-ready numbers (money in minor units)."""
    days = days_of(locations, now)
    sales, before = _sales(days, False), _sales(days, True)
    latest = feedback.ratings([loc.id for loc in locations], utcnow() - timedelta(days=7), utcnow() + timedelta(days=1))
    by_channel = defaultdict(dict)
    for channel in sorted(set(sales) | set(before), key=lambda c: (CHANNELS + (c,)).index(c)):
        by_channel[channel] = {"today": sales.get(channel, {"orders": 0, "total": 0}),
                               "week_ago": before.get(channel, {"orders": 0, "total": 0})}
    return {
        "currency": locations[0].currency if locations else "CNY",
        "sales": dict(by_channel),
        "totals": {
            "today": {k: sum(v["today"][k] for v in by_channel.values()) for k in ("orders", "total")},
            "week_ago": {k: sum(v["week_ago"][k] for v in by_channel.values()) for k in ("orders", "total")},
        },
        "by_hour": {"today": _sales_by_hour(days, False), "week_ago": _sales_by_hour(days, True)},
        "scans": _scans(days),
        "help": _help(days),
        "work": _work(days),
        "feedback": [feedback.feedback_json(row) for row in latest[:5]],
        "as_of": (now or utcnow()).isoformat(),
    }
