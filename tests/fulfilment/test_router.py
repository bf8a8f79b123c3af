"""The router: the cheapest parcels under the documented cost, exact for small orders."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.fulfilment import router
from app.fulfilment.router import Line, Rates, Source

SHANGHAI = (31.2304, 121.4737)


def _plan(lines, stocked, rates: Rates | None = None, **kwargs):
    """Plan with sources given as (Source, {product: units}) pairs."""
    sources = [source for source, _ in stocked]
    available: dict[int, dict[int, int]] = {}
    for source, stock in stocked:
        for product, units in stock.items():
            available.setdefault(product, {})[source.id] = units
    return router.plan(lines, sources, available, SHANGHAI, rates or Rates(), **kwargs)


def _cost_of(assignment: dict[int, int], sources: dict[int, Source], rates: Rates) -> int:
    """What a plan sending each line from ``assignment[line]`` costs: one parcel per location used."""
    return sum(
        router.parcel_cost(router.km_between(sources[sid], SHANGHAI, rates), sources[sid], rates)
        for sid in set(assignment.values())
    )


def _brute_force(lines: list[Line], stocked, rates: Rates) -> int:
    """Try every way of sending each whole line from one location that has it all."""
    by_id = {s.id: s for s, _ in stocked}
    options = [[s.id for s, stock in stocked if stock.get(line.product_id, 0) >= line.qty] for line in lines]
    return min(_cost_of(dict(enumerate(pick)), by_id, rates) for pick in itertools.product(*options))


def _random_order(seed: int):
    rng = random.Random(seed)
    n_lines, n_sources = rng.randint(1, 5), rng.randint(1, 10)
    lines = [Line(key=i, product_id=100 + i, qty=rng.randint(1, 3)) for i in range(n_lines)]
    sources = []
    for sid in range(n_sources):
        stock = {line.product_id: rng.choice([0, 0, 1, 2, 3, 5]) for line in lines}
        source = Source(
            id=sid,
            latitude=SHANGHAI[0] + rng.uniform(-1, 1),
            longitude=SHANGHAI[1] + rng.uniform(-1, 1),
            handling=rng.choice([0, 200, 500, 1500]),
            priority=rng.choice([0, 0, 100, 1000]),
        )
        sources.append((source, stock))
    # Every line whole somewhere, so brute force over whole lines is the whole answer.
    for line in lines:
        if not any(stock[line.product_id] >= line.qty for _, stock in sources):
            rng.choice(sources)[1][line.product_id] = line.qty
    return lines, sources


@settings(max_examples=300, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_small_orders_are_planned_exactly_as_brute_force_finds(seed):
    lines, sources = _random_order(seed)
    rates = Rates(per_km=30)
    found = _plan(lines, sources, rates)
    assert found.exact
    assert found.cost == _brute_force(lines, sources, rates)
    _assert_valid(found, lines, sources)


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=0, max_value=10**9))
def test_the_heuristic_sends_everything_and_never_costs_more_than_one_parcel_per_line(seed):
    lines, sources = _random_order(seed)
    rates = Rates(per_km=30)
    found = _plan(lines, sources, rates, exact_lines=0)
    assert not found.exact
    _assert_valid(found, lines, sources)
    assert found.cost >= _brute_force(lines, sources, rates)
    each_from_its_cheapest = sum(
        min(
            router.parcel_cost(router.km_between(s, SHANGHAI, rates), s, rates)
            for s, stock in sources
            if stock.get(line.product_id, 0) >= line.qty
        )
        for line in lines
    )
    assert found.cost <= each_from_its_cheapest


def _assert_valid(found: router.Plan, lines: list[Line], stocked) -> None:
    stock_of = {s.id: stock for s, stock in stocked}
    sent: dict[int, int] = {}
    for shipment in found.shipments:
        for key, units in shipment.items:
            line = lines[key]
            assert units <= stock_of[shipment.source_id][line.product_id]
            sent[key] = sent.get(key, 0) + units
    assert sent == {line.key: line.qty for line in lines}
    assert len({sh.source_id for sh in found.shipments}) == len(found.shipments)  # one parcel per location


def test_the_nearest_store_lacking_the_item_sends_the_order_to_the_warehouse():
    store = (Source(1, 31.23, 121.47, handling=300), {7: 0, 8: 4})
    warehouse = (Source(2, 31.10, 121.30, handling=300), {7: 50, 8: 50})
    far_store = (Source(3, 39.90, 116.40, handling=300), {7: 5, 8: 5})
    found = _plan([Line(1, 7, 2), Line(2, 8, 1)], [store, warehouse, far_store])
    # One parcel from the warehouse beats two (store + warehouse): both lines come from there.
    assert [(sh.source_id, sh.items) for sh in found.shipments] == [(2, ((1, 2), (2, 1)))]


def test_a_line_is_split_only_when_no_single_location_has_it_all():
    near = (Source(1, 31.23, 121.47), {7: 3})
    also_near = (Source(2, 31.24, 121.48), {7: 3})
    far = (Source(3, 39.90, 116.40), {7: 5})
    whole = _plan([Line(1, 7, 5)], [near, also_near, far])
    assert [(sh.source_id, sh.items) for sh in whole.shipments] == [(3, ((1, 5),))]
    assert whole.split_lines == ()

    split = _plan([Line(1, 7, 6)], [near, also_near, far])
    assert split.split_lines == (1,)
    assert sorted((sh.source_id, sh.items) for sh in split.shipments) == [(1, ((1, 3),)), (2, ((1, 3),))]


def test_a_priority_keeps_a_location_for_when_it_is_needed():
    flagship = (Source(1, 31.23, 121.47, priority=5000), {7: 9})
    warehouse = (Source(2, 31.10, 121.30), {7: 9})
    found = _plan([Line(1, 7, 1)], [flagship, warehouse], Rates(per_km=30))
    assert [sh.source_id for sh in found.shipments] == [2]


def test_more_units_than_anywhere_has_is_refused_with_what_is_available():
    with pytest.raises(router.NotEnoughStock) as refused:
        _plan([Line(1, 7, 9)], [(Source(1, 31.2, 121.4), {7: 3}), (Source(2, 31.0, 121.0), {7: 2})])
    assert refused.value.code == "not_enough_stock"
    assert refused.value.details == {"line": 1, "available": 5}


def test_fifty_lines_over_a_thousand_locations_send_every_unit():
    rng = random.Random(7)
    lines = [Line(i, 1000 + i, rng.randint(1, 4)) for i in range(50)]
    sources = [
        (
            Source(
                sid, SHANGHAI[0] + rng.uniform(-2, 2), SHANGHAI[1] + rng.uniform(-2, 2), handling=rng.choice([200, 500])
            ),
            {line.product_id: rng.choice([0, 0, 0, 2, 5, 10]) for line in lines},
        )
        for sid in range(1000)
    ]
    found = _plan(lines, sources, Rates(per_km=30))
    assert not found.exact
    _assert_valid(found, lines, sources)
    assert len(found.shipments) < 10  # parcels are shared, not one per line
