"""The returns API: the member starts a return, a clerk scans it and receives it; retries have one effect."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy import func, select

from app.db import utcnow
from app.payments.models import PaymentRefund
from app.returns.models import Return
from tests.returns.conftest import level, paid_order, top_up, wallet_of


def key() -> dict:
    return {"Idempotency-Key": uuid.uuid4().hex}


def start(phone, headers, order, qty=1, channel="store", **extra):
    body = {"lines": [{"line": order.lines[0].id, "qty": qty}], "reason": "too big", "channel": channel, **extra}
    return phone.post(f"/api/v1/orders/{order.number}/returns", json=body, headers={**headers, **key()})


def receive_body(place, order, qty=1, to="sellable"):
    return {"location": place.code, "lines": [{"line": order.lines[0].id, "qty": qty, "to": to}]}


def test_a_member_starts_a_return_and_gets_its_qr(db, shopper, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    answer = start(phone, headers, order, qty=2)
    assert answer.status_code == 201, answer.text
    ret = answer.get_json()
    assert (ret["status"], ret["channel"], ret["order"]) == ("requested", "store", order.number)
    assert ret["lines"] == [
        {
            "line": order.lines[0].id,
            "sku": tea.sku,
            "name": "Jasmine Pearls",
            "qty": 2,
            "unit_price": 6800,
            "sellable": 0,
            "quarantined": 0,
            "refund_amount": 0,
        }
    ]
    assert ret["qr"]["token"].startswith(f"RT-{ret['number']}-")
    assert ret["qr"]["text"] == f"HTTP://SHOP.TEST/R/{ret['qr']['token']}"
    svg = phone.get(ret["qr"]["svg_url"].replace("http://shop.test", ""))
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml" and svg.data.startswith(b"<svg")
    # The order says what may still come back.
    listed = phone.get(f"/api/v1/orders/{order.number}/returns").get_json()
    assert listed["lines"][0]["returnable"] == 0 and [r["number"] for r in listed["returns"]] == [ret["number"]]
    assert phone.get(f"/api/v1/returns/{ret['id']}").get_json()["number"] == ret["number"]


def test_a_retried_start_is_one_return(db, shopper, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    body = {"lines": [{"line": order.lines[0].id, "qty": 1}], "reason": "", "channel": "mail"}
    sent = {**headers, "Idempotency-Key": "start-1"}
    first = phone.post(f"/api/v1/orders/{order.number}/returns", json=body, headers=sent)
    second = phone.post(f"/api/v1/orders/{order.number}/returns", json=body, headers=sent)
    assert first.status_code == second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true" and first.get_json() == second.get_json()
    assert db.session.scalar(select(func.count()).select_from(Return)) == 1
    assert first.get_json()["label_url"].endswith(f"/returns/{first.get_json()['number']}/label.pdf")
    assert first.get_json()["send_to"]["code"] == "WH-EAST"


def test_refusals_are_clear_and_write_nothing(app, db, shopper, member_client, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    too_many = start(phone, headers, order, qty=2)
    assert too_many.status_code == 409 and too_many.get_json()["error"]["code"] == "too_many_units"
    no_window = start(phone, headers, order, channel="pickup")
    assert no_window.status_code == 422 and no_window.get_json()["error"]["code"] == "pickup_required"
    past = (utcnow() - timedelta(hours=1)).isoformat()
    bad_window = start(
        phone, headers, order, channel="pickup", pickup={"from": past, "until": past, "address": {"line1": "1 Road"}}
    )
    assert bad_window.status_code == 422 and bad_window.get_json()["error"]["code"] == "invalid_pickup_window"
    # Another member's order: as if it did not exist.
    other, _ = member_client(login="other@example.com")
    from tests.conftest import csrf_from

    other_headers = {"X-CSRFToken": csrf_from(other.get("/account/signin").text)}
    stranger = start(other, other_headers, order)
    assert stranger.status_code == 404 and stranger.get_json()["error"]["code"] == "order_not_found"
    assert other.get(f"/api/v1/orders/{order.number}/returns").status_code == 404
    # Not signed in.
    assert start(app.test_client(), {}, order).status_code == 401
    assert db.session.scalar(select(func.count()).select_from(Return)) == 0


def test_a_pickup_return(db, shopper, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    soon = utcnow() + timedelta(days=1)
    pickup = {
        "from": soon.isoformat(),
        "until": (soon + timedelta(hours=3)).isoformat(),
        "address": {"line1": "5 Garden Lane", "city": "Shanghai", "postcode": "200000"},
    }
    answer = start(phone, headers, order, channel="pickup", pickup=pickup)
    assert answer.status_code == 201, answer.text
    got = answer.get_json()["pickup"]
    assert got["address"]["line1"] == "5 Garden Lane" and got["from"].startswith(soon.strftime("%Y-%m-%dT%H:%M"))


def test_a_clerk_scans_and_receives_once_with_a_retried_key(db, shopper, clerk_headers, places, tea):
    phone, member, headers = shopper
    order = paid_order(db, member, places[0], [(tea, 2)], method="card")
    ret = start(phone, headers, order, qty=2).get_json()
    scanned = phone.application.test_client().post(
        "/api/v1/returns/scan", json={"code": ret["qr"]["text"]}, headers=clerk_headers
    )
    assert scanned.status_code == 200 and scanned.get_json()["id"] == ret["id"]
    clerk = phone.application.test_client()
    sent = {**clerk_headers, "Idempotency-Key": "receive-1"}
    body = {
        "location": places[1].code,
        "lines": [
            {"line": order.lines[0].id, "qty": 1, "to": "sellable"},
            {"line": order.lines[0].id, "qty": 1, "to": "quarantine"},
        ],
    }
    first = clerk.post(f"/api/v1/returns/{ret['id']}/receive", json=body, headers=sent)
    assert first.status_code == 200, first.text
    done = first.get_json()
    assert done["status"] == "refunded" and done["refund"]["amount"] == 13600 and done["refund"]["method"] == "card"
    assert done["received"]["location"] == places[1].code and done["received"]["by"] == "test clerk"
    assert (done["lines"][0]["sellable"], done["lines"][0]["quarantined"]) == (1, 1)
    again = clerk.post(f"/api/v1/returns/{ret['id']}/receive", json=body, headers=sent)
    assert again.status_code == 200 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == done
    assert db.session.scalar(select(func.count()).select_from(PaymentRefund)) == 1
    assert level(db, tea, places[1]).on_hand == 1
    # Without the key a second receive is refused; the key is required.
    other = clerk.post(f"/api/v1/returns/{ret['id']}/receive", json=body, headers={**clerk_headers, **key()})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "invalid_transition"
    assert clerk.post(f"/api/v1/returns/{ret['id']}/receive", json=body, headers=clerk_headers).status_code == 400
    # The member sees it refunded.
    assert phone.get(f"/api/v1/returns/{ret['id']}").get_json()["status"] == "refunded"


def test_a_store_clerk_receives_only_at_their_own_store(db, shopper, staff_client, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(phone, headers, order).get_json()
    clerk, clerk_csrf = staff_client("clerk", location=places[1])  # of the other store
    elsewhere = clerk.post(
        f"/api/v1/returns/{ret['id']}/receive", json=receive_body(places[0], order), headers={**clerk_csrf, **key()}
    )
    assert elsewhere.status_code == 403 and elsewhere.get_json()["error"]["code"] == "other_store"
    here = clerk.post(
        f"/api/v1/returns/{ret['id']}/receive", json=receive_body(places[1], order), headers={**clerk_csrf, **key()}
    )
    assert here.status_code == 200, here.text
    assert wallet_of(db, member) == 100_000
    # A clerk of the store it was bought at does not see a return received elsewhere.
    own, own_csrf = staff_client("clerk", location=places[0])
    assert own.get(f"/api/v1/returns/{ret['id']}").status_code == 404
    assert own.get("/api/v1/returns").get_json()["items"] == []
    assert [r["id"] for r in clerk.get("/api/v1/returns?status=refunded").get_json()["items"]] == [ret["id"]]


def test_the_list_filters_and_needs_a_clerk(db, client, shopper, clerk_headers, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    first = start(phone, headers, order).get_json()
    second = start(phone, headers, order, channel="mail").get_json()
    listed = client.get("/api/v1/returns", headers=clerk_headers).get_json()
    assert [r["id"] for r in listed["items"]] == [second["id"], first["id"]]
    mail = client.get("/api/v1/returns?status=requested&limit=1", headers=clerk_headers).get_json()
    assert [r["id"] for r in mail["items"]] == [second["id"]] and mail["next_cursor"]
    assert client.get("/api/v1/returns").status_code == 401
    assert phone.get("/api/v1/returns").status_code == 401
    unknown = client.post("/api/v1/returns/scan", json={"code": "RT-NOPE-XYZ"}, headers=clerk_headers)
    assert unknown.status_code == 404 and unknown.get_json()["error"]["code"] == "return_not_found"


def test_the_member_cancels_a_return(db, shopper, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(phone, headers, order).get_json()
    cancelled = phone.post(f"/api/v1/returns/{ret['id']}/cancel", headers={**headers, **key()})
    assert cancelled.status_code == 200 and cancelled.get_json()["status"] == "cancelled"
    again = phone.post(f"/api/v1/returns/{ret['id']}/cancel", headers={**headers, **key()})
    assert again.status_code == 409
    assert start(phone, headers, order).status_code == 201  # its unit may be returned again


def test_the_label_pdf_holds_the_qr(db, shopper, clerk_headers, client, places, tea):
    phone, member, headers = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(phone, headers, order, channel="mail").get_json()
    pdf = phone.get(f"/returns/{ret['number']}/label.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf" and pdf.data.startswith(b"%PDF")
    via_api = client.get(f"/api/v1/returns/{ret['id']}/label.pdf", headers=clerk_headers)
    assert via_api.status_code == 200 and via_api.data.startswith(b"%PDF")
    store_ret = start(phone, headers, paid_order(db, member, places[0], [(tea, 1)])).get_json()
    assert phone.get(f"/returns/{store_ret['number']}/label.pdf").status_code == 404
