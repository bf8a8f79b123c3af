"""Planning an online order's parcels on the real ledger: the units are held where the plan takes them."""

from __future__ import annotations

import pytest

from app.errors import DomainError
from app.fulfilment import services
from app.fulfilment.router import Line
from app.stock import services as stock

HOME = (31.23, 121.47)  # a shopper's address in central Shanghai


@pytest.fixture
def places(db, make_location):
    near = make_location(code="NEAR", name="Jing'an store", latitude=31.23, longitude=121.45)
    far = make_location(code="FAR", name="Hangzhou store", latitude=30.27, longitude=120.15)
    depot = make_location(code="WH", name="Kunshan warehouse", kind="warehouse", latitude=31.38, longitude=120.98)
    return near, far, depot


def _stock(db, product, place, units):
    stock.record_movement(product, place, "receive", units, actor="test")
    db.session.commit()


def _available(db, product, place) -> int:
    db.session.expire_all()
    return stock.level_of(product, place).available


def test_what_the_nearest_store_lacks_is_held_at_the_warehouse(db, places, make_product):
    near, far, depot = places
    tea = make_product(name="Tieguanyin")
    _stock(db, tea, depot, 5)
    _stock(db, tea, far, 5)
    parcels = services.plan_and_hold([Line(1, tea.id, 2)], HOME, reference="order:T1")
    db.session.commit()
    assert [(p.source.code, [(key, h.quantity) for key, h in p.holds]) for p in parcels] == [("WH", [(1, 2)])]
    assert _available(db, tea, depot) == 3
    assert _available(db, tea, far) == 5 and _available(db, tea, near) == 0


def test_the_nearest_location_with_everything_sends_one_parcel(db, places, make_product):
    near, far, depot = places
    tea, cups = make_product(name="Longjing"), make_product(name="Cups")
    for product in (tea, cups):
        _stock(db, product, near, 3)
        _stock(db, product, far, 3)
    _stock(db, tea, depot, 3)
    parcels = services.plan_and_hold([Line(1, tea.id, 1), Line(2, cups.id, 2)], HOME, reference="order:T2")
    db.session.commit()
    assert [p.source.code for p in parcels] == ["NEAR"]
    assert _available(db, tea, near) == 2 and _available(db, cups, near) == 1
    assert _available(db, tea, depot) == 3


def test_a_line_is_split_only_when_no_location_has_all_of_it(db, places, make_product):
    near, far, depot = places
    tea = make_product(name="Pu'er")
    _stock(db, tea, near, 2)
    _stock(db, tea, depot, 2)
    parcels = services.plan_and_hold([Line(1, tea.id, 3)], HOME, reference="order:T3")
    db.session.commit()
    assert sorted(sum(h.quantity for _, h in p.holds) for p in parcels) == [1, 2]
    assert _available(db, tea, near) + _available(db, tea, depot) == 1


def test_not_enough_anywhere_is_refused_and_holds_nothing(db, places, make_product):
    near, far, depot = places
    tea = make_product(name="Dahongpao")
    _stock(db, tea, near, 1)
    _stock(db, tea, depot, 1)
    with pytest.raises(DomainError) as refused:
        services.plan_and_hold([Line(1, tea.id, 3)], HOME, reference="order:T4")
    db.session.rollback()
    assert refused.value.status == 409
    assert _available(db, tea, near) == 1 and _available(db, tea, depot) == 1


def test_units_held_by_one_order_are_not_planned_for_the_next(db, places, make_product):
    near, far, depot = places
    tea = make_product(name="Baihao")
    _stock(db, tea, near, 1)
    _stock(db, tea, far, 1)
    first = services.plan_and_hold([Line(1, tea.id, 1)], HOME, reference="order:A")
    db.session.commit()
    second = services.plan_and_hold([Line(1, tea.id, 1)], HOME, reference="order:B")
    db.session.commit()
    assert [p.source.code for p in first] == ["NEAR"] and [p.source.code for p in second] == ["FAR"]
    with pytest.raises(DomainError):
        services.plan_and_hold([Line(1, tea.id, 1)], HOME, reference="order:C")
    db.session.rollback()
    assert _available(db, tea, near) == 0 and _available(db, tea, far) == 0


def test_a_location_that_does_not_ship_online_is_never_planned(db, places, make_product):
    near, far, depot = places
    near.ships_online = False
    db.session.commit()
    tea = make_product(name="Maofeng")
    _stock(db, tea, near, 5)
    _stock(db, tea, far, 5)
    parcels = services.plan_and_hold([Line(1, tea.id, 1)], HOME, reference="order:T6")
    db.session.commit()
    assert [p.source.code for p in parcels] == ["FAR"]
    assert _available(db, tea, near) == 5
