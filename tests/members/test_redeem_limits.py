"""Member-code redeem is rate limited per address and per kiosk or API caller."""

from __future__ import annotations

import pytest

from app.members import codes
from tests.conftest import limited_app

ALLOWED = 3


@pytest.fixture
def app(tmp_path):
    """The app with rate limits on and a small redeem limit."""
    yield from limited_app(tmp_path, REDEEM_RATE_LIMIT=f"{ALLOWED} per day")  # a fixed window the test never straddles


def _redeem(app, headers, address: str):
    return app.test_client().post(
        "/api/v1/member-codes/redeem",
        json={"code": "NOSUCHCODE"},
        headers=headers,
        environ_overrides={"REMOTE_ADDR": address},
    )


def test_one_caller_is_limited_whatever_its_address(app, clerk_headers):
    answers = [_redeem(app, clerk_headers, f"10.0.0.{n}").status_code for n in range(ALLOWED)]
    assert 429 not in answers
    limited = _redeem(app, clerk_headers, "10.0.0.99")
    assert limited.status_code == 429
    assert limited.json["error"]["code"] == "rate_limited"
    assert "Retry-After" in limited.headers


def test_one_address_is_limited_whatever_the_caller(app, clerk_headers, admin_headers):
    callers = [clerk_headers, admin_headers]
    answers = [_redeem(app, callers[n % 2], "10.0.0.1").status_code for n in range(ALLOWED)]
    assert 429 not in answers
    assert _redeem(app, callers[ALLOWED % 2], "10.0.0.1").status_code == 429


def test_a_real_code_still_redeems_under_the_limit(app, clerk_headers, make_member):
    member = make_member()
    code = codes.codes_ahead(member)[0].code
    answer = app.test_client().post("/api/v1/member-codes/redeem", json={"code": code}, headers=clerk_headers)
    assert answer.status_code == 200
    assert answer.json["member"]["id"] == member.id
