"""Socket.IO: kiosk and member rooms are joined by the server after checking who is connected."""

from __future__ import annotations

from app.extensions import socketio
from app.kiosks import services
from app.members import codes
from tests.conftest import csrf_from


def names(sio) -> list[tuple[str, dict]]:
    return [(r["name"], r["args"][0]) for r in sio.get_received("/live")]


def test_kiosk_room_only_with_device_credentials(app, client, make_device, kiosk_screen):
    anonymous = socketio.test_client(app, namespace="/live", flask_test_client=client)
    refused = anonymous.emit("kiosk:subscribe", {}, namespace="/live", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "unauthorized"
    forged = anonymous.emit("kiosk:subscribe", {"token": "osd_x_y"}, namespace="/live", callback=True)
    assert forged["ok"] is False

    screen, device, token = kiosk_screen()
    by_cookie = socketio.test_client(app, namespace="/live", flask_test_client=screen)
    ack = by_cookie.emit("kiosk:subscribe", {}, namespace="/live", callback=True)
    assert ack["ok"] is True and ack["session"]["kiosk"] == "kiosk 3"
    by_token = socketio.test_client(app, namespace="/live")
    assert by_token.emit("kiosk:subscribe", {"token": token}, namespace="/live", callback=True)["ok"] is True

    # Identify a member: the kiosk's screens are greeted, the anonymous socket hears nothing.
    for sio in (anonymous, by_cookie, by_token):
        sio.get_received("/live")
    code = codes.codes_ahead(_member(app))[0].code
    response = client.post("/api/v1/kiosk/identify", json={"code": code}, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    for sio in (by_cookie, by_token):
        greeted = [args for name, args in names(sio) if name == "kiosk:identified"]
        assert greeted == [{"session": ack["session"]["id"], "first_name": "Mei", "by": "member_code"}]
    assert names(anonymous) == []


def test_a_revoked_kiosk_cannot_subscribe(app, kiosk_screen, db):
    screen, device, token = kiosk_screen()
    services.revoke_device(device.token_prefix)
    db.session.commit()
    sio = socketio.test_client(app, namespace="/live", flask_test_client=screen)
    assert sio.emit("kiosk:subscribe", {}, namespace="/live", callback=True)["ok"] is False
    assert sio.emit("kiosk:subscribe", {"token": token}, namespace="/live", callback=True)["ok"] is False


def test_member_room_only_for_a_signed_in_member(app, client, member_client, kiosk_screen):
    stranger = socketio.test_client(app, namespace="/live", flask_test_client=client)
    refused = stranger.emit("member:subscribe", {"member": 1}, namespace="/live", callback=True)
    assert refused["ok"] is False and refused["error"]["code"] == "not_signed_in"

    phone, member = member_client()
    sio = socketio.test_client(app, namespace="/live", flask_test_client=phone)
    assert sio.emit("member:subscribe", {}, namespace="/live", callback=True) == {"ok": True, "member": member.id}

    screen, _, _ = kiosk_screen()
    page = screen.get("/kiosk").text
    path = page.split('data-pairing-url="http://shop.test', 1)[1].split('"', 1)[0]
    confirm = phone.get(path)
    phone.post(path, data={"answer": "yes", "csrf_token": csrf_from(confirm.text)})
    assert ("kiosk:paired", {"kiosk": "kiosk 3", "number": 3, "store": "Oneshelf Pudong"}) in names(sio)
    assert names(stranger) == []


def test_a_signed_out_phone_cannot_join_its_old_member_room(app, member_client):
    phone, _ = member_client()
    sio = socketio.test_client(app, namespace="/live", flask_test_client=phone)
    assert phone.delete("/api/v1/session", headers={"X-CSRFToken": _csrf(phone)}).status_code == 204
    assert phone.get("/api/v1/members/me").status_code == 401
    assert sio.emit("member:subscribe", {}, namespace="/live", callback=True)["ok"] is False


def _member(app):
    from app.extensions import db
    from app.members import services as members

    member = members.sign_up("mei.events@example.com", "long-password", "Mei Lin")
    db.session.commit()
    return member


def _csrf(client) -> str:
    return csrf_from(client.get("/account/signin").text)
