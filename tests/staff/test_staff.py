"""Staff sign-in, roles, CSRF, rate limits and API keys."""

from __future__ import annotations

from sqlalchemy import select

from app.staff.models import ApiKey, StaffUser
from tests.conftest import csrf_from, make_app


def test_password_is_stored_with_argon2(make_staff, db):
    user = make_staff()
    assert user.password_hash.startswith("$argon2id$")
    assert "correct-horse" not in user.password_hash


def test_sign_in_and_out(client, make_staff):
    make_staff()
    page = client.get("/staff/login")
    wrong = client.post(
        "/staff/login", data={"email": "admin@example.com", "password": "nope", "csrf_token": csrf_from(page.text)}
    )
    assert wrong.status_code == 401
    assert "E-mail or password is wrong" in wrong.text
    ok = client.post(
        "/staff/login",
        data={"email": "ADMIN@example.com", "password": "correct-horse", "csrf_token": csrf_from(page.text)},
    )
    assert ok.status_code == 302
    dashboard = client.get("/staff/")
    assert "Good to see you, Ada" in dashboard.text
    client.post("/staff/logout", data={"csrf_token": csrf_from(dashboard.text)})
    assert client.get("/staff/").status_code == 302


def test_sign_in_form_needs_csrf(client, make_staff):
    make_staff()
    response = client.post("/staff/login", data={"email": "admin@example.com", "password": "correct-horse"})
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_staff_pages_need_sign_in(client):
    response = client.get("/staff/products")
    assert response.status_code == 302
    assert "/staff/login?next=" in response.headers["Location"]


def test_clerk_cannot_open_admin_pages(signed_in):
    client = signed_in("clerk")
    assert client.get("/staff/keys").status_code == 403
    assert client.get("/staff/products/new").status_code == 403
    assert client.get("/staff/products").status_code == 200


def test_sign_in_is_rate_limited(tmp_path, db):
    from app.staff import services

    app = make_app(
        f"sqlite:///{tmp_path / 'rl.db'}", tmp_path / "rl", RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="3 per minute"
    )
    with app.app_context():
        services.create_staff("a@example.com", "A", "correct-horse", "admin")
        from app.extensions import db as rl_db

        rl_db.session.commit()
        client = app.test_client()
        token = csrf_from(client.get("/staff/login").text)
        codes = [
            client.post(
                "/staff/login", data={"email": "a@example.com", "password": "bad", "csrf_token": token}
            ).status_code
            for _ in range(4)
        ]
        assert codes == [401, 401, 401, 429]
        blocked = client.post(
            "/staff/login", data={"email": "a@example.com", "password": "correct-horse", "csrf_token": token}
        )
        assert blocked.status_code == 429
        rl_db.session.remove()


def test_staff_create_cli(runner, db):
    result = runner.invoke(
        args=[
            "staff",
            "create",
            "--email",
            "Boss@Example.com",
            "--name",
            "Boss",
            "--role",
            "admin",
            "--password",
            "long-enough-1",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(StaffUser).filter_by(email="boss@example.com"))
    assert user.role == "admin"
    again = runner.invoke(args=["staff", "create", "--email", "boss@example.com", "--password", "long-enough-1"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_keys_create_prints_key_last_and_it_works(runner, client, db):
    result = runner.invoke(args=["keys", "create", "--role", "admin"])
    assert result.exit_code == 0, result.output
    key = result.output.strip().splitlines()[-1]
    assert key.startswith("osk_") and " " not in key
    stored = db.session.scalars(select(ApiKey)).one()
    assert key not in stored.key_hash and stored.key_hash != key
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/products", headers=headers).status_code == 200
    revoke = runner.invoke(args=["keys", "revoke", stored.prefix])
    assert revoke.exit_code == 0
    denied = client.get("/api/v1/products", headers=headers)
    assert denied.status_code == 401
    assert denied.json["error"]["code"] == "invalid_token"


def test_api_without_credentials_is_401(client):
    response = client.get("/api/v1/locations")
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


def test_clerk_key_cannot_write(client, clerk_headers):
    response = client.post("/api/v1/locations", json={"code": "X", "name": "X", "kind": "store"}, headers=clerk_headers)
    assert response.status_code == 403
    assert response.json["error"]["code"] == "forbidden"


def test_session_api_writes_need_csrf(signed_in):
    client = signed_in("admin")
    body = {"code": "S1", "name": "Store", "kind": "store"}
    refused = client.post("/api/v1/locations", json=body)
    assert refused.status_code == 400
    token = csrf_from(client.get("/staff/").text)
    accepted = client.post("/api/v1/locations", json=body, headers={"X-CSRFToken": token})
    assert accepted.status_code == 201


def test_api_keys_page_creates_and_revokes(signed_in, db):
    client = signed_in("admin")
    page = client.get("/staff/keys")
    created = client.post("/staff/keys", data={"name": "ERP", "role": "clerk", "csrf_token": csrf_from(page.text)})
    assert "Copy this key now" in created.text
    key = db.session.scalars(select(ApiKey)).one()
    client.post(f"/staff/keys/{key.prefix}/revoke", data={"csrf_token": csrf_from(created.text)})
    db.session.refresh(key)
    assert key.revoked_at is not None
