"""Help from a phone: asked for at a store, claimed by a clerk, answered; the store's standard."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.db import utcnow
from app.errors import Conflict, DomainError
from app.service import services
from app.service.models import TRANSITIONS

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


def test_a_phone_asks_for_help_about_a_product_at_a_store(db, stores):
    a, _, product = stores
    request, created = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32, sku="TEA-1")
    db.session.commit()
    assert created
    assert (request.status, request.location_id, request.device_id) == ("open", a.id, None)
    assert request.topic == "Jasmine Pearls (TEA-1)"
    assert request.shopper_session == "a" * 32
    assert request in services.active_requests([a.id])


@both
def test_one_waiting_request_per_shopper_and_store(db, stores):
    first, _ = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32, sku="TEA-1")
    again, created = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32, topic="basket")
    assert again.id == first.id and not created
    # Another store, or another shopper, is another request.
    elsewhere, _ = services.ask_from_phone("SH-B", member_id=None, shopper_session="a" * 32)
    someone_else, _ = services.ask_from_phone("SH-A", member_id=None, shopper_session="b" * 32)
    assert len({first.id, elsewhere.id, someone_else.id}) == 3
    # Still waiting once claimed; once answered, a new press is a new call.
    services.claim(first, by="Ada")
    assert services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32)[0].id == first.id
    services.move(first, "answered", by="Ada")
    fresh, created = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32)
    assert created and fresh.id != first.id


def test_a_members_request_is_theirs_on_any_phone(db, stores, make_member):
    member = make_member()
    first, _ = services.ask_from_phone("SH-A", member_id=member.id, shopper_session="a" * 32, topic="basket")
    other_phone, created = services.ask_from_phone("SH-A", member_id=member.id, shopper_session="c" * 32)
    assert other_phone.id == first.id and not created
    assert first.topic == "basket"


def test_claim_records_who_and_when_and_then_answered_or_closed(db, stores):
    request, _ = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32, sku="TEA-1")
    services.claim(request, by="Ada Lovelace")
    db.session.commit()
    assert (request.status, request.claimed_by) == ("claimed", "Ada Lovelace")
    assert utcnow() - request.claimed_at < timedelta(minutes=1)
    assert services.help_json(request)["claimed_by"] == "Ada Lovelace"
    services.move(request, "answered", by="Ada Lovelace")
    services.move(request, "closed")
    assert request.status == "closed" and request not in services.active_requests(None)


@both
def test_transitions_that_the_table_does_not_allow_are_refused(db, stores):
    assert TRANSITIONS["open"] == ("claimed", "answered", "closed", "cancelled")
    assert TRANSITIONS["claimed"] == ("answered", "closed")
    request, _ = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32)
    services.claim(request, by="Ada")
    with pytest.raises(Conflict, match="claimed cannot become claimed"):
        services.claim(request, by="Grace")  # a second clerk is too late
    with pytest.raises(Conflict, match="cannot become cancelled"):
        services.move(request, "cancelled")
    services.move(request, "closed")
    for status in ("open", "claimed", "answered"):
        with pytest.raises(Conflict):
            services.move(request, status)
    assert request.claimed_by == "Ada"


def test_a_request_waiting_past_the_stores_standard_is_late(db, stores):
    a, b, _ = stores
    assert (a.help_answer_minutes, b.help_answer_minutes) == (5, 10)
    at_a, _ = services.ask_from_phone("SH-A", member_id=None, shopper_session="a" * 32)
    at_b, _ = services.ask_from_phone("SH-B", member_id=None, shopper_session="a" * 32)
    six_minutes_on = at_a.created_at + timedelta(minutes=6)
    assert not services.is_late(at_a, at_a.created_at + timedelta(minutes=4))
    assert services.is_late(at_a, six_minutes_on)
    assert not services.is_late(at_b, six_minutes_on)  # B answers within 10
    services.claim(at_a, by="Ada")
    assert not services.is_late(at_a, six_minutes_on)  # someone is on the way


def test_asking_needs_a_store_and_a_shopper(db, stores, make_location):
    make_location(code="WH-1", kind="warehouse", name="Warehouse")
    with pytest.raises(DomainError, match="not a store"):
        services.ask_from_phone("WH-1", member_id=None, shopper_session="a" * 32)
    with pytest.raises(DomainError) as nobody:
        services.ask_from_phone("SH-A", member_id=None, shopper_session=None)
    assert nobody.value.status == 401


def test_the_standard_is_set_with_the_location(client, db, admin_headers):
    made = client.post(
        "/api/v1/locations",
        json={"code": "SH-C", "name": "Jing'an", "kind": "store", "help_answer_minutes": 3},
        headers=admin_headers,
    )
    assert made.status_code == 201 and made.json["help_answer_minutes"] == 3
    default = client.post(
        "/api/v1/locations", json={"code": "SH-D", "name": "D", "kind": "store"}, headers=admin_headers
    )
    assert default.json["help_answer_minutes"] == 5
    bad = client.post(
        "/api/v1/locations",
        json={"code": "SH-E", "name": "E", "kind": "store", "help_answer_minutes": 0},
        headers=admin_headers,
    )
    assert bad.status_code == 422
