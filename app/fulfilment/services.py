"""Planning an online order's parcels and holding their units, in the order's own transaction.

The router (``router.plan``) chooses the locations from what is available now; the units are
then held at exactly those locations before the caller commits. Two orders racing for the
last units both plan on them, but a hold is a conditional update of the level row: the second
one's hold is refused (409) and its whole transaction, order included, rolls back. Nothing is
ever "checked everywhere, then reserved at the first".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Location
from app.extensions import db
from app.fulfilment import router
from app.stock import reservations
from app.stock import services as stock
from app.stock.models import StockReservation

# An online order's units stay held this long while it waits for its payment and its clerk.
ORDER_HOLD = timedelta(days=7)


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
