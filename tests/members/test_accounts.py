"""Accounts: sign-up, sign-in, sessions, sign-out everywhere, access."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from, make_app


def test_sign_up_with_phone_and_sign_in_with_any_format(app):
    client = app.test_client()
    created = client.post(
        "/api/v1/members", json={"login": "138 0013 8000", "password": "long-password", "name": "Wang Fang"}
    )
    assert created.status_code == 201, created.json
    assert created.json["identifiers"] == [{"kind": "phone", "value": "+8613800138000", "verified": False}]
    assert client.get("/api/v1/members/me").json["first_name"] == "Wang"
    other = app.test_client()
    assert (
        other.post("/api/v1/session", json={"login": "+86 138-0013-8000", "password": "long-password"}).status_code
        == 200
    )


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"login": "not-a-phone", "password": "long-password"}, 422, "invalid_phone"),
        ({"login": "a@b", "password": "long-password"}, 422, "invalid_email"),
        ({"login": "x@example.com", "password": "short"}, 422, "weak_password"),
        ({"login": "x@example.com"}, 422, "validation_error"),
    ],
)
def test_bad_sign_ups(app, body, status, code):
    response = app.test_client().post("/api/v1/members", json=body)
    assert response.status_code == status and response.json["error"]["code"] == code


def test_one_account_per_identifier(app, make_member):
    make_member(login="taken@example.com")
    response = app.test_client().post(
        "/api/v1/members", json={"login": "Taken@Example.com", "password": "long-password"}
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "member_exists"


def test_wrong_password_is_401(app, make_member):
    make_member(login="mei@example.com")
    for login in ("mei@example.com", "nobody@example.com"):
        response = app.test_client().post("/api/v1/session", json={"login": login, "password": "wrong-password"})
        assert response.status_code == 401 and response.json["error"]["code"] == "wrong_credentials"


def test_session_id_changes_at_sign_in(app, make_member):
    make_member(login="mei@example.com")
    client = app.test_client()
    body = {"login": "mei@example.com", "password": "long-password"}
    client.post("/api/v1/session", json=body)
    first = client.get_cookie("session").value
    client.post("/api/v1/session", json=body)
    second = client.get_cookie("session").value
    assert first != second
    # The old cookie no longer signs anyone in.
    stale = app.test_client()
    stale.set_cookie("session", first)
    assert stale.get("/api/v1/members/me").status_code == 401


def test_sign_out_and_sign_out_everywhere(app, member_client):
    phone, member = member_client()
    laptop = app.test_client()
    laptop.post("/api/v1/session", json={"login": "mei@example.com", "password": "long-password"})
    me = phone.get("/api/v1/members/me")
    assert me.status_code == 200
    csrf_token = _csrf(phone)
    assert phone.delete("/api/v1/session/all", headers={"X-CSRFToken": csrf_token}).status_code == 204
    assert phone.get("/api/v1/members/me").status_code == 401
    assert laptop.get("/api/v1/members/me").status_code == 401


def _csrf(client) -> str:
    """The CSRF token of this browser's session, as any page of ours carries it."""
    return csrf_from(client.get("/staff/login").text)


def test_cookie_writes_need_csrf(member_client):
    client, _ = member_client()
    refused = client.patch("/api/v1/members/me", json={"name": "New Name"})
    assert refused.status_code == 400
    accepted = client.patch("/api/v1/members/me", json={"name": "New Name"}, headers={"X-CSRFToken": _csrf(client)})
    assert accepted.status_code == 200 and accepted.json["name"] == "New Name"


def test_member_api_needs_sign_in(client):
    assert client.get("/api/v1/members/me").status_code == 401
    assert client.get("/api/v1/members/me/code").status_code == 401


def test_sign_in_is_slowed_down(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'm.db'}", tmp_path / "i", RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="3 per minute"
    )
    with app.app_context():
        client = app.test_client()
        codes = [
            client.post("/api/v1/session", json={"login": "a@example.com", "password": "guess-1234"}).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
