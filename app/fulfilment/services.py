"""Planning an online order's parcels and holding their units, in the order's own transaction.

The router (``router.plan``) chooses the locations from what is available now; the units are
then held at exactly those locations before the caller commits. Two orders racing for the
last units both plan on them, but a hold is a conditional update of the level row: the second
one's hold is refused (409) and its whole transaction, order included, rolls back. Nothing is
ever "checked everywhere, then reserved at the first".
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import select

from app.catalog import hours
from app.catalog import services as catalog
from app.catalog.models import Location
from app.db import utcnow
from app.errors import DomainError, NotFound
from app.extensions import db
from app.fulfilment import addresses, router
from app.fulfilment.models import Fulfilment, FulfilmentLine
from app.realtime import queue_event
from app.stock import live as stock_live
from app.stock import reservations
from app.stock import services as stock
from app.stock.models import StockReservation

# An online order's units stay held this long while it waits for its payment.
ORDER_HOLD = timedelta(days=7)
# Once paid, they stay held at the source until the parcel leaves it (or is collected there).
PAID_HOLD = timedelta(days=90)
# A parcel collected where it is kept is ready this long after the order, at the earliest.
PICKING_TIME = timedelta(hours=2)
# A parcel that travels takes a day, and a day more per this many km.
KM_PER_DAY = 500
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@dataclass(frozen=True)
class HeldParcel:
    """One planned parcel: where it comes from, its cost, and the held units per line key."""

    source: Location
    km: float
    cost: int
    holds: tuple[tuple[int, StockReservation], ...]  # (line key, the hold of its units here)


def sources() -> list[router.Source]:
    """Every location that sends online orders, as the router sees it."""
    rows = db.session.scalars(select(Location).where(Location.ships_online.is_(True)).order_by(Location.id))
    return [router.Source(x.id, x.latitude, x.longitude, x.handling_cost, x.route_priority) for x in rows]


def rates() -> router.Rates:
    """The router's per-km rate and unknown distance, from the configuration."""
    return router.Rates(current_app.config["ROUTE_PER_KM"], current_app.config["ROUTE_UNKNOWN_KM"])


def plan(lines: Sequence[router.Line], destination: tuple[float, float] | None) -> router.Plan:
    """The cheapest parcels for these lines to ``destination``, from what is available now (409 if short)."""
    available = stock.available_by_location({line.product_id for line in lines})
    return router.plan(lines, sources(), available, destination, rates())


def plan_and_hold(
    lines: Sequence[router.Line], destination: tuple[float, float] | None, *, reference: str, attempts: int = 3
) -> list[HeldParcel]:
    """Plan the parcels and hold every planned unit where the plan takes it from (the caller commits).

    A hold refused because another order took those units after we read them (PostgreSQL lets
    two transactions read at once) undoes this attempt's holds and plans again from what is
    left, up to ``attempts`` times; then, or when nothing is left anywhere, 409.
    """
    for attempt in range(attempts):
        try:
            with db.session.begin_nested():
                return _plan_and_hold_once(lines, destination, reference)
        except stock.InsufficientStock:
            if attempt == attempts - 1:
                raise
    raise AssertionError("unreachable")


def _plan_and_hold_once(
    lines: Sequence[router.Line], destination: tuple[float, float] | None, reference: str
) -> list[HeldParcel]:
    chosen = plan(lines, destination)
    product_of = {line.key: line.product_id for line in lines}
    products = catalog.products_by_id(set(product_of.values()))
    places = catalog.locations_by_id({s.source_id for s in chosen.shipments})
    # Holds in (product, location) order, as every stock write takes its rows.
    wanted = sorted(
        (
            (product_of[key], shipment.source_id, key, units)
            for shipment in chosen.shipments
            for key, units in shipment.items
        )
    )
    held: dict[tuple[int, int], StockReservation] = {}
    for product_id, source_id, key, units in wanted:
        held[(key, source_id)] = reservations.hold(
            products[product_id], places[source_id], units, reference=reference, ttl=ORDER_HOLD
        )
    return [
        HeldParcel(places[s.source_id], s.km, s.cost, tuple((key, held[(key, s.source_id)]) for key, _ in s.items))
        for s in chosen.shipments
    ]


# ---- what the shopper chose at checkout --------------------------------------------------


@dataclass(frozen=True)
class Choice:
    """How one basket line leaves: carried out now, collected at a store, or delivered to an address."""

    mode: str = "carry_out"
    collect_at: Location | None = None
    address: dict | None = None

    @property
    def destination(self) -> tuple[float, float] | None:
        if self.collect_at is not None:
            place = self.collect_at
            return (place.latitude, place.longitude) if place.latitude is not None else None
        if self.address and self.address.get("latitude") is not None:
            return (self.address["latitude"], self.address["longitude"])
        return None

    @property
    def group(self) -> tuple:
        """Lines to the same place are planned together (and may share parcels)."""
        if self.collect_at is not None:
            return ("collect", self.collect_at.id)
        return ("deliver", json.dumps(self.address, sort_keys=True))


def choices(raw: list[dict] | None, line_ids: Sequence[int], member_id: int | None) -> dict[int, Choice]:
    """Each basket line's choice (carry out unless said otherwise), checked; 422 on anything wrong."""
    chosen: dict[int, Choice] = {line_id: Choice() for line_id in line_ids}
    seen: set[int] = set()
    for item in raw or []:
        line_id, mode = item.get("line"), item.get("mode")
        if line_id not in chosen:
            raise DomainError("unknown_line", f"This basket has no line {line_id}.")
        if line_id in seen:
            raise DomainError("line_twice", f"Line {line_id} is named twice in fulfilment.")
        seen.add(line_id)
        if mode == "carry_out":
            continue
        if mode == "collect":
            place = catalog.get_location(item.get("location") or "") if item.get("location") else None
            if place is None:
                raise DomainError("collect_where", f"Say which store line {line_id} is collected at (location).")
            if place.kind != "store":
                raise DomainError("not_a_store", f"{place.name} is not a store; choose a store to collect at.")
            chosen[line_id] = Choice("collect", collect_at=place)
        elif mode == "deliver":
            chosen[line_id] = Choice("deliver", address=_address(item.get("address"), member_id, line_id))
        else:
            raise DomainError("invalid_mode", 'mode is one of "carry_out", "collect" or "deliver".')
    return chosen


def _address(raw: Any, member_id: int | None, line_id: int) -> dict:
    if raw is None:
        raise DomainError("address_required", f"Say where line {line_id} is delivered (address).")
    if isinstance(raw, dict) and set(raw) == {"id"}:
        if member_id is None:
            raise DomainError("sign_in_for_addresses", "Sign in to use a saved address, or type one.", status=401)
        saved = addresses.as_dict(addresses.get_address(member_id, raw["id"]))
        saved.pop("id")
        return saved
    return addresses.check(raw)


# ---- the parcels of an order ----------------------------------------------------------


@dataclass(frozen=True)
class OrderedLine:
    """An order line to be sent: its id, product, units and the shopper's choice."""

    id: int
    product_id: int
    quantity: int
    choice: Choice


def arrange(order_id: int, lines: Sequence[OrderedLine], *, reference: str) -> list[Fulfilment]:
    """Plan and hold the parcels of these lines (grouped by where they go); the caller commits."""
    groups: dict[tuple, list[OrderedLine]] = {}
    for line in lines:
        groups.setdefault(line.choice.group, []).append(line)
    made: list[Fulfilment] = []
    now = utcnow()
    for members in groups.values():
        choice = members[0].choice
        wanted = [router.Line(line.id, line.product_id, line.quantity) for line in members]
        for parcel in plan_and_hold(wanted, choice.destination, reference=reference):
            made.append(_parcel(order_id, choice, parcel, now))
    db.session.flush()
    return made


def _parcel(order_id: int, choice: Choice, parcel: HeldParcel, now: datetime) -> Fulfilment:
    fulfilment = Fulfilment(
        order_id=order_id,
        mode=choice.mode,
        source_location_id=parcel.source.id,
        collect_location_id=choice.collect_at.id if choice.collect_at else None,
        address=json.dumps(choice.address, ensure_ascii=False) if choice.address else "",
        code="F" + "".join(secrets.choice(CODE_ALPHABET) for _ in range(11)),
        cost=parcel.cost,
        distance_km=round(parcel.km, 1),
        expected_at=expected_at(parcel.source, choice.collect_at, parcel.km, now),
        created_at=now,
        updated_at=now,
    )
    for key, hold in parcel.holds:
        fulfilment.lines.append(
            FulfilmentLine(order_line_id=key, product_id=hold.product_id, quantity=hold.quantity, reservation_id=hold.id)
        )
    db.session.add(fulfilment)
    return fulfilment


def expected_at(source: Location, collect_at: Location | None, km: float, now: datetime) -> datetime:
    """When the shopper may expect it: ready in the first collection slot, or delivered after the trip."""
    travels = collect_at is None or collect_at.id != source.id
    earliest = now + (timedelta(days=1 + int(km // KM_PER_DAY)) if travels else PICKING_TIME)
    if collect_at is None:
        return earliest
    slots = hours.collection_slots(collect_at.opening_hours, collect_at.timezone, earliest, days=7)
    return slots[0][0] if slots else earliest


def get_parcel(parcel_id: int) -> Fulfilment:
    """A parcel by id, or 404."""
    parcel = db.session.get(Fulfilment, parcel_id)
    if parcel is None:
        raise NotFound("parcel_not_found", f"No parcel {parcel_id}.")
    return parcel


def parcels_of(order_id: int) -> list[Fulfilment]:
    return list(db.session.scalars(select(Fulfilment).where(Fulfilment.order_id == order_id).order_by(Fulfilment.id)))


def holds_of(fulfilment: Fulfilment) -> list[StockReservation]:
    ids = [line.reservation_id for line in fulfilment.lines if line.reservation_id]
    return list(db.session.scalars(select(StockReservation).where(StockReservation.id.in_(ids)))) if ids else []


def paid(order_id: int) -> list[Fulfilment]:
    """The order is paid: its parcels' units stay held until they leave, and their stores hear of them."""
    parcels = parcels_of(order_id)
    keep_until = utcnow() + PAID_HOLD
    for fulfilment in parcels:
        for hold in holds_of(fulfilment):
            if hold.status == "active":
                hold.expires_at = max(hold.expires_at, keep_until)
        announce(fulfilment)
    return parcels


def cancel_unpaid(order_id: int) -> None:
    """The order was not paid: its parcels are cancelled and their units go back."""
    for fulfilment in parcels_of(order_id):
        for hold in holds_of(fulfilment):
            if hold.status == "active":
                reservations.release(hold)
        fulfilment.status = "cancelled"
        fulfilment.finished_at = fulfilment.updated_at = utcnow()
    db.session.flush()


def status_text(mode: str, status: str, source: str, collect_at: str) -> str:
    """What a parcel's step means to its shopper."""
    if status == "shipped":
        return f"On its way to {collect_at}" if mode == "collect" else "On its way to you"
    return {
        "open": f"Ordered: {source} will pick it",
        "picking": f"Being picked at {source}",
        "packed": f"Packed at {source}",
        "ready": f"Ready for collection at {collect_at}",
        "delivered": "Delivered",
        "collected": "Collected",
        "expired": "Not collected in time: refunded",
        "cancelled": "Cancelled",
    }[status]


def parcel_json(fulfilment: Fulfilment, places: dict[int, Location] | None = None) -> dict:
    """A parcel as the shopper and the API see it."""
    places = places or catalog.locations_by_id({fulfilment.source_location_id, fulfilment.collect_location_id or 0})
    source, collect = places.get(fulfilment.source_location_id), places.get(fulfilment.collect_location_id or 0)
    address = json.loads(fulfilment.address) if fulfilment.address else None
    return {
        "id": fulfilment.id,
        "mode": fulfilment.mode,
        "status": fulfilment.status,
        "status_text": status_text(
            fulfilment.mode, fulfilment.status, source.name if source else "", collect.name if collect else ""
        ),
        "code": fulfilment.code,
        "from": {"code": source.code, "name": source.name, "kind": source.kind} if source else None,
        "collect_at": {"code": collect.code, "name": collect.name} if collect else None,
        "address": address,
        "address_text": addresses.one_line(address) if address else "",
        "distance_km": fulfilment.distance_km,
        "expected_at": fulfilment.expected_at,
        "lines": [
            {"line": line.order_line_id, "product": line.product_id, "qty": line.quantity, "picked": line.picked}
            for line in fulfilment.lines
        ],
        "updated_at": fulfilment.updated_at,
    }


def announce(fulfilment: Fulfilment) -> None:
    """The clerks of the locations it concerns see it change, live."""
    data = {"id": fulfilment.id, "order": fulfilment.order_id, "status": fulfilment.status}
    places = {fulfilment.source_location_id, fulfilment.collect_location_id}
    for location_id in sorted(x for x in places if x):
        queue_event(db.session, "fulfilment:updated", data, room=stock_live.staff_room(location_id))
