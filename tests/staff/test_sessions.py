"""Staff sessions end at sign-out, after their lifetime, and everywhere on request."""

from __future__ import annotations

from app.staff.services import SIGNED_IN_AT
from tests.conftest import csrf_from

COOKIE = "session"


def _copy_cookie(source, target) -> None:
    target.set_cookie(COOKIE, source.get_cookie(COOKIE).value)


def _sign_in(client, email="admin@example.com"):
    page = client.get("/staff/login")
    answer = client.post(
        "/staff/login", data={"email": email, "password": "correct-horse", "csrf_token": csrf_from(page.text)}
    )
    assert answer.status_code == 302, answer.text


def test_copied_cookie_is_refused_after_sign_out(app, signed_in):
    client = signed_in("admin")
    thief = app.test_client()
    _copy_cookie(client, thief)
    assert thief.get("/staff/").status_code == 200

    token = csrf_from(client.get("/staff/").text)
    assert client.post("/staff/logout", data={"csrf_token": token}).status_code == 302

    answer = thief.get("/staff/")
    assert answer.status_code == 302
    assert "/staff/login" in answer.headers["Location"]


def test_session_ends_after_its_lifetime(app, signed_in):
    client = signed_in("admin")
    assert client.get("/staff/").status_code == 200
    hours = app.config["STAFF_SESSION_HOURS"]
    with client.session_transaction() as session:
        session[SIGNED_IN_AT] -= hours * 3600 + 1
    answer = client.get("/staff/")
    assert answer.status_code == 302
    assert "/staff/login" in answer.headers["Location"]


def test_sign_out_everywhere_ends_another_browsers_session(app, signed_in):
    first = signed_in("admin")
    second = app.test_client()
    _sign_in(second)
    assert second.get("/staff/").status_code == 200

    page = first.get("/staff/")
    assert "Sign out everywhere" in page.text
    answer = first.post("/staff/sign-out-everywhere", data={"csrf_token": csrf_from(page.text)})
    assert answer.status_code == 302

    assert second.get("/staff/").status_code == 302
    assert first.get("/staff/").status_code == 302
    # Signing in again works.
    _sign_in(second)
    assert second.get("/staff/").status_code == 200
