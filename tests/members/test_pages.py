"""Phone pages: sign up, sign in, member code, my scans (stitched from before sign-in)."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.scans.models import Scan
from tests.conftest import csrf_from


def _sign_up(client, login="lin@example.com", name="Lin Wei"):
    page = client.get("/account/signup")
    return client.post(
        "/account/signup",
        data={"name": name, "login": login, "password": "long-password", "csrf_token": csrf_from(page.text)},
    )


def test_sign_up_page_lands_on_the_account(client):
    response = _sign_up(client)
    assert response.status_code == 302
    account = client.get(response.headers["Location"])
    assert "Hello, Lin" in account.text and "lin@example.com" in account.text


def test_sign_up_errors_are_shown_and_nothing_is_created(client, make_member):
    make_member(login="taken@example.com")
    taken = _sign_up(client, login="taken@example.com")
    assert taken.status_code == 409 or taken.status_code == 422
    assert "already an account" in taken.text


def test_wrong_password_on_the_page(client, make_member):
    make_member(login="mei@example.com")
    page = client.get("/account/signin")
    response = client.post(
        "/account/signin",
        data={"login": "mei@example.com", "password": "nope-nope", "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 401 and "password is wrong" in response.text


def test_account_pages_need_sign_in(client):
    for path in ("/account", "/account/code", "/account/scans"):
        response = client.get(path)
        assert response.status_code == 302 and "/account/signin" in response.headers["Location"]


def test_member_code_page_shows_a_redeemable_code(client, clerk_headers):
    _sign_up(client)
    page = client.get("/account/code")
    assert page.status_code == 200 and "<svg" in page.text
    code = re.search(r'data-code="(MC-[^"]+)"', page.text).group(1)
    redeemed = client.post("/api/v1/member-codes/redeem", json={"code": code}, headers=clerk_headers)
    assert redeemed.status_code == 200 and redeemed.json["member"]["first_name"] == "Lin"


def test_scans_before_sign_in_become_the_members(client, clerk_headers, make_location, make_product, db):
    make_location(name="Pudong")
    make_product(name="Jasmine Pearls")
    code = client.get("/api/v1/labels", headers=clerk_headers).json["items"][0]["code"]
    client.get(f"/q/{code}")  # anonymous, before signing up
    _sign_up(client)
    client.get(f"/q/{code}")  # signed in
    scans = db.session.scalars(select(Scan)).all()
    assert len(scans) == 2 and len({s.member_id for s in scans}) == 1 and scans[0].member_id is not None
    history = client.get("/account/scans")
    assert history.text.count("Jasmine Pearls") == 2 and "Pudong" in history.text
    api = client.get("/api/v1/members/me/scans").json
    assert [i["product"] for i in api["items"]] == ["Jasmine Pearls", "Jasmine Pearls"]
    deleted = client.post("/account/scans", data={"csrf_token": csrf_from(history.text)}, follow_redirects=True)
    assert "Deleted 2 scan(s)" in deleted.text
    assert db.session.scalars(select(Scan)).all() == []


def test_another_browsers_anonymous_scans_stay_anonymous(app, client, clerk_headers, make_location, make_product, db):
    make_location()
    make_product()
    code = client.get("/api/v1/labels", headers=clerk_headers).json["items"][0]["code"]
    stranger = app.test_client()
    stranger.get(f"/q/{code}")
    _sign_up(client)
    assert [s.member_id for s in db.session.scalars(select(Scan))] == [None]


def test_sign_out_everywhere_from_the_page(app, client):
    _sign_up(client)
    account = client.get("/account")
    response = client.post("/account/signout-everywhere", data={"csrf_token": csrf_from(account.text)})
    assert response.status_code == 302
    assert client.get("/account").status_code == 302
