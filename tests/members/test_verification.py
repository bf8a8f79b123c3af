"""One-time codes: verifying an e-mail or phone, resetting a forgotten password, the outbox sender."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from app.errors import DomainError
from app.members import messages, services, verification
from app.members.identity_models import IdentifierCode
from app.members.models import Member, OutboxMessage, ResetCode
from tests.conftest import csrf_from, make_app


def last_code(db, recipient: str) -> str:
    """The code in the newest outbox message to ``recipient``."""
    message = db.session.scalar(
        select(OutboxMessage).where(OutboxMessage.recipient == recipient).order_by(OutboxMessage.id.desc()).limit(1)
    )
    assert message is not None, f"no message to {recipient}"
    return re.search(r"\b(\d{6})\b", message.body).group(1)


def outbox_count(db) -> int:
    return db.session.scalar(select(func.count(OutboxMessage.id)))


def _csrf(client) -> str:
    return csrf_from(client.get("/staff/login").text)


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


# ---- verifying an identifier ------------------------------------------------------------


def test_add_a_phone_and_verify_it_with_the_code_sent(db, member_client):
    client, member = member_client()
    headers = {"X-CSRFToken": _csrf(client)}
    added = client.post(
        "/api/v1/members/me/identifiers", json={"kind": "phone", "value": "139 0013 9000"}, headers=headers
    )
    assert added.status_code == 201, added.json
    assert added.json == {"kind": "phone", "value": "+8613900139000", "verified": False}
    code = last_code(db, "+8613900139000")
    message = db.session.scalar(select(OutboxMessage).order_by(OutboxMessage.id.desc()))
    assert message.channel == "sms"
    # The code is stored only as a keyed hash.
    stored = db.session.scalar(select(IdentifierCode.code_hash))
    assert code not in stored and len(stored) == 64
    verified = client.post(
        "/api/v1/members/me/identifiers/verify",
        json={"kind": "phone", "value": "+86 139-0013-9000", "code": code},
        headers=headers,
    )
    assert verified.status_code == 200, verified.json
    assert verified.json["verified"] is True
    me = client.get("/api/v1/members/me").json
    assert {"kind": "phone", "value": "+8613900139000", "verified": True} in me["identifiers"]


def test_a_code_allows_five_attempts_and_each_wrong_one_counts(db, member_client):
    client, member = member_client()
    headers = {"X-CSRFToken": _csrf(client)}
    client.post("/api/v1/members/me/identifiers", json={"kind": "email", "value": "mei@work.example"}, headers=headers)
    code = last_code(db, "mei@work.example")
    body = {"kind": "email", "value": "mei@work.example", "code": wrong(code)}
    for _ in range(verification.MAX_ATTEMPTS):
        response = client.post("/api/v1/members/me/identifiers/verify", json=body, headers=headers)
        assert response.status_code == 422 and response.json["error"]["code"] == "invalid_code"
    # The wrong attempts were kept although each answer was an error: now even the right code is refused.
    response = client.post("/api/v1/members/me/identifiers/verify", json={**body, "code": code}, headers=headers)
    assert response.status_code == 422 and response.json["error"]["code"] == "too_many_attempts"
    # A new code works.
    resent = client.post(
        "/api/v1/members/me/identifiers/resend", json={"kind": "email", "value": "mei@work.example"}, headers=headers
    )
    assert resent.status_code == 202
    ok = client.post(
        "/api/v1/members/me/identifiers/verify",
        json={**body, "code": last_code(db, "mei@work.example")},
        headers=headers,
    )
    assert ok.status_code == 200 and ok.json["verified"] is True


def test_codes_expire_are_single_use_and_replaced_by_a_new_one(db, make_member):
    member = make_member(login="mei@example.com")
    identifier = services.identifiers_of(member)[0]
    verification.send_identifier_code(identifier)
    first = last_code(db, "mei@example.com")
    verification.send_identifier_code(identifier)
    second = last_code(db, "mei@example.com")
    db.session.commit()
    if first != second:
        with pytest.raises(verification.CodeRejected):
            verification.verify_identifier(member, "email", "mei@example.com", first)
        db.session.rollback()
    row = db.session.scalar(select(IdentifierCode).where(IdentifierCode.used_at.is_(None)))
    row.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    with pytest.raises(verification.CodeRejected):
        verification.verify_identifier(member, "email", "mei@example.com", second)
    db.session.rollback()
    verification.send_identifier_code(identifier)
    third = last_code(db, "mei@example.com")
    assert verification.verify_identifier(member, "email", "mei@example.com", third).verified
    db.session.commit()
    used = db.session.scalar(select(IdentifierCode).order_by(IdentifierCode.id.desc()))
    assert used.used_at is not None


def test_a_code_for_one_identifier_does_not_verify_another(db, make_member):
    member = make_member(login="mei@example.com")
    phone = verification.add_identifier(member, "phone", "13800138000")
    email = services.identifiers_of(member)[0]
    code = last_code(db, "+8613800138000")
    # Give the e-mail a code row too, then try the phone's code on it.
    verification.send_identifier_code(email)
    db.session.commit()
    with pytest.raises(verification.CodeRejected):
        verification.verify_identifier(member, "email", "mei@example.com", code)
    db.session.rollback()
    assert verification.verify_identifier(member, "phone", phone.value, code).verified


def test_at_most_five_codes_an_hour_to_one_identifier(db, member_client):
    client, member = member_client()
    headers = {"X-CSRFToken": _csrf(client)}
    body = {"kind": "email", "value": "mei@example.com"}
    statuses = [
        client.post("/api/v1/members/me/identifiers/resend", json=body, headers=headers).status_code for _ in range(6)
    ]
    assert statuses == [202] * 5 + [429]


def test_adding_another_members_identifier_is_refused(db, make_member, member_client):
    make_member(login="other@example.com")
    client, _ = member_client()
    response = client.post(
        "/api/v1/members/me/identifiers",
        json={"kind": "email", "value": "Other@Example.com"},
        headers={"X-CSRFToken": _csrf(client)},
    )
    assert response.status_code == 409 and response.json["error"]["code"] == "identifier_taken"
    assert outbox_count(db) == 0


# ---- resetting a password ---------------------------------------------------------------


def test_reset_request_answers_the_same_for_unknown_accounts(app, db, make_member):
    make_member(login="mei@example.com")
    client = app.test_client()
    known = client.post("/api/v1/password-resets", json={"login": "mei@example.com"})
    unknown = client.post("/api/v1/password-resets", json={"login": "nobody@example.com"})
    assert known.status_code == unknown.status_code == 202
    assert known.json == unknown.json
    assert outbox_count(db) == 1


def test_reset_sets_the_password_and_signs_out_everywhere(app, db, member_client):
    phone, member = member_client()
    client = app.test_client()
    assert client.post("/api/v1/password-resets", json={"login": "MEI@example.com"}).status_code == 202
    code = last_code(db, "mei@example.com")
    body = {"login": "mei@example.com", "code": wrong(code), "password": "brand-new-password"}
    refused = client.post("/api/v1/password-resets/confirm", json=body)
    assert refused.status_code == 422 and refused.json["error"]["code"] == "invalid_code"
    done = client.post("/api/v1/password-resets/confirm", json={**body, "code": code})
    assert done.status_code == 204, done.json
    assert phone.get("/api/v1/members/me").status_code == 401  # signed out everywhere
    assert services.authenticate("mei@example.com", "long-password") is None
    assert services.authenticate("mei@example.com", "brand-new-password").id == member.id
    # The login that received the code is now verified; the code works once.
    assert services.identifiers_of(member)[0].verified
    again = client.post("/api/v1/password-resets/confirm", json={**body, "code": code, "password": "another-password"})
    assert again.status_code == 422


def test_reset_code_dies_after_five_wrong_attempts(app, db, make_member):
    make_member(login="mei@example.com")
    client = app.test_client()
    client.post("/api/v1/password-resets", json={"login": "mei@example.com"})
    code = last_code(db, "mei@example.com")
    body = {"login": "mei@example.com", "password": "brand-new-password"}
    for _ in range(5):
        assert client.post("/api/v1/password-resets/confirm", json={**body, "code": wrong(code)}).status_code == 422
    last = client.post("/api/v1/password-resets/confirm", json={**body, "code": code})
    assert last.status_code == 422
    assert db.session.scalar(select(ResetCode.attempts)) == 5


def test_weak_password_does_not_spend_an_attempt(app, db, make_member):
    make_member(login="mei@example.com")
    client = app.test_client()
    client.post("/api/v1/password-resets", json={"login": "mei@example.com"})
    code = last_code(db, "mei@example.com")
    weak = client.post(
        "/api/v1/password-resets/confirm", json={"login": "mei@example.com", "code": code, "password": "short"}
    )
    assert weak.status_code == 422 and weak.json["error"]["code"] == "weak_password"
    assert db.session.scalar(select(ResetCode.attempts)) == 0


def test_reset_for_an_unknown_login_is_just_a_wrong_code(app):
    response = app.test_client().post(
        "/api/v1/password-resets/confirm",
        json={"login": "nobody@example.com", "code": "123456", "password": "brand-new-password"},
    )
    assert response.status_code == 422 and response.json["error"]["code"] == "invalid_code"


def test_a_code_sent_to_one_login_does_not_work_with_another(app, db, make_member):
    member = make_member(login="mei@example.com")
    services.add_identifier(member, "phone", "13800138000")
    db.session.commit()
    client = app.test_client()
    client.post("/api/v1/password-resets", json={"login": "13800138000"})
    code = last_code(db, "+8613800138000")
    body = {"login": "mei@example.com", "code": code, "password": "brand-new-password"}
    assert client.post("/api/v1/password-resets/confirm", json=body).status_code == 422


def test_at_most_five_reset_codes_an_hour(app, db, make_member):
    make_member(login="mei@example.com")
    client = app.test_client()
    for _ in range(7):
        assert client.post("/api/v1/password-resets", json={"login": "mei@example.com"}).status_code == 202
    assert outbox_count(db) == verification.MAX_CODES_PER_HOUR


def test_reset_code_entry_is_rate_limited(tmp_path):
    app = make_app(
        f"sqlite:///{tmp_path / 'r.db'}", tmp_path / "i", RATELIMIT_ENABLED=True, SIGNIN_RATE_LIMIT="3 per minute"
    )
    with app.app_context():
        client = app.test_client()
        body = {"login": "a@example.com", "code": "000000", "password": "brand-new-password"}
        statuses = [client.post("/api/v1/password-resets/confirm", json=body).status_code for _ in range(4)]
        assert statuses == [422, 422, 422, 429]
        requests = [
            client.post("/api/v1/password-resets", json={"login": "a@example.com"}).status_code for _ in range(4)
        ]
        assert requests == [202, 202, 202, 429]


# ---- pages ------------------------------------------------------------------------------


TOKEN_RE = re.compile(r'name="(?:[a-z]+-)?csrf_token" type="hidden" value="([^"]+)"')


def page_token(html: str) -> str:
    return TOKEN_RE.search(html).group(1)


def test_reset_pages(app, db, make_member):
    member = make_member(login="mei@example.com")
    client = app.test_client()
    page = client.get("/account/reset")
    assert page.status_code == 200
    sent = client.post("/account/reset", data={"login": "mei@example.com", "csrf_token": page_token(page.text)})
    assert sent.status_code == 302 and "/account/reset/confirm" in sent.headers["Location"]
    confirm = client.get(sent.headers["Location"])
    assert "mei@example.com" in confirm.text and "we sent it a code" in confirm.text
    code = last_code(db, "mei@example.com")
    form = {"login": "mei@example.com", "code": wrong(code), "password": "brand-new-password"}
    bad = client.post("/account/reset/confirm", data={**form, "csrf_token": page_token(confirm.text)})
    assert bad.status_code == 422 and "wrong or has expired" in bad.text
    good = client.post("/account/reset/confirm", data={**form, "code": code, "csrf_token": page_token(bad.text)})
    assert good.status_code == 302 and good.headers["Location"].endswith("/account/signin")
    assert services.authenticate("mei@example.com", "brand-new-password").id == member.id
    assert db.session.scalar(select(ResetCode.attempts)) == 2


def test_verify_page(app, db, make_member):
    make_member(login="mei@example.com")
    client = app.test_client()
    client.post("/api/v1/session", json={"login": "mei@example.com", "password": "long-password"})
    page = client.get("/account/verify")
    assert page.status_code == 200 and "not confirmed" in page.text
    token = page_token(page.text)
    added = client.post(
        "/account/verify/add", data={"add-kind": "phone", "add-value": "13800138000", "add-csrf_token": token}
    )
    assert added.status_code == 302
    code = last_code(db, "+8613800138000")
    page = client.get(added.headers["Location"])
    assert '<option selected value="phone:+8613800138000">' in page.text
    wrong_answer = client.post(
        "/account/verify",
        data={"verify-identifier": "phone:+8613800138000", "verify-code": wrong(code), "verify-csrf_token": token},
    )
    assert wrong_answer.status_code == 422 and "not right" in wrong_answer.text
    right = client.post(
        "/account/verify",
        data={"verify-identifier": "phone:+8613800138000", "verify-code": code, "verify-csrf_token": token},
    )
    assert right.status_code == 302
    assert "+8613800138000 is confirmed" in client.get(right.headers["Location"]).text


# ---- the sender -------------------------------------------------------------------------


class FakeSms:
    sent: list[tuple[str, str, str, str]] = []

    def send(self, channel, recipient, subject, body):
        FakeSms.sent.append((channel, recipient, subject, body))


def test_sender_is_chosen_by_config(app, db, make_member):
    assert isinstance(messages.sender(), messages.OutboxSender)
    messages.register_sender("fake", FakeSms)
    app.config["MESSAGE_SENDER"] = "fake"
    try:
        make_member(login="mei@example.com")
        verification.request_reset("mei@example.com")
        assert FakeSms.sent[-1][:2] == ("email", "mei@example.com")
        assert outbox_count(db) == 0
        app.config["MESSAGE_SENDER"] = "tests.members.test_verification:FakeSms"
        assert isinstance(messages.sender(), FakeSms)
        app.config["MESSAGE_SENDER"] = "nonsense"
        with pytest.raises(DomainError):
            messages.sender()
    finally:
        app.config["MESSAGE_SENDER"] = "outbox"


def test_imported_member_claims_the_account_with_a_reset_code(app, db):
    member = Member(name="Old Customer", code_secret=services.new_code_secret())
    db.session.add(member)
    db.session.flush()
    services.add_identifier(member, "phone", "13700137000", source="loyalty-import")
    db.session.commit()
    assert services.authenticate("13700137000", "") is None
    client = app.test_client()
    client.post("/api/v1/password-resets", json={"login": "137 0013 7000"})
    body = {"login": "13700137000", "code": last_code(db, "+8613700137000"), "password": "my-first-password"}
    assert client.post("/api/v1/password-resets/confirm", json=body).status_code == 204
    assert services.authenticate("13700137000", "my-first-password").id == member.id
