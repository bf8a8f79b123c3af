"""The return pages: the member's on the phone, the QR's URL, and the staff's list and receive page."""

from __future__ import annotations

import html
import uuid
from datetime import timedelta

from app.db import begin_write, utcnow
from app.orders.models import Order
from app.returns import services
from tests.conftest import csrf_from
from tests.returns.conftest import level, paid_order, top_up, wallet_of


def start(db, order, member, qty=1, channel="store"):
    begin_write(db.session)
    ret = services.start_return(order, member, [(order.lines[0].id, qty)], "", channel)
    db.session.commit()
    return ret


def test_the_receipt_links_to_returning_items_and_lists_returns(db, shopper, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    receipt = phone.get(f"/orders/{order.number}").text
    assert f'href="/orders/{order.number}/returns/new"' in receipt and "Return items" in receipt
    ret = start(db, order, member)
    receipt = phone.get(f"/orders/{order.number}").text
    assert f"Return {ret.number}" in receipt and 'data-return-status="requested"' in receipt
    page = phone.get(f"/orders/{order.number}/returns/new")
    assert page.status_code == 200
    assert 'max="1"' in page.text  # one unit is already in the open return
    assert "Jasmine Pearls" in page.text and "Oneshelf Jing&#39;an" in page.text


def test_the_new_return_page_says_when_the_window_closed(app, db, shopper, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    begin_write(db.session)
    db.session.get(Order, order.id).paid_at = utcnow() - timedelta(days=app.config["RETURN_DAYS"] + 1)
    db.session.commit()
    page = phone.get(f"/orders/{order.number}/returns/new")
    assert page.status_code == 200 and "could be returned until" in page.text
    assert "Start the return" not in page.text


def test_another_member_or_a_guest_does_not_see_a_return(app, db, shopper, member_client, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(db, order, member, channel="mail")
    other, _ = member_client(login="other@example.com")
    assert other.get(f"/orders/{order.number}/returns/new").status_code == 404
    assert other.get(f"/returns/{ret.number}").status_code == 404
    assert other.get(f"/returns/{ret.number}/label.pdf").status_code == 404
    guest = app.test_client()
    assert guest.get(f"/returns/{ret.number}").status_code == 302  # sign in first
    # Its member sees it: the label link, where to send it.
    page = phone.get(f"/returns/{ret.number}")
    assert page.status_code == 200 and "Return label (PDF)" in page.text and "East warehouse" in page.text
    assert phone.get(f"/returns/{ret.number}/status").get_json() == {"status": "requested"}


def test_the_store_return_page_shows_the_qr(db, shopper, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(db, order, member)
    page = phone.get(f"/returns/{ret.number}")
    assert "Show this at any of our stores" in page.text and "<svg" in page.text


def test_the_qr_url_opens_the_return_for_staff_and_its_member(db, shopper, staff_client, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(db, order, member)
    path = services.qr_text(ret).split("SHOP.TEST", 1)[1]  # /R/RT-...
    assert phone.get(path).headers["Location"].endswith(f"/returns/{ret.number}")
    clerk, _ = staff_client("clerk")
    assert clerk.get(path).headers["Location"].endswith(f"/staff/returns/{ret.id}")
    assert clerk.get(path.lower()).status_code == 302
    assert phone.get("/r/RT-NOTOURS-XYZ").status_code == 404


def test_a_clerk_scans_receives_and_refunds_on_the_staff_pages(db, shopper, staff_client, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 2)])
    paid = wallet_of(db, member)
    ret = start(db, order, member, qty=2)
    clerk, _ = staff_client("clerk", location=places[1])
    listed = clerk.get("/staff/returns")
    assert listed.status_code == 200 and ret.number in listed.text
    scanned = clerk.get("/staff/returns/scan", query_string={"code": services.qr_text(ret)})
    assert scanned.headers["Location"].endswith(f"/staff/returns/{ret.id}")
    typed = clerk.get("/staff/returns/scan", query_string={"code": ret.number.lower()})
    assert typed.headers["Location"].endswith(f"/staff/returns/{ret.id}")
    unknown = clerk.get("/staff/returns/scan", query_string={"code": "nope"}, follow_redirects=True)
    assert "not a return code of ours" in unknown.text
    page = clerk.get(f"/staff/returns/{ret.id}")
    assert "Confirm and refund" in page.text and "Oneshelf Pudong" not in page.text.split("Received at")[1]
    form = {"csrf_token": csrf_from(page.text), "location": places[1].code}
    # Another store than theirs: refused, nothing written.
    refused = clerk.post(
        f"/staff/returns/{ret.id}/receive",
        data={**form, "location": places[0].code, f"sellable-{order.lines[0].id}": "2"},
        follow_redirects=True,
    )
    assert "at your own store" in html.unescape(refused.text)
    assert wallet_of(db, member) == paid
    done = clerk.post(
        f"/staff/returns/{ret.id}/receive",
        data={**form, f"sellable-{order.lines[0].id}": "1", f"quarantine-{order.lines[0].id}": "1"},
        follow_redirects=True,
    )
    assert "Refunded CN¥136.00 back to the wallet" in done.text
    assert wallet_of(db, member) == paid + 13_600
    assert level(db, tea, places[1]).on_hand == 1
    # The staff order page shows the return (an admin may see every store's orders).
    admin, _ = staff_client("admin")
    order_page = admin.get(f"/staff/orders/{order.number}").text
    assert ret.number in order_page and 'data-return-status="refunded"' in order_page
    assert phone.get(f"/returns/{ret.number}").text.count("CN¥136.00 went back to the wallet") == 1


def test_bad_quantities_on_the_receive_form_are_refused(db, shopper, staff_client, places, tea):
    phone, member, _ = shopper
    top_up(db, member)
    order = paid_order(db, member, places[0], [(tea, 1)])
    ret = start(db, order, member)
    clerk, _ = staff_client("clerk")
    page = clerk.get(f"/staff/returns/{ret.id}")
    for value, says in [("x", "is not a number of units"), ("5", "Only 1 unit(s)")]:
        answer = clerk.post(
            f"/staff/returns/{ret.id}/receive",
            data={
                "csrf_token": csrf_from(page.text),
                "location": places[0].code,
                f"sellable-{order.lines[0].id}": value,
                "k": uuid.uuid4().hex,
            },
            follow_redirects=True,
        )
        assert says in html.unescape(answer.text)
    db.session.expire_all()
    assert services.get_return(ret.id).status == "requested"
