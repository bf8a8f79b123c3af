"""The phone page a shelf QR opens, and the scans it records."""

from __future__ import annotations

from sqlalchemy import select

from app.scans.models import Scan


def _label(client, headers):
    return client.get("/api/v1/labels", headers=headers).json["items"][0]


def test_label_url_shows_product_at_that_store(client, clerk_headers, make_location, make_product):
    store = make_location(name="Pudong Flagship")
    make_product(name="Longjing Tea", price_amount=4550, description="Spring leaves")
    label = _label(client, clerk_headers)
    page = client.get(label["url"].replace("HTTP://SHOP.TEST", ""))
    assert page.status_code == 200
    for text in ("Longjing Tea", "CN¥45.50", "Spring leaves", "Pudong Flagship"):
        assert text in page.text
    assert store.address in page.text
    assert 'name="viewport"' in page.text


def test_code_works_in_any_case(client, clerk_headers, make_location, make_product):
    make_location()
    make_product()
    code = _label(client, clerk_headers)["code"]
    assert client.get(f"/q/{code.lower()}").status_code == 200
    assert client.get(f"/Q/{code}").status_code == 200


def test_scan_is_recorded_with_session_location_and_channel(client, clerk_headers, make_location, make_product, db):
    store = make_location()
    product = make_product()
    code = _label(client, clerk_headers)["code"]
    first = client.get(f"/q/{code}")
    cookie = first.headers["Set-Cookie"]
    assert "oneshelf_shopper=" in cookie and "HttpOnly" in cookie
    client.get(f"/q/{code}")
    scans = db.session.scalars(select(Scan).order_by(Scan.id)).all()
    assert len(scans) == 2
    assert {s.shopper_session for s in scans} == {cookie.split("=")[1].split(";")[0]}
    assert all((s.channel, s.location_id, s.product_id, s.code) == ("phone", store.id, product.id, code) for s in scans)


def test_unknown_code_is_a_helpful_404(client, db):
    page = client.get("/q/NOSUCH22")
    assert page.status_code == 404
    assert "We don't know this label" in page.text and "ask a member of staff" in page.text
    assert db.session.scalars(select(Scan)).all() == []


def test_inactive_product_says_so(client, clerk_headers, make_location, make_product):
    make_location()
    make_product(active=False)
    code = _label(client, clerk_headers)["code"]
    assert "no longer sold here" in client.get(f"/q/{code}").text
