"""A location's opening hours: set through the API (checked), shown on the product page a shelf QR opens."""

from __future__ import annotations

HOURS = {"mon": [["09:00", "21:00"]], "sat": [["10:00", "14:00"], ["15:00", "22:00"]]}


def test_hours_set_through_the_api_are_shown_on_the_product_page(client, admin_headers, make_product):
    made = client.post(
        "/api/v1/locations",
        json={"code": "SH-9", "name": "Xintiandi", "kind": "store", "opening_hours": HOURS},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.text
    assert made.get_json()["opening_hours"]["sat"] == [["10:00", "14:00"], ["15:00", "22:00"]]
    make_product(name="Longjing Tea")
    label = client.get("/api/v1/labels?location=SH-9", headers=admin_headers).get_json()["items"][0]
    page = client.get(label["url"].replace("HTTP://SHOP.TEST", ""))
    assert page.status_code == 200
    assert "Opening hours" in page.text
    assert "<span>Mon</span> 09:00–21:00" in page.text
    assert "<span>Sat</span> 10:00–14:00, 15:00–22:00" in page.text
    assert "<span>Sun</span> Closed" in page.text


def test_bad_hours_are_refused_and_no_location_is_made(client, admin_headers):
    refused = client.post(
        "/api/v1/locations",
        json={"code": "SH-8", "name": "Bad", "kind": "store", "opening_hours": {"mon": [["21:00", "09:00"]]}},
        headers=admin_headers,
    )
    assert refused.status_code == 422
    assert refused.get_json()["error"]["code"] == "invalid_opening_hours"
    assert client.get("/api/v1/locations/SH-8", headers=admin_headers).status_code == 404


def test_unknown_hours_are_not_shown(client, admin_headers, make_location, make_product):
    make_location(code="SH-7", name="Hongqiao")
    make_product(name="Oolong")
    label = client.get("/api/v1/labels?location=SH-7", headers=admin_headers).get_json()["items"][0]
    page = client.get(label["url"].replace("HTTP://SHOP.TEST", ""))
    assert page.status_code == 200 and "Opening hours" not in page.text
