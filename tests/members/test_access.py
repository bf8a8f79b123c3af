"""Access: a member sees only their own data; members cannot use staff endpoints; clerk vs admin."""

from __future__ import annotations

import pytest

from app.members import codes, services, verification
from app.scans import services as scans
from tests.conftest import csrf_from, make_app


@pytest.fixture
def a_and_b(app, db, member_client, make_member):
    """Member A signed in (client), member B with an unverified phone, a scan and a pending code."""
    client, a = member_client(login="a@example.com", name="Anna A")
    b = make_member(login="b@example.com", name="Bob B")
    verification.add_identifier(b, "phone", "13900139000")
    scans.record_scan("B-SCAN", "phone", member_id=b.id)
    db.session.commit()
    return client, a, b


def _csrf(client) -> dict:
    return {"X-CSRFToken": csrf_from(client.get("/staff/login").text)}


def test_my_profile_and_code_are_mine_only(a_and_b):
    client, a, b = a_and_b
    me = client.get("/api/v1/members/me").json
    assert me["id"] == a.id and "b@example.com" not in str(me)
    code = client.get("/api/v1/members/me/code").json
    assert all(c["code"].startswith(f"MC-{a.id}-") for c in code["ahead"])
    # There is no way to name another member on these endpoints: ids in the path are not routes.
    assert client.get(f"/api/v1/members/{b.id}/code").status_code == 404


def test_another_members_identifier_cannot_be_verified_or_resent(db, a_and_b):
    client, _, b = a_and_b
    headers = _csrf(client)
    for path, extra in (("verify", {"code": "123456"}), ("resend", {})):
        response = client.post(
            f"/api/v1/members/me/identifiers/{path}",
            json={"kind": "phone", "value": "13900139000", **extra},
            headers=headers,
        )
        assert response.status_code == 404, (path, response.json)
    assert not services.identifiers_of(b)[1].verified


def test_another_members_identifier_cannot_be_added(a_and_b):
    client, _, _ = a_and_b
    response = client.post(
        "/api/v1/members/me/identifiers", json={"kind": "email", "value": "b@example.com"}, headers=_csrf(client)
    )
    assert response.status_code == 409


def test_another_members_scans_are_not_shown(a_and_b):
    client, _, _ = a_and_b
    page = client.get("/account/scans")
    assert page.status_code == 200 and "B-SCAN" not in page.text


def test_a_member_cannot_redeem_anothers_code(app, db, a_and_b):
    client, _, b = a_and_b
    code = codes.codes_ahead(b)[0].code
    response = client.post("/api/v1/member-codes/redeem", json={"code": code, "location": None}, headers=_csrf(client))
    assert response.status_code in (401, 403)


STAFF_ENDPOINTS = [
    ("get", "/api/v1/members?q=b%40example.com", None),
    ("get", "/api/v1/members/{b}", None),
    ("get", "/api/v1/members/{a}/merge-preview?from={b}", None),
    ("post", "/api/v1/members/{a}/merge", {"from": "{b}"}),
    ("post", "/api/v1/members/import", None),
]


def _call(client, method, path, body, a, b, headers=None):
    path = path.format(a=a.id, b=b.id)
    json = {"from": b.id} if body else None
    if path.endswith("/import"):
        return client.post(path, data="card_number\nLC-1\n", headers={"Content-Type": "text/csv", **(headers or {})})
    return getattr(client, method)(path, json=json, headers=headers or {})


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ENDPOINTS)
def test_members_cannot_use_staff_endpoints(a_and_b, method, path, body):
    client, a, b = a_and_b
    response = _call(client, method, path, body, a, b, _csrf(client))
    # A member's session is not a staff credential.
    assert response.status_code == 401, response.json
    assert "Bob" not in response.text and "13900139000" not in response.text


@pytest.mark.parametrize(("method", "path", "body"), STAFF_ENDPOINTS)
def test_clerks_read_members_admins_import_and_merge(client, a_and_b, clerk_headers, admin_headers, method, path, body):
    _, a, b = a_and_b
    clerk = _call(client, method, path, body, a, b, clerk_headers).status_code
    admin_only = "merge" in path or "import" in path
    assert clerk == (403 if admin_only else 200)
    assert _call(client, method, path, body, a, b, admin_headers).status_code == 200


def test_staff_search_and_detail(client, a_and_b, clerk_headers):
    _, a, b = a_and_b
    found = client.get("/api/v1/members?q=139 0013 9000", headers=clerk_headers).json["items"]
    assert [m["id"] for m in found] == [b.id]
    by_name = client.get("/api/v1/members?q=anna", headers=clerk_headers).json["items"]
    assert [m["id"] for m in by_name] == [a.id]
    detail = client.get(f"/api/v1/members/{b.id}", headers=clerk_headers).json
    assert detail["recent_scans"][0]["code"] == "B-SCAN" and detail["has_password"] is True
    assert client.get("/api/v1/members/99999", headers=clerk_headers).status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/staff/members", "/staff/members/{b}", "/staff/members/import", "/staff/members/{b}/merge", "/staff/outbox"],
)
def test_members_cannot_open_staff_pages(a_and_b, path):
    client, _, b = a_and_b
    response = client.get(path.format(b=b.id))
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


@pytest.mark.parametrize(
    ("path", "clerk_status"),
    [
        ("/staff/members", 200),
        ("/staff/members/{b}", 200),
        ("/staff/members/import", 403),
        ("/staff/members/{b}/merge", 403),
        ("/staff/outbox", 403),
    ],
)
def test_staff_pages_clerk_vs_admin(app, a_and_b, signed_in, path, clerk_status):
    _, _, b = a_and_b
    clerk = signed_in("clerk")
    assert clerk.get(path.format(b=b.id)).status_code == clerk_status


def test_member_pages_need_sign_in(client):
    response = client.get("/account/verify")
    assert response.status_code == 302 and "/account/signin" in response.headers["Location"]


def test_brute_force_on_sign_in_and_codes_is_slowed_down(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'b.db'}", tmp_path / "i", RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="3 per minute"
    )
    with app.app_context():
        attacker = app.test_client()
        sign_in = [
            attacker.post("/api/v1/session", json={"login": "a@example.com", "password": f"guess-{n:04d}"}).status_code
            for n in range(4)
        ]
        assert sign_in[-1] == 429
        confirm = [
            attacker.post(
                "/api/v1/password-resets/confirm",
                json={"login": "a@example.com", "code": f"{n:06d}", "password": "new-password-1"},
            ).status_code
            for n in range(4)
        ]
        assert confirm == [422, 422, 422, 429]
