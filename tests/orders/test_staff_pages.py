"""Staff order pages: search, one order, taking money at the counter, refunds and the exit-pass check."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from app import local_time
from tests.conftest import csrf_from
from tests.orders.conftest import GOOD_CARD, fill_cart, pay
from tests.payments.hosted import checkout_by_card

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def no_random_basket_checks(app):
    """Whether a pass asks for a basket check is chosen at random; here, never unless a test says so."""
    app.config["EXIT_CHECK_SHARE"] = 0.0


@pytest.fixture
def staff_client(app, db):
    """A client signed in through the form as a new staff user: (role, store) -> client."""
    from app.staff import services

    counter = iter(range(1, 100))

    def sign_in(role="clerk", location=None, name=None):
        n = next(counter)
        user = services.create_staff(
            f"{role}{n}@example.com",
            name or f"{role.title()} {n}",
            "correct-horse",
            role,
            location.id if location else None,
        )
        db.session.commit()
        client = app.test_client()
        form = client.get("/staff/login")
        signed = client.post(
            "/staff/login",
            data={"email": user.email, "password": "correct-horse", "csrf_token": csrf_from(form.text)},
        )
        assert signed.status_code == 302, signed.text
        return client

    return sign_in


def guest_order(app, label, method="card", qty=1) -> dict:
    """A guest buys ``qty`` of the label's product through the API; the order as the API answers it."""
    guest = app.test_client()
    cart_id = fill_cart(guest, label, qty)
    if method == "card":
        answer = checkout_by_card(guest, cart_id, GOOD_CARD)
    else:
        answer = pay(guest, cart_id, {"method": method})
    assert answer.status_code == 201, answer.text
    return answer.get_json()


def post_form(client, path, page, data):
    """Post a form of ``page`` (the page it is on), with that page's CSRF token."""
    return client.post(path, data={"csrf_token": csrf_from(client.get(page).text), **data})


def flashes(page: str) -> list[str]:
    return [
        html.unescape(re.sub(r"\s+", " ", m).strip())
        for m in re.findall(r'class="flash [a-z]+"[^>]*>(.*?)</p>', page, re.S)
    ]


def listed(html: str) -> list[str]:
    """The order numbers in the list, top to bottom."""
    return re.findall(r'<tr data-number="([A-Z0-9]+)"', html)


def order_status(db, number):
    from app.orders.models import Order

    db.session.rollback()
    return db.session.query(Order).filter_by(number=number).one()


# ---- search ------------------------------------------------------------------------------


def test_the_pages_are_for_signed_in_staff(client):
    for path in ("/staff/orders", "/staff/orders/ABCD2345", "/staff/exit"):
        answer = client.get(path)
        assert answer.status_code == 302 and "/staff/login" in answer.headers["Location"]


def test_search_by_number_member_status_and_store_dates(app, db, shelf, store, shopper, staff_client):
    product, label = shelf
    phone, member, headers = shopper
    mine = checkout_by_card(phone, fill_cart(phone, label, 1, headers), GOOD_CARD, headers=headers)
    assert mine.status_code == 201, mine.text
    mine = mine.get_json()
    paid = guest_order(app, label, "card")
    waiting = guest_order(app, label, "counter", qty=2)
    clerk = staff_client("clerk")

    everything = clerk.get("/staff/orders")
    assert everything.status_code == 200
    assert listed(everything.text) == [waiting["number"], paid["number"], mine["number"]]  # newest first
    row = re.search(rf'<tr data-number="{waiting["number"]}">(.*?)</tr>', everything.text, re.S).group(1)
    assert "Oneshelf Pudong" in row and "guest" in row and ">2<" in row and "CN¥136.00" in row
    assert "awaiting counter" in row

    by_start = clerk.get(f"/staff/orders?number={paid['number'][:6].lower()}")
    assert listed(by_start.text) == [paid["number"]]
    assert listed(clerk.get("/staff/orders?member=mei@example.com").text) == [mine["number"]]
    assert listed(clerk.get(f"/staff/orders?member=%23{member.id}").text) == [mine["number"]]
    assert listed(clerk.get("/staff/orders?status=awaiting_counter").text) == [waiting["number"]]
    assert listed(clerk.get("/staff/orders?store=SH-PUDONG&status=paid").text) == [paid["number"], mine["number"]]

    nobody = clerk.get("/staff/orders?member=nobody@example.com")
    assert listed(nobody.text) == [] and "No member has nobody@example.com." in flashes(nobody.text)
    assert "is not a date" in flashes(clerk.get("/staff/orders?from=31/12/2024").text)[0]

    # Dates are the store's: an order at 23:30 Shanghai time belongs to that day, not the next (UTC) one.
    from app.orders.models import Order

    late = datetime(2025, 3, 9, 23, 30, tzinfo=SHANGHAI)
    db.session.query(Order).filter_by(number=paid["number"]).one().created_at = late.astimezone(UTC)
    db.session.commit()
    assert listed(clerk.get("/staff/orders?from=2025-03-09&to=2025-03-09").text) == [paid["number"]]
    assert listed(clerk.get("/staff/orders?from=2025-03-10&to=2025-03-10").text) == []
    today = datetime.now(SHANGHAI).date().isoformat()
    assert listed(clerk.get(f"/staff/orders?from={today}").text) == [waiting["number"], mine["number"]]
    page = clerk.get("/staff/orders?from=2025-03-09&to=2025-03-09").text
    assert "2025-03-09 23:30" in page  # shown on the store's clock too


def test_the_list_pages_with_a_cursor(app, db, shelf, staff_client, monkeypatch):
    from app.orders import staff

    monkeypatch.setattr(staff, "PAGE_SIZE", 2)
    _, label = shelf
    numbers = [guest_order(app, label, "counter")["number"] for _ in range(3)]
    clerk = staff_client("clerk")
    first = clerk.get("/staff/orders?status=awaiting_counter")
    assert listed(first.text) == numbers[::-1][:2]
    next_url = re.search(r'href="([^"]+)" rel="next"', first.text).group(1).replace("&amp;", "&")
    assert "status=awaiting_counter" in next_url
    second = clerk.get(next_url)
    assert listed(second.text) == [numbers[0]] and 'rel="next"' not in second.text


# ---- one order, the counter, refunds ----------------------------------------------------


def test_the_counter_opens_an_order_and_took_cash_makes_it_paid(app, db, shelf, staff_client):
    _, label = shelf
    order = guest_order(app, label, "counter", qty=2)
    number = order["number"]
    clerk = staff_client("clerk", name="Ada Lovelace")

    # Scanned off the phone (a URL ending in the number) or typed in lower case: the order opens.
    opened = clerk.get(f"/staff/orders/open?number=http://shop.test/o/{number.lower()}")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/staff/orders/{number}")
    unknown = clerk.get("/staff/orders/open?number=NOPE2345", follow_redirects=True)
    assert "No order NOPE2345." in flashes(unknown.text)

    page = clerk.get(f"/staff/orders/{number}")
    assert page.status_code == 200
    assert "Take CN¥136.00 at the counter" in page.text and "Took cash" in page.text and "Took card" in page.text
    assert "Jasmine Pearls" in page.text and "None yet" in page.text  # no exit pass before paying

    took = post_form(clerk, f"/staff/orders/{number}/counter-payment", f"/staff/orders/{number}", {"how": "cash"})
    assert took.status_code == 302
    assert order_status(db, number).status == "paid"
    after = clerk.get(f"/staff/orders/{number}")
    assert "Paid: CN¥136.00 by cash." in flashes(after.text)[0]
    assert "Took cash" not in after.text and "cash, by Ada Lovelace" in after.text
    assert "not yet" in after.text  # the exit pass is issued, and not used

    again = post_form(clerk, f"/staff/orders/{number}/counter-payment", f"/staff/orders/{number}", {"how": "card"})
    assert again.status_code == 302
    assert flashes(clerk.get(f"/staff/orders/{number}").text) == [f"Order {number} is paid."]


def test_only_admins_refund_all_or_an_amount(app, db, shelf, staff_client):
    _, label = shelf
    number = guest_order(app, label, "card", qty=2)["number"]  # CN¥136.00
    path, page = f"/staff/orders/{number}/refunds", f"/staff/orders/{number}"

    clerk = staff_client("clerk")
    assert "Refund this amount" not in clerk.get(page).text
    assert post_form(clerk, path, page, {"what": "all"}).status_code == 403
    assert order_status(db, number).refunded_amount == 0

    admin = staff_client("admin")
    assert "Refund all that is left (CN¥136.00)" in admin.get(page).text
    post_form(admin, path, page, {"what": "amount", "amount": "ten"})
    assert flashes(admin.get(page).text) == ["'ten' is not an amount of money (like 12.50)."]
    post_form(admin, path, page, {"what": "amount", "amount": "200"})
    assert flashes(admin.get(page).text) == ["Refund an amount up to CN¥136.00."]
    assert order_status(db, number).refunded_amount == 0

    post_form(admin, path, page, {"what": "amount", "amount": "36.50"})
    shown = admin.get(page).text
    assert flashes(shown) == ["Refunded CN¥36.50. It goes back to the card it was paid with."]
    assert order_status(db, number).status == "partially_refunded"
    assert "Refund all that is left (CN¥99.50)" in shown and "•••• 4242" in shown

    post_form(admin, path, page, {"what": "all"})
    done = admin.get(page).text
    assert flashes(done) == ["Refunded CN¥99.50. It goes back to the card it was paid with."]
    refunded = order_status(db, number)
    assert refunded.status == "refunded" and refunded.refunded_amount == 13600
    assert "Refund this amount" not in done
    refunds = re.search(r'<table class="list refunds">(.*?)</table>', done, re.S).group(1)
    assert "CN¥36.50" in refunds and "CN¥99.50" in refunds


# ---- the exit ----------------------------------------------------------------------------


def test_an_exit_pass_lets_the_order_out_once(app, db, shelf, staff_client):
    _, label = shelf
    order = guest_order(app, label, "card", qty=2)
    token = order["exit_pass"]["token"]
    clerk = staff_client("clerk", name="Ada")

    desk = clerk.get("/staff/exit")
    assert desk.status_code == 200 and "Ready for the next exit pass." in desk.text
    first = post_form(clerk, "/staff/exit", "/staff/exit", {"code": token})
    assert first.status_code == 200
    assert "OK — let them out" in first.text and "Jasmine Pearls" in first.text
    assert '<td class="num qty">2</td>' in first.text and order["number"] in first.text
    assert "Check the basket" not in first.text
    assert 'name="code"' in first.text  # ready for the next scan

    again = post_form(clerk, "/staff/exit", "/staff/exit", {"code": token.lower()})
    assert again.status_code == 409
    from app.orders.models import ExitPass

    used = db.session.query(ExitPass).one()
    when = local_time(used.used_at, "Asia/Shanghai", "%H:%M")
    assert f"Already used at {when} by Ada" in again.text and "let them out" not in again.text

    forged = post_form(clerk, "/staff/exit", "/staff/exit", {"code": "EX-AAAABBBBCCCC"})
    assert forged.status_code == 404 and "Not an exit pass of ours" in forged.text


def test_the_exit_answers_just_the_verdict_for_the_page_and_flags_basket_checks(app, db, shelf, staff_client):
    app.config["EXIT_CHECK_SHARE"] = 1.0
    _, label = shelf
    token = guest_order(app, label)["exit_pass"]["token"]
    clerk = staff_client("clerk")

    answer = post_form(clerk, "/staff/exit?part=result", "/staff/exit", {"code": token})
    assert answer.status_code == 200 and answer.headers["X-Exit-Verdict"] == "ok"
    assert "<html" not in answer.text and "Check the basket against this list" in answer.text
    again = post_form(clerk, "/staff/exit?part=result", "/staff/exit", {"code": token})
    assert again.status_code == 409 and again.headers["X-Exit-Verdict"] == "used"


def test_a_refunded_order_is_not_let_out(app, db, shelf, staff_client):
    _, label = shelf
    order = guest_order(app, label)
    admin = staff_client("admin")
    page = f"/staff/orders/{order['number']}"
    post_form(admin, f"{page}/refunds", page, {"what": "all"})
    refused = post_form(admin, "/staff/exit", "/staff/exit", {"code": order["exit_pass"]["token"]})
    assert refused.status_code == 409 and "Do not let out" in refused.text and "not paid" in refused.text
    assert "not yet" in admin.get(page).text  # the pass was not used up


# ---- a clerk's own store -----------------------------------------------------------------


def test_a_clerk_of_another_store_cannot_see_or_act_on_the_order(app, db, shelf, store, make_location, staff_client):
    _, label = shelf
    waiting = guest_order(app, label, "counter")["number"]
    paid = guest_order(app, label, "card")
    jingan = make_location(code="SH-JINGAN", name="Oneshelf Jing'an")
    other = staff_client("clerk", location=jingan)

    assert listed(other.get("/staff/orders").text) == []
    assert listed(other.get(f"/staff/orders?number={waiting}").text) == []
    refused = other.get(f"/staff/orders/{waiting}")
    assert refused.status_code == 403 and "bought at Oneshelf Pudong" in refused.text
    opened = other.get(f"/staff/orders/open?number={waiting}", follow_redirects=True)
    assert f"Order {waiting} was bought at Oneshelf Pudong, not at your store." in flashes(opened.text)
    took = post_form(other, f"/staff/orders/{waiting}/counter-payment", "/staff/orders", {"how": "cash"})
    assert took.status_code == 403 and order_status(db, waiting).status == "awaiting_counter"
    at_door = post_form(other, "/staff/exit", "/staff/exit", {"code": paid["exit_pass"]["token"]})
    assert at_door.status_code == 403 and "Bought at another store" in at_door.text

    own = staff_client("clerk", location=store)
    assert listed(own.get("/staff/orders").text) == [paid["number"], waiting]
    assert own.get(f"/staff/orders/{waiting}").status_code == 200
    let_out = post_form(own, "/staff/exit", "/staff/exit", {"code": paid["exit_pass"]["token"]})
    assert let_out.status_code == 200 and "OK — let them out" in let_out.text
