"""Sign-in limits per account: wrong passwords from any address lock the account for a while."""

from __future__ import annotations

import uuid

import pytest

from tests.conftest import csrf_from, limited_app

WRONG_ALLOWED = 3


@pytest.fixture
def app(tmp_path):
    """The app with rate limits on: many attempts per address, few wrong passwords per account."""
    yield from limited_app(
        tmp_path, SIGNIN_RATE_LIMIT="100 per minute", SIGNIN_ACCOUNT_LIMIT=f"{WRONG_ALLOWED} per 15 minutes"
    )


def _staff_sign_in(app, password: str, address: str):
    client = app.test_client()
    page = client.get("/staff/login", environ_overrides={"REMOTE_ADDR": address})
    return client.post(
        "/staff/login",
        data={"email": "admin@example.com", "password": password, "csrf_token": csrf_from(page.text)},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_staff_account_locks_after_wrong_passwords_from_two_addresses(app, make_staff):
    make_staff()
    addresses = ["10.0.0.1", "10.0.0.2"]
    for attempt in range(WRONG_ALLOWED):
        assert _staff_sign_in(app, "wrong", addresses[attempt % 2]).status_code == 401

    # Even the right password, from a third address, is refused while the account is locked.
    locked = _staff_sign_in(app, "correct-horse", "10.0.0.3")
    assert locked.status_code == 429
    assert "Too many wrong passwords for this account" in locked.text
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_staff_lock_is_per_account(app, make_staff):
    make_staff()
    make_staff(email="clerk@example.com", role="clerk")
    for attempt in range(WRONG_ALLOWED):
        assert _staff_sign_in(app, "wrong", f"10.0.1.{attempt}").status_code == 401
    client = app.test_client()
    page = client.get("/staff/login")
    answer = client.post(
        "/staff/login",
        data={"email": "clerk@example.com", "password": "correct-horse", "csrf_token": csrf_from(page.text)},
    )
    assert answer.status_code == 302


def _member_sign_in(app, password: str, address: str):
    return app.test_client().post(
        "/api/v1/session",
        json={"login": "mei@example.com", "password": password},
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_member_api_account_locks_after_wrong_passwords_from_two_addresses(app, db):
    from app.members import services

    services.sign_up("mei@example.com", "long-password", "Mei Lin")
    db.session.commit()
    for attempt in range(WRONG_ALLOWED):
        answer = _member_sign_in(app, "wrong-password", ["10.0.0.1", "10.0.0.2"][attempt % 2])
        assert answer.status_code == 401

    locked = _member_sign_in(app, "long-password", "10.0.0.3")
    assert locked.status_code == 429
    assert locked.json["error"]["code"] == "account_locked"
    assert 0 < int(locked.headers["Retry-After"]) <= 15 * 60


def test_member_sign_in_page_account_locks_too(app, db):
    from app.members import services

    services.sign_up("mei@example.com", "long-password", "Mei Lin")
    db.session.commit()

    def attempt(password: str, address: str):
        client = app.test_client()
        page = client.get("/account/signin", environ_overrides={"REMOTE_ADDR": address})
        return client.post(
            "/account/signin",
            data={"login": "mei@example.com", "password": password, "csrf_token": csrf_from(page.text)},
            environ_overrides={"REMOTE_ADDR": address},
        )

    for n in range(WRONG_ALLOWED):
        assert attempt("wrong-password", f"10.0.2.{n}").status_code == 401
    locked = attempt("long-password", "10.0.2.9")
    assert locked.status_code == 429
    assert "Retry-After" in locked.headers


@pytest.mark.redis
def test_limits_hold_across_two_server_processes_sharing_redis(tmp_path):
    """Sign-in and member-code redeem limits hold across two server processes sharing Redis."""
    import requests

    from tests.conftest import need_redis
    from tests.live_server import free_port, run_flask, running_server, server_env

    redis_url = need_redis()
    shared = {
        "DATABASE_URL": f"sqlite:///{tmp_path / 'shared.db'}",
        "REDIS_URL": redis_url,
        "RATELIMIT_KEY_PREFIX": f"test-{uuid.uuid4().hex}",
        "SIGNIN_RATE_LIMIT": "100 per minute",
        "SIGNIN_ACCOUNT_LIMIT": f"{WRONG_ALLOWED} per 15 minutes",
        "REDEEM_RATE_LIMIT": "3 per day",  # fixed windows: a day is never straddled by the test
    }
    envs = []
    for name in ("one", "two"):
        (tmp_path / name).mkdir()
        envs.append(server_env(tmp_path / name, free_port(), **shared))
    run_flask(["db", "upgrade"], envs[0])
    run_flask(
        ["staff", "create", "--email", "admin@example.com", "--role", "admin", "--password", "pw-long-enough"], envs[0]
    )
    key = run_flask(["keys", "create", "--role", "clerk"], envs[0]).strip().splitlines()[-1]

    with (
        running_server(envs[0], tmp_path / "one.log") as one,
        running_server(envs[1], tmp_path / "two.log") as two,
    ):
        servers = [one, two]

        def sign_in(server, password: str) -> requests.Response:
            browser = requests.Session()
            page = browser.get(server.url("/staff/login"), timeout=10)
            data = {"email": "admin@example.com", "password": password, "csrf_token": csrf_from(page.text)}
            return browser.post(server.url("/staff/login"), data=data, allow_redirects=False, timeout=10)

        # Wrong passwords alternate between the two processes; the account locks on both.
        assert [sign_in(servers[n % 2], "wrong").status_code for n in range(WRONG_ALLOWED)] == [401] * WRONG_ALLOWED
        locked = sign_in(servers[WRONG_ALLOWED % 2], "pw-long-enough")
        assert locked.status_code == 429
        assert "Retry-After" in locked.headers

        def redeem(server) -> int:
            return requests.post(
                server.url("/api/v1/member-codes/redeem"),
                json={"code": "NOSUCHCODE"},
                headers={"Authorization": f"Bearer {key}"},
                timeout=10,
            ).status_code

        answers = [redeem(servers[n % 2]) for n in range(4)]
        assert 429 not in answers[:3]
        assert answers[3] == 429
