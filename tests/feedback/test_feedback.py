"""A shopper rates what happened to them once; staff see it per store, channel, clerk and week."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from app.extensions import socketio
from app.feedback.models import Feedback
from tests.conftest import csrf_from


def _count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Feedback))


def rate(client, headers, subject, ref, rating, comment=""):
    return client.post(
        "/api/v1/feedback", json={"subject": subject, "ref": ref, "rating": rating, "comment": comment}, headers=headers
    )


def test_a_member_rates_a_paid_order_once(db, paid_order):
    phone, member, headers, number = paid_order
    given = rate(phone, headers, "order", number, 4, "  Quick and friendly  ")
    assert given.status_code == 201, given.text
    assert given.get_json()["rating"] == 4 and given.get_json()["comment"] == "Quick and friendly"
    assert given.get_json()["channel"] == "phone" and given.get_json()["low"] is False
    again = rate(phone, headers, "order", number, 1)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_rated"
    assert _count(db) == 1


def test_the_receipt_offers_rating_and_then_shows_it(paid_order):
    phone, member, headers, number = paid_order
    receipt = phone.get(f"/orders/{number}").text
    assert "How did we do? Rate it" in receipt
    page = phone.get(f"/feedback/order/{number}?back=/orders/{number}")
    assert page.status_code == 200 and "Your rating" in page.text
    sent = phone.post(
        f"/feedback/order/{number}",
        data={"rating": "5", "comment": "Lovely tea", "csrf_token": csrf_from(page.text), "back": f"/orders/{number}"},
    )
    assert sent.status_code == 200 and "you rated this 5 out of 5" in sent.text
    assert "You rated this 5/5" in phone.get(f"/orders/{number}").text


@pytest.mark.parametrize("rating", [0, 6, "5", True, None, 4.5])
def test_a_rating_outside_1_to_5_is_refused_and_nothing_is_written(db, paid_order, rating):
    phone, member, headers, number = paid_order
    refused = rate(phone, headers, "order", number, rating)
    assert refused.status_code == 422, refused.text
    assert _count(db) == 0


def test_a_form_without_a_rating_says_so_and_keeps_the_comment(db, paid_order):
    phone, member, headers, number = paid_order
    page = phone.get(f"/feedback/order/{number}")
    sent = phone.post(f"/feedback/order/{number}", data={"comment": "Kept", "csrf_token": csrf_from(page.text)})
    assert sent.status_code == 422 and "Choose a rating" in sent.text and ">Kept</textarea>" in sent.text
    assert _count(db) == 0


def test_a_long_comment_is_refused(db, paid_order):
    phone, member, headers, number = paid_order
    assert rate(phone, headers, "order", number, 3, "x" * 1001).status_code == 422
    assert _count(db) == 0


def test_another_shopper_cannot_rate_or_even_see_it(db, app, paid_order, member_client):
    phone, member, headers, number = paid_order
    other, _ = member_client("li@example.com", "Li Wei")
    other_headers = {"X-CSRFToken": csrf_from(other.get("/account/signin").text)}
    assert rate(other, other_headers, "order", number, 1).status_code == 403
    assert other.get(f"/feedback/order/{number}").status_code == 404
    assert app.test_client().get(f"/feedback/order/{number}").status_code == 404
    assert "Rate it" not in other.get(f"/orders/{number}").text
    assert _count(db) == 0


def test_without_csrf_nothing_is_written(db, paid_order):
    phone, member, headers, number = paid_order
    assert rate(phone, {}, "order", number, 5).status_code in (400, 403)
    assert _count(db) == 0


def test_unknown_subjects_answer_404_or_400(paid_order):
    phone, member, headers, number = paid_order
    assert rate(phone, headers, "order", "NOPE99", 5).status_code == 404
    assert rate(phone, headers, "parcel", "abc", 5).status_code == 404
    assert rate(phone, headers, "basket", number, 5).status_code == 422
    assert phone.get("/feedback/basket/1").status_code == 404


def _answered_help(db, phone, clerk_client, name="Ada Lovelace"):
    from app.service import services

    shopper = phone()
    asked = shopper.ask(location="SH-A", sku="TEA-1")
    assert asked.status_code == 201, asked.text
    request_id = asked.get_json()["id"]
    help_request = services.get_request(request_id)
    services.claim(help_request, by=name)
    services.move(help_request, "answered", by=name)
    db.session.commit()
    return shopper, request_id


def test_a_guest_rates_help_only_once_it_is_answered_and_the_clerk_is_credited(db, phone, stores):
    from app.service import services

    shopper = phone()
    request_id = shopper.ask(location="SH-A", sku="TEA-1").get_json()["id"]
    headers = {"X-CSRFToken": shopper.csrf}
    early = rate(shopper.client, headers, "help", str(request_id), 5)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_finished"
    help_request = services.get_request(request_id)
    services.claim(help_request, by="Ada Lovelace")
    services.move(help_request, "answered", by="Ada Lovelace")
    db.session.commit()
    given = rate(shopper.client, headers, "help", str(request_id), 2, "Took a while")
    assert given.status_code == 201, given.text
    assert given.get_json()["clerk"] == "Ada Lovelace" and given.get_json()["low"] is True
    stranger = phone()
    assert rate(stranger.client, {"X-CSRFToken": stranger.csrf}, "help", str(request_id), 5).status_code == 403


def test_a_low_rating_reaches_the_stores_staff_live(app, db, phone, stores, clerk_of):
    a, b, _ = stores
    # Each desk connects right after its clerk signs in (the test app keeps one app context).
    clerk_a = clerk_of(a, "Ada Lovelace")
    watching_a = socketio.test_client(app, namespace="/live", flask_test_client=clerk_a)
    assert watching_a.emit("staff:subscribe", {"location": "SH-A"}, namespace="/live", callback=True)["ok"]
    clerk_b = clerk_of(b, "Bo Chen")
    watching_b = socketio.test_client(app, namespace="/live", flask_test_client=clerk_b)
    assert watching_b.emit("staff:subscribe", {"location": "SH-B"}, namespace="/live", callback=True)["ok"]
    watching_a.get_received("/live"), watching_b.get_received("/live")
    shopper, request_id = _answered_help(db, phone, clerk_a)
    watching_a.get_received("/live")
    given = rate(shopper.client, {"X-CSRFToken": shopper.csrf}, "help", str(request_id), 1, "Nobody came")
    assert given.status_code == 201
    news = [m["args"][0] for m in watching_a.get_received("/live") if m["name"] == "feedback:new"]
    assert [(n["rating"], n["low"], n["comment"]) for n in news] == [(1, True, "Nobody came")]
    assert not [m for m in watching_b.get_received("/live") if m["name"] == "feedback:new"]


def test_staff_read_ratings_per_store_channel_clerk_and_week(app, db, phone, stores, clerk_of, make_staff):
    a, b, _ = stores
    clerk = clerk_of(a, "Ada Lovelace")
    for stars in (5, 2):
        shopper, request_id = _answered_help(db, phone, clerk)
        assert rate(shopper.client, {"X-CSRFToken": shopper.csrf}, "help", str(request_id), stars).status_code == 201
    page = clerk.get("/staff/feedback")
    assert page.status_code == 200
    assert 'data-summary-clerk="Ada Lovelace"' in page.text
    listed = clerk.get("/api/v1/feedback").get_json()
    assert sorted(item["rating"] for item in listed["items"]) == [2, 5]
    assert listed["summary"]["clerk"] == [{"name": "Ada Lovelace", "count": 2, "average": "3.5", "low": 1}]
    assert listed["summary"]["channel"] == [{"name": "phone", "count": 2, "average": "3.5", "low": 1}]
    week = datetime.now(UTC).isocalendar()
    assert listed["summary"]["week"][0]["name"] in {f"{week[0]}-W{week[1]:02d}", f"{week[0]}-W{week[1] + 1:02d}"}
    other_store = clerk_of(b, "Bo Chen")
    assert other_store.get("/api/v1/feedback").get_json()["items"] == []
    assert other_store.get("/api/v1/feedback?location=SH-A").status_code == 403
    assert "Ada Lovelace" not in other_store.get("/staff/feedback").text


def test_weeks_are_the_stores_own(app, db, stores):
    from app.feedback import services

    a, _, _ = stores
    a.timezone = "Asia/Shanghai"
    db.session.commit()
    # Sunday 20:00 UTC is Monday 04:00 in Shanghai: the next week there.
    row = Feedback(
        subject="help",
        subject_id=1,
        title="Help",
        location_id=a.id,
        channel="phone",
        clerk="",
        rating=4,
        comment="",
        created_at=datetime(2026, 12, 6, 20, 0, tzinfo=UTC),
    )
    assert services.summary([row])["week"] == [{"name": "2026-W50", "count": 1, "average": "4.0", "low": 0}]
