"""Where an order's units come from: the cheapest set of parcels under one documented cost.

The cost of a plan is the sum, over every location that sends a parcel, of::

    round(great-circle km from the location to the destination x per_km)
    + the location's handling cost per parcel
    + the location's priority (a penalty in the same minor units: a higher one is used less)

One parcel per location, whatever it carries. A line comes whole from one location; it is
split over several only when no single location has all its units (and then from the
cheapest ones first). A location without coordinates counts as ``unknown_km`` away.

Small orders (up to ``EXACT_LINES`` whole lines) are planned exactly: a dynamic programme over
the sets of lines covered, keeping for each set of lines a location can send only the cheapest
such location. Bigger ones by a heuristic: greedy weighted set cover (the parcel with the lowest
cost per line it newly covers, parcels already sending split lines being free), then dropping
any parcel whose lines the others can send.

This module is pure (no database): the caller passes the candidate locations as ``Source`` rows
and the units available to sell as ``available[product id][location id]`` (as one query of the
order's products reads them: only the rows with stock), and holds the planned units in the
order's own transaction.
"""

from __future__ import annotations

import heapq
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from math import asin, cos, radians, sin, sqrt

from app.errors import DomainError

EXACT_LINES = 8
EARTH_RADIUS_KM = 6371.0


@dataclass(frozen=True)
class Source:
    """A location that could send a parcel: where it is and what a parcel from it costs."""

    id: int
    latitude: float | None
    longitude: float | None
    handling: int = 0  # minor units per parcel
    priority: int = 0  # minor units per parcel; a location to spare has a higher one


@dataclass(frozen=True)
class Line:
    key: int  # the basket line
    product_id: int
    qty: int


@dataclass(frozen=True)
class Rates:
    per_km: float = 1.0  # minor units per km
    unknown_km: float = 1000.0


@dataclass(frozen=True)
class Shipment:
    source_id: int
    items: tuple[tuple[int, int], ...]  # (line key, units)
    km: float
    cost: int


@dataclass(frozen=True)
class Plan:
    shipments: tuple[Shipment, ...]
    cost: int
    exact: bool
    split_lines: tuple[int, ...] = field(default=())


class NotEnoughStock(DomainError):
    status = 409


def great_circle_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dlat, dlon = radians(lat2 - lat1), radians(lon2 - lon1)
    h = sin(dlat / 2) ** 2 + cos(radians(lat1)) * cos(radians(lat2)) * sin(dlon / 2) ** 2
    return 2 * EARTH_RADIUS_KM * asin(sqrt(h))


def km_between(source: Source, destination: tuple[float, float] | None, rates: Rates) -> float:
    if destination is None or source.latitude is None or source.longitude is None:
        return rates.unknown_km
    return great_circle_km(source.latitude, source.longitude, destination[0], destination[1])


def parcel_cost(km: float, source: Source, rates: Rates) -> int:
    return round(km * rates.per_km) + source.handling + source.priority


Available = Mapping[int, Mapping[int, int]]  # product id -> location id -> units available to sell


def plan(
    lines: Sequence[Line],
    sources: Sequence[Source],
    available: Available,
    destination: tuple[float, float] | None,
    rates: Rates = Rates(),
    exact_lines: int = EXACT_LINES,
) -> Plan:
    """The cheapest plan found for these lines to ``destination`` (latitude, longitude)."""
    if len({line.product_id for line in lines}) != len(lines):
        raise ValueError("one line per product")
    if any(line.qty <= 0 for line in lines):
        raise ValueError("quantities must be positive")
    known = {s.id: s for s in sources}
    masks: dict[int, int] = {}  # per source holding any of the lines, the lines (bit i) it can send whole
    for i, line in enumerate(lines):
        bit = 1 << i
        for sid, units in available.get(line.product_id, {}).items():
            if units > 0 and sid in known:
                masks[sid] = masks.get(sid, 0) | (bit if units >= line.qty else 0)
    coverable = 0
    for mask in masks.values():
        coverable |= mask
    useful = [known[sid] for sid in masks]
    km = {s.id: km_between(s, destination, rates) for s in useful}
    cost = {s.id: parcel_cost(km[s.id], s, rates) for s in useful}
    by_cost = sorted(useful, key=lambda s: (cost[s.id], s.id))
    whole = [i for i in range(len(lines)) if coverable >> i & 1]
    split = [lines[i] for i in range(len(lines)) if not coverable >> i & 1]

    items: dict[int, list[tuple[int, int]]] = {}
    for line in split:
        _split(line, available.get(line.product_id, {}), by_cost, items)
    price = {sid: 0 if sid in items else cost[sid] for sid in masks}

    if len(whole) <= exact_lines:
        chosen = _exact(_compact(masks, whole), price)
    else:
        # Split lines have no bit in any mask: covering ``coverable`` covers every whole line.
        chosen = _greedy(coverable, masks, price)
    chosen.sort(key=lambda sid: (price[sid], sid))
    for i in whole:
        # Every chosen parcel is paid for already: the line goes with the cheapest one that has it.
        sid = next(sid for sid in chosen if masks[sid] >> i & 1)
        items.setdefault(sid, []).append((lines[i].key, lines[i].qty))

    shipments = tuple(Shipment(s.id, tuple(items[s.id]), km[s.id], cost[s.id]) for s in by_cost if s.id in items)
    return Plan(
        shipments,
        sum(sh.cost for sh in shipments),
        exact=len(whole) <= exact_lines,
        split_lines=tuple(line.key for line in split),
    )


def _split(line: Line, holders: Mapping[int, int], by_cost: list[Source], items: dict[int, list]) -> None:
    """No location has all of this line: take it from the cheapest ones, those already sending first."""
    order = sorted(by_cost, key=lambda s: s.id not in items)  # stable: cost order kept within each group
    left = line.qty
    taken: list[tuple[int, int]] = []
    for source in order:
        units = min(left, holders.get(source.id, 0))
        if units > 0:
            taken.append((source.id, units))
            left -= units
            if left == 0:
                break
    if left:
        raise NotEnoughStock(
            "not_enough_stock",
            f"Only {line.qty - left} of {line.qty} units of this product are available anywhere.",
            details={"line": line.key, "available": line.qty - left},
        )
    for source_id, units in taken:
        items.setdefault(source_id, []).append((line.key, units))


def _compact(masks: dict[int, int], whole: list[int]) -> dict[int, int]:
    """The masks renumbered over the whole lines only (bit j: whole[j])."""
    compact = {}
    for sid, mask in masks.items():
        new = 0
        for j, i in enumerate(whole):
            if mask >> i & 1:
                new |= 1 << j
        if new:
            compact[sid] = new
    return compact


def _exact(masks: dict[int, int], price: dict[int, int]) -> list[int]:
    """The cheapest set of parcels covering every line of ``masks`` (free parcels cost nothing)."""
    full = 0
    for mask in masks.values():
        full |= mask
    if not full:
        return []
    best: dict[int, int] = {}  # per set of lines, the cheapest source that sends exactly that set
    for sid, mask in masks.items():
        if mask not in best or (price[sid], sid) < (price[best[mask]], best[mask]):
            best[mask] = sid
    options = [(mask, sid, price[sid]) for mask, sid in best.items()]
    inf = float("inf")
    dp: list[float] = [inf] * (full + 1)
    back: list[tuple[int, int]] = [(0, 0)] * (full + 1)
    dp[0] = 0
    for covered in range(full + 1):
        here = dp[covered]
        if here == inf:
            continue
        for mask, sid, p in options:
            if mask & ~covered:
                nxt = covered | mask
                if here + p < dp[nxt]:
                    dp[nxt], back[nxt] = here + p, (covered, sid)
    chosen: list[int] = []
    at = full
    while at:
        at, sid = back[at]
        chosen.append(sid)
    return chosen


def _greedy(full: int, masks: dict[int, int], price: dict[int, int]) -> list[int]:
    """Greedy weighted set cover, then parcels the others make unnecessary dropped.

    Lazy: a parcel's cost per newly covered line only grows as lines get covered, so one popped
    from the heap whose fresh ratio is still the lowest is the greedy choice.
    """
    heap = [(price[sid] / mask.bit_count(), sid) for sid, mask in masks.items() if mask]
    heapq.heapify(heap)
    covered = 0
    chosen: list[int] = []
    while covered != full:
        _, sid = heapq.heappop(heap)
        new = (masks[sid] & ~covered).bit_count()
        if not new:
            continue
        now = price[sid] / new
        if heap and now > heap[0][0]:
            heapq.heappush(heap, (now, sid))  # dearer than it was: look again later
            continue
        chosen.append(sid)
        covered |= masks[sid]
    # The dearest first: a parcel whose lines the others cover goes.
    for sid in sorted(chosen, key=lambda sid: -price[sid]):
        rest = 0
        for other in chosen:
            if other != sid:
                rest |= masks[other]
        if rest == full:
            chosen.remove(sid)
    return chosen
