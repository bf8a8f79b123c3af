"""Who may claim and who may follow: clerks of the request's store; only the phone that asked."""

from __future__ import annotations

from datetime import timedelta

from app.extensions import socketio
from app.service.models import HelpRequest
from tests.conftest import csrf_from


def events(sio, name):
    return [r["args"][0] for r in sio.get_received("/live") if r["name"] == name]


def follow(app, phone):
    """The phone's page following its help requests over Socket.IO; (socket, ack)."""
    sio = socketio.test_client(app, namespace="/live", flask_test_client=phone.client)
    return sio, sio.emit("help:subscribe", {}, namespace="/live", callback=True)


def test_a_clerk_claims_and_only_the_phone_that_asked_hears_who_is_coming(app, db, stores, phone, clerk_of):
    a, _, _ = stores
    shopper, bystander = phone("SH-A"), phone("SH-A")
    asked = shopper.ask(location="SH-A", sku="TEA-1").json
    bystander.ask(location="SH-A", topic="basket")
    mine, ack = follow(app, shopper)
    assert ack["ok"] and [r["id"] for r in ack["requests"]] == [asked["id"]]
    theirs, _ = follow(app, bystander)

    clerk = clerk_of(a, "Ada Lovelace")
    desk = clerk.get("/staff/help").text
    form = csrf_from(desk)
    assert f"/staff/help/{asked['id']}/claim" in desk  # a phone's request is claimed first
    assert clerk.post(f"/staff/help/{asked['id']}/claim", data={"csrf_token": form}).status_code == 302
    heard = events(mine, "help:updated")
    assert [(e["status"], e["claimed_by"]) for e in heard] == [("claimed", "Ada Lovelace")]
    assert [e["id"] for e in events(theirs, "help:updated")] == []
    assert "Ada Lovelace is on the way" in clerk.get("/staff/help").text

    clerk.post(f"/staff/help/{asked['id']}/answer", data={"csrf_token": form})
    assert [e["status"] for e in events(mine, "help:updated")] == ["answered"]
    assert shopper.client.get(f"/api/v1/help-requests/{asked['id']}").json["status"] == "answered"


def test_a_clerk_of_another_store_cannot_claim(app, db, stores, phone, clerk_of):
    _, b, _ = stores
    asked = phone("SH-A").ask(location="SH-A").json
    other = clerk_of(b, "Grace Hopper")
    desk = other.get("/staff/help").text
    assert "Nobody is waiting for help" in desk  # store A's request is not on store B's page
    refused = other.post(f"/staff/help/{asked['id']}/claim", data={"csrf_token": csrf_from(desk)})
    assert refused.status_code == 403
    db.session.expire_all()
    assert db.session.get(HelpRequest, asked["id"]).status == "open"


def test_claiming_twice_is_refused_with_a_message(app, db, stores, phone, clerk_of):
    a, _, _ = stores
    asked = phone("SH-A").ask(location="SH-A").json
    ada, grace = clerk_of(a, "Ada Lovelace"), clerk_of(a, "Grace Hopper")
    ada.post(f"/staff/help/{asked['id']}/claim", data={"csrf_token": csrf_from(ada.get("/staff/help").text)})
    late = grace.post(
        f"/staff/help/{asked['id']}/claim",
        data={"csrf_token": csrf_from(grace.get("/staff/help").text)},
        follow_redirects=True,
    )
    assert late.status_code == 200 and "claimed cannot become claimed" in late.text
    db.session.expire_all()
    assert db.session.get(HelpRequest, asked["id"]).claimed_by == "Ada Lovelace"


def test_a_shopper_cannot_see_or_follow_another_shoppers_request(app, db, stores, phone, member_client):
    shopper, stranger = phone("SH-A"), phone("SH-A")
    asked = shopper.ask(location="SH-A").json
    assert shopper.client.get(f"/api/v1/help-requests/{asked['id']}").status_code == 200
    assert stranger.client.get(f"/api/v1/help-requests/{asked['id']}").status_code == 404
    member, _ = member_client()
    assert member.get(f"/api/v1/help-requests/{asked['id']}").status_code == 404
    assert app.test_client().get(f"/api/v1/help-requests/{asked['id']}").status_code == 404
    _, ack = follow(app, stranger)
    assert ack["ok"] and ack["requests"] == []
    # A browser with neither a member nor a shopper session has nothing to follow.
    nobody = socketio.test_client(app, namespace="/live", flask_test_client=app.test_client())
    refused = nobody.emit("help:subscribe", {"room": f"shopper:{shopper.session}"}, namespace="/live", callback=True)
    assert refused["ok"] is False


def test_a_request_past_the_standard_is_marked_on_the_help_page(app, db, stores, phone, clerk_of):
    a, _, _ = stores
    asked = phone("SH-A").ask(location="SH-A", sku="TEA-1").json
    fresh = phone("SH-A").ask(location="SH-A", topic="basket").json
    request = db.session.get(HelpRequest, asked["id"])
    request.created_at -= timedelta(minutes=6)
    db.session.commit()
    page = clerk_of(a).get("/staff/help").text
    rows = {int(part.split('"')[0]): part.split(">")[0] for part in page.split('data-help-id="')[1:]}
    assert "help-late" in page.split(f'data-help-id="{asked["id"]}"')[0].rsplit("<tr", 1)[1]
    assert "help-late" not in page.split(f'data-help-id="{fresh["id"]}"')[0].rsplit("<tr", 1)[1]
    assert "Over the 5 min standard" in page
    assert 'data-due-at="' in rows[fresh["id"]]
