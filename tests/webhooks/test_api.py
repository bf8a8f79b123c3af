"""The webhooks JSON API: admins only, clear 422s, the secret shown once, the delivery log."""

from __future__ import annotations

from datetime import timedelta

from standardwebhooks import Webhook

from app.db import utcnow
from app.webhooks import delivery


def test_register_list_change_delete(client, admin_headers, receiver):
    created = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": ["order.paid", "stock.changed"], "description": "ERP"},
        headers=admin_headers,
    )
    assert created.status_code == 201, created.text
    body = created.get_json()
    assert body["secret"].startswith("whsec_") and body["events"] == ["order.paid", "stock.changed"]
    Webhook(body["secret"])  # a secret the spec's libraries accept
    hook = f"/api/v1/webhooks/{body['id']}"

    one = client.get(hook, headers=admin_headers).get_json()
    assert "secret" not in one and one["enabled"] is True
    assert "secret" not in client.get("/api/v1/webhooks", headers=admin_headers).get_json()["items"][0]

    changed = client.patch(hook, json={"events": [], "description": "all of it"}, headers=admin_headers)
    assert changed.get_json()["events"] == [] and changed.get_json()["description"] == "all of it"
    off = client.patch(hook, json={"enabled": False}, headers=admin_headers).get_json()
    assert off["enabled"] is False and off["disabled_reason"] == "Disabled by an admin."
    assert client.get("/api/v1/webhooks", headers=admin_headers).get_json()["notices"] == []
    on = client.patch(hook, json={"enabled": True}, headers=admin_headers).get_json()
    assert on["enabled"] is True and on["disabled_reason"] is None and on["failing_since"] is None

    assert client.delete(hook, headers=admin_headers).status_code == 204
    gone = client.get(hook, headers=admin_headers)
    assert gone.status_code == 404 and gone.get_json()["error"]["code"] == "not_found"


def test_errors_are_clear(app, client, admin_headers, clerk_headers, receiver):
    def post(payload, headers=admin_headers):
        return client.post("/api/v1/webhooks", json=payload, headers=headers)

    unknown = post({"url": receiver.url, "events": ["order.teleported"]})
    assert unknown.status_code == 422
    assert "Unknown event type order.teleported" in unknown.get_json()["error"]["message"]
    assert post({"url": "ftp://example.com/x"}).status_code == 422
    missing = post({"events": []})
    assert missing.status_code == 422 and "url" in missing.get_json()["error"]["message"]
    assert post({"url": receiver.url}, headers=clerk_headers).status_code == 403
    assert client.get("/api/v1/webhooks").status_code == 401

    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    private = post({"url": "http://10.0.0.7/hooks"})
    assert private.status_code == 422
    assert private.get_json()["error"]["code"] == "private_url"
    assert "10.0.0.7" in private.get_json()["error"]["message"]
    assert client.patch("/api/v1/webhooks/999", json={"description": "x"}, headers=admin_headers).status_code == 404


def test_deliveries_newest_first_send_again_and_rotate(db, client, admin_headers, receiver, publish):
    hook = client.post("/api/v1/webhooks", json={"url": receiver.url}, headers=admin_headers).get_json()
    base = f"/api/v1/webhooks/{hook['id']}"
    uids = [publish(resource=f"order:SH-{n}") for n in range(3)]
    assert delivery.deliver_due() == 3

    page = client.get(f"{base}/deliveries?limit=2", headers=admin_headers).get_json()
    assert [d["event_id"] for d in page["items"]] == [uids[2], uids[1]]
    assert page["items"][0]["status"] == "succeeded" and page["items"][0]["last_status_code"] == 200
    rest = client.get(f"{base}/deliveries?limit=2&cursor={page['next_cursor']}", headers=admin_headers).get_json()
    assert [d["event_id"] for d in rest["items"]] == [uids[0]] and rest["next_cursor"] is None

    again = client.post(f"{base}/deliveries/{page['items'][0]['id']}/retry", headers=admin_headers)
    assert again.status_code == 202 and again.get_json()["status"] == "pending"
    assert delivery.deliver_due() == 1
    assert receiver.acknowledged()[uids[2]] == 2  # at least once: sent again on request
    assert client.post(f"{base}/deliveries/9999/retry", headers=admin_headers).status_code == 404

    rotated = client.post(f"{base}/rotate-secret", headers=admin_headers).get_json()
    assert rotated["secret"] != hook["secret"] and rotated["previous_secret_expires_at"]
    publish(resource="order:SH-9")
    delivery.deliver_due()
    last = receiver.requests[-1]
    Webhook(hook["secret"]).verify(last.body, last.headers)
    Webhook(rotated["secret"]).verify(last.body, last.headers)
    assert delivery.deliver_due(now=utcnow() + timedelta(days=1)) == 0
