"""The kiosk API: device credentials, sessions, pairing codes, identifying a member."""

from __future__ import annotations

import pytest

from app.kiosks import services
from app.members import codes
from app.scans import services as scans

# Every rule here holds on SQLite and on PostgreSQL.
pytestmark = pytest.mark.parametrize(
    "app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def test_a_kiosk_starts_a_session_and_reads_it_back(client, make_device):
    device, token = make_device()
    assert client.get("/api/v1/kiosk/sessions/current", headers=bearer(token)).status_code == 404
    started = client.post("/api/v1/kiosk/sessions", headers=bearer(token))
    assert started.status_code == 201, started.json
    assert started.json["kiosk"] == "kiosk 3" and started.json["location"] == "SH-PUDONG"
    assert started.json["member"] is None and started.json["key"].startswith("kiosk-")
    current = client.get("/api/v1/kiosk/sessions/current", headers=bearer(token))
    assert current.json["id"] == started.json["id"]
    assert client.post("/api/v1/kiosk/sessions/current/end", headers=bearer(token)).status_code == 204
    assert client.get("/api/v1/kiosk/sessions/current", headers=bearer(token)).status_code == 404


def test_pairing_code_is_a_url_on_this_site_with_its_qr(client, make_device):
    _, token = make_device()
    response = client.post("/api/v1/kiosk/pairing", headers=bearer(token))
    assert response.status_code == 201, response.json
    assert response.json["url"].startswith("http://shop.test/pair/")
    assert response.json["svg"].startswith("<svg") and 0 < response.json["renew_in"] < 120
    again = client.post("/api/v1/kiosk/pairing", headers=bearer(token)).json
    assert again["url"] != response.json["url"]


def test_kiosk_identifies_a_member_by_code_and_earlier_scans_join(client, make_device, make_member, db):
    device, token = make_device()
    kiosk_session = client.post("/api/v1/kiosk/sessions", headers=bearer(token)).json
    scan = scans.record_scan("A1B2C3", "kiosk", shopper_session=kiosk_session["key"], device=device.token_prefix)
    db.session.commit()
    member = make_member(name="Mei Lin")
    response = client.post(
        "/api/v1/kiosk/identify", json={"code": codes.codes_ahead(member)[0].code}, headers=bearer(token)
    )
    assert response.status_code == 200, response.json
    assert response.json["member"]["first_name"] == "Mei"
    assert "identifiers" not in response.json["member"]  # a public screen needs no e-mail or phone
    assert response.json["session"]["id"] == kiosk_session["id"]
    assert response.json["session"]["identified_by"] == "member_code"
    db.session.rollback()
    assert db.session.get(type(scan), scan.id).member_id == member.id


def test_identify_refuses_used_and_bad_codes(client, make_device, make_member):
    _, token = make_device()
    code = codes.codes_ahead(make_member())[0].code
    assert client.post("/api/v1/kiosk/identify", json={"code": code}, headers=bearer(token)).status_code == 200
    used = client.post("/api/v1/kiosk/identify", json={"code": code}, headers=bearer(token))
    assert used.status_code == 409 and used.json["error"]["code"] == "member_code_used"
    bad = client.post("/api/v1/kiosk/identify", json={"code": "HELLO"}, headers=bearer(token))
    assert bad.status_code == 422 and bad.json["error"]["code"] == "invalid_member_code"
    missing = client.post("/api/v1/kiosk/identify", json={}, headers=bearer(token))
    assert missing.status_code == 422


def test_device_credentials_redeem_member_codes(client, make_device, make_member):
    _, token = make_device()
    member = make_member(name="Mei Lin")
    response = client.post(
        "/api/v1/member-codes/redeem", json={"code": codes.codes_ahead(member)[0].code}, headers=bearer(token)
    )
    assert response.status_code == 200, response.json
    assert response.json["member"]["id"] == member.id


def test_revoked_device_token_gets_401(client, make_device, db):
    device, token = make_device()
    assert client.post("/api/v1/kiosk/sessions", headers=bearer(token)).status_code == 201
    services.revoke_device(device.token_prefix)
    db.session.commit()
    for method, path in [("post", "/api/v1/kiosk/sessions"), ("post", "/api/v1/member-codes/redeem")]:
        response = getattr(client, method)(path, json={"code": "MC-1-1-AAAAAAAAAA"}, headers=bearer(token))
        assert response.status_code == 401, path
        assert response.json["error"]["code"] == "invalid_token"


def test_kiosk_endpoints_are_for_devices_only(client, make_device, admin_headers):
    _, token = make_device()
    assert client.post("/api/v1/kiosk/pairing").status_code == 401
    forged = client.post("/api/v1/kiosk/pairing", headers=bearer("osd_deadbeef_nothing"))
    assert forged.status_code == 401
    staff_key = client.post("/api/v1/kiosk/pairing", headers=admin_headers)
    assert staff_key.status_code == 403 and staff_key.json["error"]["code"] == "device_only"


def test_a_device_is_not_a_clerk(client, make_device):
    _, token = make_device()
    response = client.get("/api/v1/labels", headers=bearer(token))
    assert response.status_code == 403


def test_kiosk_endpoints_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/kiosk/sessions", "/api/v1/kiosk/pairing", "/api/v1/kiosk/identify"} <= set(paths)
