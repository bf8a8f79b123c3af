"""One basket is carried out of one store, in that store's currency; anything else is refused and holds nothing."""

from __future__ import annotations

from app.stock import services as stock


def _stocked(db, make_product, place, **fields):
    product = make_product(**fields)
    stock.record_movement(product, place, "receive", 5, actor="test")
    db.session.commit()
    return product


def _available(db, product, place) -> int:
    db.session.expire_all()
    return stock.level_of(product, place).available


def _new_cart(client) -> str:
    response = client.post("/api/v1/carts")
    assert response.status_code == 201, response.text
    return response.get_json()["id"]


def test_a_basket_takes_its_stores_currency(db, client, make_location, make_product):
    hong_kong = make_location(code="HK-1", name="Causeway Bay", currency="HKD", timezone="Asia/Hong_Kong")
    cakes = _stocked(db, make_product, hong_kong, name="Egg rolls", price_amount=8800, currency="HKD")
    cart = _new_cart(client)
    added = client.post(f"/api/v1/carts/{cart}/lines", json={"sku": cakes.sku, "location": "HK-1", "qty": 1})
    assert added.status_code == 201, added.text
    body = added.get_json()
    assert (body["currency"], body["total"]) == ("HKD", 8800)
    assert "HK$" in body["total_text"]


def test_a_line_in_another_currency_is_refused_and_nothing_is_held(db, client, make_location, make_product):
    shanghai = make_location(code="SH-1", name="Jing'an")
    yuan = _stocked(db, make_product, shanghai, name="Oolong", currency="CNY")
    dollars = _stocked(db, make_product, shanghai, name="Imported shortbread", currency="USD")
    cart = _new_cart(client)
    assert client.post(f"/api/v1/carts/{cart}/lines", json={"sku": yuan.sku, "location": "SH-1"}).status_code == 201
    refused = client.post(f"/api/v1/carts/{cart}/lines", json={"sku": dollars.sku, "location": "SH-1"})
    assert refused.status_code == 409
    error = refused.get_json()["error"]
    assert error["code"] == "currency_mismatch"
    assert "USD" in error["message"] and "CNY" in error["message"]
    assert _available(db, dollars, shanghai) == 5
    assert len(client.get(f"/api/v1/carts/{cart}").get_json()["lines"]) == 1


def test_a_line_at_another_store_is_refused_so_the_exit_pass_always_fits(db, client, make_location, make_product):
    here = make_location(code="SH-1", name="Jing'an")
    there = make_location(code="SH-2", name="Xuhui")
    tea = _stocked(db, make_product, here, name="Longjing")
    _stocked(db, make_product, there, name="Pu'er")
    stock.record_movement(tea, there, "receive", 5, actor="test")
    db.session.commit()
    cart = _new_cart(client)
    assert client.post(f"/api/v1/carts/{cart}/lines", json={"sku": tea.sku, "location": "SH-1"}).status_code == 201
    refused = client.post(f"/api/v1/carts/{cart}/lines", json={"sku": tea.sku, "location": "SH-2"})
    assert refused.status_code == 409
    assert refused.get_json()["error"]["code"] == "other_store"
    assert "Jing'an" in refused.get_json()["error"]["message"]
    assert _available(db, tea, there) == 5
    lines = client.get(f"/api/v1/carts/{cart}").get_json()["lines"]
    assert [line["qty"] for line in lines] == [1]


def test_a_location_is_created_with_its_currency_and_a_bad_one_is_refused(db, client, admin_headers):
    made = client.post(
        "/api/v1/locations",
        json={"code": "HK-2", "name": "Mong Kok", "kind": "store", "currency": "HKD"},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    assert made.get_json()["currency"] == "HKD"
    refused = client.post(
        "/api/v1/locations",
        json={"code": "XX-1", "name": "Nowhere", "kind": "store", "currency": "ZZZ"},
        headers=admin_headers,
    )
    assert refused.status_code == 422
    assert client.get("/api/v1/locations", headers=admin_headers).get_json()["items"][-1]["code"] == "HK-2"


def test_identified_at_another_stores_kiosk_the_basket_is_this_stores(db, make_location, make_product):
    """A member's basket from Jing'an, then a kiosk at Pudong: the Jing'an lines go back, Pudong's join."""
    from app.carts import services as carts
    from app.kiosks import services as kiosks
    from app.members import services as members

    jingan, pudong = make_location(code="SH-JA", name="Jing'an"), make_location(code="SH-PD", name="Pudong")
    tea = _stocked(db, make_product, jingan, name="Oolong")
    cups = _stocked(db, make_product, pudong, name="Tea cups")
    member = members.sign_up("mei@example.com", "long-password", "Mei")
    carts.add_line(carts.open_cart(member_id=member.id), sku=tea.sku, location="SH-JA", qty=2)
    device, _ = kiosks.create_device("SH-PD", "Kiosk 1")
    visit = kiosks.start_session(device)
    carts.add_line(carts.open_cart(kiosk_session_id=visit.id), sku=cups.sku, location="SH-PD", qty=1)
    db.session.commit()
    assert _available(db, tea, jingan) == 3

    kiosks.identify_member(visit, member, "member_code")
    db.session.commit()
    basket = carts.cart_json(carts.open_cart_of(member_id=member.id))
    assert [(x["name"], x["location"], x["qty"]) for x in basket["lines"]] == [("Tea cups", "SH-PD", 1)]
    assert _available(db, tea, jingan) == 5  # the Jing'an units are back on that shelf
    assert _available(db, cups, pudong) == 4  # the kiosk's hold moved with its line
