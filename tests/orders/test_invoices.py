"""Invoice (fapiao) requests: from the receipt page and the API, once per order; staff issue them."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.db import begin_write
from app.orders import services as orders
from app.orders.models import InvoiceRequest
from app.outbox.models import OutboxEvent
from tests.conftest import csrf_from
from tests.orders.conftest import fill_cart, pay
from tests.orders.test_staff_pages import staff_client  # noqa: F401

GOOD_ID = "91310000MA1FL4XQ3K"  # 18 characters, as a unified social credit code


def paid_by(db, phone, label, headers, qty=1) -> str:
    """The member of ``phone`` buys ``qty`` at the counter, and the clerk takes the money; the order number."""
    answer = pay(phone, fill_cart(phone, label, qty, headers), {"method": "counter"}, headers=headers)
    assert answer.status_code == 201, answer.text
    number = answer.get_json()["number"]
    begin_write(db.session)
    orders.confirm_at_counter(orders.get_order(number), "cash", "Carla Clerk")
    db.session.commit()
    return number


def requests_count(db) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count(InvoiceRequest.id)))


def invoice_events(db) -> list[str]:
    db.session.rollback()
    query = select(OutboxEvent.type).where(OutboxEvent.type.like("invoice.%")).order_by(OutboxEvent.id)
    return list(db.session.scalars(query))


@pytest.fixture
def bought(db, shopper, shelf):
    phone, member, headers = shopper
    return phone, headers, paid_by(db, phone, shelf[1], headers)


def test_a_member_requests_an_invoice_by_api_and_may_change_it_until_issued(db, bought):
    phone, headers, number = bought
    url = f"/api/v1/orders/{number}/invoice-request"
    body = {"title": "Shanghai Leaf Trading Co., Ltd.", "tax_id": "9131 0000 ma1f l4xq 3k", "email": "ap@leaf.example"}
    answer = phone.post(url, json=body, headers=headers)
    assert answer.status_code == 201, answer.text
    made = answer.get_json()
    assert (made["status"], made["title"], made["tax_id"], made["order"]) == (
        "requested",
        "Shanghai Leaf Trading Co., Ltd.",
        GOOD_ID,
        number,
    )
    assert made["amount"] == 6800 and made["tax"] == [
        {"rate": 1300, "rate_text": "13%", "amount": 6800, "tax": 782, "tax_left": 782}
    ]
    # A second request replaces the first while it is not issued: still one per order.
    again = phone.post(url, json={"title": "Wu Hao", "tax_id": GOOD_ID}, headers=headers)
    assert again.status_code == 201 and again.get_json()["id"] == made["id"] and again.get_json()["email"] is None
    assert requests_count(db) == 1
    assert phone.get(url).get_json()["title"] == "Wu Hao"
    # The order's id works as well as its number.
    order_id = orders.get_order(number).id
    assert phone.get(f"/api/v1/orders/{order_id}/invoice-request").get_json()["id"] == made["id"]
    assert invoice_events(db) == ["invoice.requested", "invoice.requested"]


@pytest.mark.parametrize("tax_id", ["12345", "91310000MA1FL4XQ3K12345", "9131000-0MA1F!L4XQ3", ""])
def test_a_bad_tax_id_is_refused_and_nothing_is_written(db, bought, tax_id):
    phone, headers, number = bought
    answer = phone.post(
        f"/api/v1/orders/{number}/invoice-request", json={"title": "Leaf Co.", "tax_id": tax_id}, headers=headers
    )
    assert answer.status_code == 422, answer.text
    assert answer.get_json()["error"]["code"] == "invalid_tax_id"
    assert requests_count(db) == 0 and invoice_events(db) == []


def test_another_member_cannot_request_an_invoice_of_my_order(db, bought, member_client):
    _, _, number = bought
    other, _ = member_client(login="wu@example.com", name="Wu Hao")
    headers = {"X-CSRFToken": csrf_from(other.get("/account/signin").text)}
    url = f"/api/v1/orders/{number}/invoice-request"
    answer = other.post(url, json={"title": "Wu Hao", "tax_id": GOOD_ID}, headers=headers)
    assert answer.status_code == 404 and answer.get_json()["error"]["code"] == "order_not_found"
    assert other.get(url).status_code == 404
    assert requests_count(db) == 0 and invoice_events(db) == []


def test_signed_out_or_without_csrf_nothing_is_written(app, db, bought):
    phone, headers, number = bought
    url = f"/api/v1/orders/{number}/invoice-request"
    assert app.test_client().post(url, json={"title": "X", "tax_id": GOOD_ID}).status_code == 401
    assert phone.post(url, json={"title": "X", "tax_id": GOOD_ID}).status_code == 400  # no CSRF token
    assert requests_count(db) == 0


def test_an_unpaid_order_gets_no_invoice(db, shopper, shelf):
    phone, _, headers = shopper
    answer = pay(phone, fill_cart(phone, shelf[1], 1, headers), {"method": "counter"}, headers=headers)
    number = answer.get_json()["number"]
    refused = phone.post(
        f"/api/v1/orders/{number}/invoice-request", json={"title": "Wu Hao", "tax_id": GOOD_ID}, headers=headers
    )
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_invoiceable"
    assert requests_count(db) == 0


def test_the_receipt_form_requests_an_invoice_without_script(db, bought):
    phone, _, number = bought
    receipt = phone.get(f"/orders/{number}")
    assert "Request an invoice" in receipt.text
    token = csrf_from(receipt.text)
    bad = phone.post(
        f"/orders/{number}/invoice-request", data={"csrf_token": token, "title": "Leaf Co.", "tax_id": "ABC"}
    )
    assert bad.status_code == 422
    assert 'data-invoice-error="invalid_tax_id"' in bad.text and 'value="Leaf Co."' in bad.text
    assert requests_count(db) == 0
    done = phone.post(
        f"/orders/{number}/invoice-request", data={"csrf_token": token, "title": "Leaf Co.", "tax_id": GOOD_ID.lower()}
    )
    assert done.status_code == 302
    page = phone.get(done.headers["Location"])
    assert "Invoice requested" in page.text and 'data-invoice-status="requested"' in page.text and GOOD_ID in page.text
    assert requests_count(db) == 1


def test_staff_see_the_waiting_requests_of_their_store_and_issue_them(db, bought, staff_client, store, make_location):  # noqa: F811
    phone, headers, number = bought
    phone.post(
        f"/api/v1/orders/{number}/invoice-request", json={"title": "Leaf Co.", "tax_id": GOOD_ID}, headers=headers
    )
    elsewhere = staff_client("clerk", make_location(code="SH-JINGAN", name="Oneshelf Jing'an"))
    assert number not in elsewhere.get("/staff/invoices").text
    clerk = staff_client("clerk", store)
    listing = clerk.get("/staff/invoices")
    assert listing.status_code == 200
    row = re.search(rf'<tr data-invoice-request="(\d+)" data-order="{number}">(.*?)</tr>', listing.text, re.S)
    assert row, listing.text
    assert "Leaf Co." in row.group(2) and GOOD_ID in row.group(2) and "CN¥68.00" in row.group(2)
    assert 'data-tax-rate="1300">13%: CN¥7.82' in row.group(2)
    request_id = int(row.group(1))
    # A clerk of another store cannot issue it either.
    token = csrf_from(elsewhere.get("/staff/invoices").text)
    not_theirs = elsewhere.post(
        f"/staff/invoices/{request_id}/issue", data={"csrf_token": token, "invoice_number": "1"}
    )
    assert not_theirs.status_code == 404
    token = csrf_from(listing.text)
    issued = clerk.post(
        f"/staff/invoices/{request_id}/issue", data={"csrf_token": token, "invoice_number": "24312000000012345678"}
    )
    assert issued.status_code == 302
    assert number not in clerk.get("/staff/invoices").text
    assert number in clerk.get("/staff/invoices?show=issued").text
    # Issued is final: the shopper sees the number and a new request is refused.
    assert "24312000000012345678" in phone.get(f"/orders/{number}").text
    late = phone.post(
        f"/api/v1/orders/{number}/invoice-request", json={"title": "Other", "tax_id": GOOD_ID}, headers=headers
    )
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "invoice_already_issued"
    assert invoice_events(db) == ["invoice.requested", "invoice.issued"]
