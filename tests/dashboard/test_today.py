"""The staff home page's "today": sales by channel against last week, scans, help, work waiting, feedback."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from app.dashboard import services
from app.db import utcnow
from app.orders.models import Order
from tests.conftest import csrf_from
from tests.orders.conftest import fill_cart, pay


def _paid(db, phone, headers, label, qty=1) -> str:
    cart_id = fill_cart(phone, label, qty, headers=headers)
    answer = pay(phone, cart_id, {"method": "wallet"}, headers=headers)
    assert answer.status_code == 201, answer.text
    return answer.get_json()["number"]


def _shopper_with_money(db, shopper, amount=100000):
    from app.payments import wallet

    phone, member, headers = shopper
    wallet.credit(member.id, amount, "CNY", "topup", None)
    db.session.commit()
    return phone, headers


def test_sales_today_by_channel_against_the_same_time_last_week(app, db, store, shelf, shopper):
    phone, headers = _shopper_with_money(db, shopper)
    product, label = shelf
    _paid(db, phone, headers, label, 2)
    old = _paid(db, phone, headers, label, 1)
    # One of them was paid a week ago, an hour earlier in the day: it counts for last week.
    db.session.execute(update(Order).where(Order.number == old).values(paid_at=utcnow() - timedelta(days=7, hours=1)))
    db.session.commit()
    today = services.today([store])
    assert today["sales"]["phone"]["today"] == {"orders": 1, "total": 2 * 6800}
    assert today["sales"]["phone"]["week_ago"] == {"orders": 1, "total": 6800}
    assert today["totals"]["today"]["total"] == 13600
    assert sum(today["by_hour"]["today"]) == 13600 and sum(today["by_hour"]["week_ago"]) == 6800


def test_help_answered_within_the_standard_and_late_ones(app, db, store):
    from app.service.models import HelpRequest

    store.help_answer_minutes = 5
    now = utcnow()
    db.session.add_all(
        [
            HelpRequest(
                location_id=store.id,
                status="answered",
                created_at=now - timedelta(minutes=30),
                claimed_at=now - timedelta(minutes=28),
                answered_at=now - timedelta(minutes=20),
            ),
            HelpRequest(
                location_id=store.id,
                status="answered",
                created_at=now - timedelta(minutes=20),
                claimed_at=now - timedelta(minutes=11),
                answered_at=now - timedelta(minutes=5),
            ),
            HelpRequest(
                location_id=store.id, status="open", created_at=now - timedelta(minutes=8), shopper_session="a" * 32
            ),
        ]
    )
    db.session.commit()
    help_now = services.today([store], now)["help"]
    assert help_now["waiting"] == 1 and help_now["late_now"] == 1
    assert help_now["answered_today"] == 2 and help_now["within_standard"] == 50
    assert help_now["median_minutes"] == 9.0


def test_the_home_page_shows_today_and_refreshes_as_a_fragment(app, db, store, shelf, shopper, make_staff):
    from app.staff import services as staff

    phone, headers = _shopper_with_money(db, shopper)
    _paid(db, phone, headers, shelf[1], 1)
    staff.create_staff("ada@example.com", "Ada Lovelace", "correct-horse", "clerk", location_id=store.id)
    db.session.commit()
    clerk = app.test_client()
    form = csrf_from(clerk.get("/staff/login").text)
    clerk.post("/staff/login", data={"email": "ada@example.com", "password": "correct-horse", "csrf_token": form})
    home = clerk.get("/staff/")
    assert home.status_code == 200
    assert "Sales today" in home.text and "¥68.00" in home.text and 'data-channel="phone"' in home.text
    fragment = clerk.get("/staff/dashboard/today")
    assert fragment.status_code == 200 and "data-dashboard-today" in fragment.text and "<html" not in fragment.text
    assert app.test_client().get("/staff/dashboard/today").status_code == 302  # sign in first


def test_a_clerk_sees_their_own_stores_figures_only(app, db, store, shelf, shopper, make_location):
    from app.staff import services as staff

    phone, headers = _shopper_with_money(db, shopper)
    _paid(db, phone, headers, shelf[1], 1)
    other = make_location(code="SH-OTHER", name="Other store")
    staff.create_staff("bo@example.com", "Bo Chen", "correct-horse", "clerk", location_id=other.id)
    db.session.commit()
    clerk = app.test_client()
    form = csrf_from(clerk.get("/staff/login").text)
    clerk.post("/staff/login", data={"email": "bo@example.com", "password": "correct-horse", "csrf_token": form})
    page = clerk.get("/staff/dashboard/today?store=" + store.code).text
    assert "¥68.00" not in page and "¥0.00" in page
