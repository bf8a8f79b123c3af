"""Pages: the kiosk screen, the phone's confirmation page, the staff's kiosk list, the CLI."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import select, update

from app.db import utcnow
from app.kiosks import services
from app.kiosks.models import KioskSession, PairingToken
from tests.conftest import csrf_from

PAIRING_URL = re.compile(r'data-pairing-url="http://shop\.test(/pair/[^"]+)"')


def pairing_path(screen) -> str:
    """The pairing URL the kiosk screen shows now (the QR's data attribute), as a path."""
    match = PAIRING_URL.search(screen.get("/kiosk").text)
    assert match, "no pairing QR on the kiosk screen"
    return match.group(1)


# ---- the kiosk screen ------------------------------------------------------------------


def test_kiosk_screen_signs_in_once_with_the_token(app, make_device):
    device, token = make_device()
    client = app.test_client()
    first = client.get(f"/kiosk?token={token}")
    assert first.status_code == 302 and first.headers["Location"] == "/kiosk"
    screen = client.get("/kiosk")
    assert screen.status_code == 200
    assert "Kiosk 3 · Oneshelf Pudong" in screen.text and "Welcome" in screen.text
    assert token not in screen.text
    assert screen.headers["Cache-Control"] == "no-store"
    assert "<svg" in screen.text and PAIRING_URL.search(screen.text)


def test_kiosk_screen_without_or_with_a_revoked_token_explains(app, make_device, db):
    device, token = make_device()
    client = app.test_client()
    anonymous = client.get("/kiosk")
    assert anonymous.status_code == 401 and "not signed in as a kiosk" in anonymous.text
    assert client.get("/kiosk?token=osd_nope_nope").status_code == 401
    assert client.get(f"/kiosk?token={token}").status_code == 302
    services.revoke_device(device.token_prefix)
    db.session.commit()
    revoked = client.get("/kiosk")
    assert revoked.status_code == 401
    refused = client.post("/kiosk/pairing", headers={"Accept": "application/json"})
    assert refused.status_code == 400
    assert refused.json["error"] == {"code": "bad_request", "message": "The CSRF token is missing."}


def test_kiosk_screen_renews_its_code_and_ends_the_session(kiosk_screen):
    client, device, _ = kiosk_screen()
    page = client.get("/kiosk")
    headers = {"X-CSRFToken": csrf_from(page.text), "Accept": "application/json"}
    session_id = int(re.search(r'data-session-id="(\d+)"', page.text).group(1))
    renewed = client.post("/kiosk/pairing", headers=headers)
    assert renewed.status_code == 200
    assert renewed.json["session"]["id"] == session_id
    assert renewed.json["pairing"]["url"] not in page.text
    assert client.post("/kiosk/pairing").status_code == 400  # no CSRF token: not from the kiosk page
    ended = client.post("/kiosk/session/end", headers=headers)
    assert ended.status_code == 200 and ended.json["session"]["id"] != session_id


def test_kiosk_screen_greets_an_identified_member(kiosk_screen, make_member, db):
    client, device, _ = kiosk_screen()
    client.get("/kiosk")
    services.identify_member(services.current_session(device), make_member(name="Mei Lin"), "member_code")
    db.session.commit()
    page = client.get("/kiosk")
    assert "Hello, Mei" in page.text and 'data-pairing-url=""' in page.text


# ---- the phone: connect to a kiosk -----------------------------------------------------


def test_pairing_needs_a_signed_in_member(kiosk_screen, client):
    screen, _, _ = kiosk_screen()
    path = pairing_path(screen)
    response = client.get(path)
    assert response.status_code == 302
    location = urlsplit(response.headers["Location"])
    assert location.path == "/account/signin" and "next=" in location.query


def test_a_phone_that_is_not_signed_in_cannot_say_yes(kiosk_screen, client, db):
    screen, device, _ = kiosk_screen()
    path = pairing_path(screen)
    token = csrf_from(client.get("/account/signin").text)
    response = client.post(path, data={"answer": "yes", "csrf_token": token})
    assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/account/signin"
    db.session.rollback()
    assert services.current_session(device).member_id is None


def test_confirmation_page_names_the_kiosk_and_the_store(kiosk_screen, member_client):
    screen, device, _ = kiosk_screen()
    phone, _ = member_client()
    page = phone.get(pairing_path(screen))
    assert page.status_code == 200
    assert "Connect to kiosk 3 at Oneshelf Pudong?" in page.text
    assert 'value="yes"' in page.text and 'value="no"' in page.text


def test_yes_connects_once_and_a_replay_gets_a_clear_page(kiosk_screen, member_client, db):
    screen, device, _ = kiosk_screen()
    phone, member = member_client()
    path = pairing_path(screen)
    page = phone.get(path)
    done = phone.post(path, data={"answer": "yes", "csrf_token": csrf_from(page.text)})
    assert done.status_code == 302
    connected = phone.get(done.headers["Location"])
    assert "Connected to kiosk 3 at Oneshelf Pudong" in connected.text and "Hello, Mei" in connected.text
    db.session.rollback()
    assert services.current_session(device).member_id == member.id
    assert "Hello, Mei" in screen.get("/kiosk").text

    replay = phone.get(path)
    assert replay.status_code == 409 and "already used" in replay.text
    again = phone.post(path, data={"answer": "yes", "csrf_token": csrf_from(page.text)})
    assert again.status_code == 409 and "already used" in again.text


def test_expired_code_gets_a_clear_page(kiosk_screen, member_client, db):
    screen, _, _ = kiosk_screen()
    phone, _ = member_client()
    path = pairing_path(screen)
    page = phone.get(path)
    db.session.execute(update(PairingToken).values(expires_at=utcnow() - timedelta(seconds=1)))
    db.session.commit()
    expired = phone.get(path)
    assert expired.status_code == 410 and "expired" in expired.text
    late = phone.post(path, data={"answer": "yes", "csrf_token": csrf_from(page.text)})
    assert late.status_code == 410
    db.session.rollback()
    assert db.session.scalar(select(KioskSession.member_id)) is None


def test_unknown_code_gets_a_clear_page(member_client):
    phone, _ = member_client()
    response = phone.get("/pair/not-a-real-code")
    assert response.status_code == 404 and "Unknown kiosk code" in response.text


def test_no_connects_nothing(kiosk_screen, member_client, db):
    screen, device, _ = kiosk_screen()
    phone, _ = member_client()
    path = pairing_path(screen)
    page = phone.get(path)
    declined = phone.post(path, data={"answer": "no", "csrf_token": csrf_from(page.text)})
    assert declined.status_code == 200 and "Not connected" in declined.text
    db.session.rollback()
    assert services.current_session(device).member_id is None
    assert phone.get(path).status_code == 200  # the code is still good for a yes


def test_yes_needs_the_forms_csrf_token(kiosk_screen, member_client, db):
    screen, device, _ = kiosk_screen()
    phone, _ = member_client()
    path = pairing_path(screen)
    phone.get(path)
    forged = phone.post(path, data={"answer": "yes"})
    assert forged.status_code == 400
    db.session.rollback()
    assert services.current_session(device).member_id is None


def test_a_member_cannot_take_a_kiosk_that_another_member_is_using(kiosk_screen, member_client, db):
    screen, device, _ = kiosk_screen()
    mei, _ = member_client("mei@example.com", "Mei Lin")
    bo, bo_member = member_client("bo@example.com", "Bo Chen")
    # Two codes the screen showed one after the other: Mei scans the new one, Bo photographed the old.
    old, new = pairing_path(screen), pairing_path(screen)
    bo_page = bo.get(old)
    assert bo_page.status_code == 200
    mei_page = mei.get(new)
    assert mei.post(new, data={"answer": "yes", "csrf_token": csrf_from(mei_page.text)}).status_code == 302
    busy = bo.get(old)
    assert busy.status_code == 409 and "Kiosk busy" in busy.text
    refused = bo.post(old, data={"answer": "yes", "csrf_token": csrf_from(bo_page.text)})
    assert refused.status_code == 409 and "another member" in refused.text
    db.session.rollback()
    assert services.current_session(device).member_id != bo_member.id


def test_the_done_page_is_only_for_the_member_who_connected(kiosk_screen, member_client, db):
    screen, _, _ = kiosk_screen()
    mei, _ = member_client("mei@example.com", "Mei Lin")
    bo, _ = member_client("bo@example.com", "Bo Chen")
    path = pairing_path(screen)
    page = mei.get(path)
    done = mei.post(path, data={"answer": "yes", "csrf_token": csrf_from(page.text)}).headers["Location"]
    assert bo.get(done).status_code == 404


# ---- staff -----------------------------------------------------------------------------


def test_admin_registers_a_kiosk_sees_its_token_once_and_revokes_it(signed_in, store, db):
    client = signed_in("admin")
    page = client.get("/staff/kiosks")
    assert page.status_code == 200 and "No kiosks yet" in page.text
    created = client.post(
        "/staff/kiosks",
        data={"location": store.code, "name": "Kiosk 3", "number": "", "csrf_token": csrf_from(page.text)},
    )
    assert created.status_code == 200
    token = re.search(r"<code class=\"secret\" data-token>(osd_[^<]+)</code>", created.text).group(1)
    device = services.verify_device_token(token)
    assert device is not None and device.number == 3
    listed = client.get("/staff/kiosks")
    assert token not in listed.text and device.token_prefix in listed.text and "kiosk 3" in listed.text
    revoked = client.post(f"/staff/kiosks/{device.token_prefix}/revoke", data={"csrf_token": csrf_from(listed.text)})
    assert revoked.status_code == 302
    db.session.rollback()
    assert services.verify_device_token(token) is None
    assert "Kiosks" in client.get("/staff/").text


def test_clerks_cannot_manage_kiosks(signed_in):
    client = signed_in("clerk")
    assert client.get("/staff/kiosks").status_code == 403
    assert 'href="/staff/kiosks"' not in client.get("/staff/").text


def test_cli_creates_lists_and_revokes_devices(runner, store, db):
    created = runner.invoke(args=["devices", "create", "--location", "sh-pudong", "--name", "Kiosk 3"])
    assert created.exit_code == 0, created.output
    token = created.output.strip().splitlines()[-1]
    assert token.startswith("osd_")
    device = services.verify_device_token(token)
    assert device.number == 3 and device.location.code == "SH-PUDONG"
    listed = runner.invoke(args=["devices", "list"])
    assert device.token_prefix in listed.output and "kiosk 3" in listed.output and token not in listed.output
    revoked = runner.invoke(args=["devices", "revoke", device.token_prefix])
    assert revoked.exit_code == 0
    db.session.rollback()
    assert services.verify_device_token(token) is None
    unknown = runner.invoke(args=["devices", "create", "--location", "NOPE", "--name", "Kiosk 1"])
    assert unknown.exit_code != 0 and "NOPE" in unknown.output
