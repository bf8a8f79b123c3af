"""The staff webhooks pages: add an endpoint, read its delivery log, send again, rotate, disable, delete."""

from __future__ import annotations

import re

from app.webhooks import delivery
from tests.conftest import csrf_from


def test_admin_adds_an_endpoint_and_reads_its_log(db, signed_in, receiver, publish):
    client = signed_in("admin")
    page = client.get("/staff/webhooks")
    assert page.status_code == 200 and "No webhook endpoints yet." in page.text
    assert "order.paid: An order was paid" in page.text  # events offered with what they mean
    added = client.post(
        "/staff/webhooks",
        data={
            "url": receiver.url,
            "description": "ERP sync",
            "events": ["order.paid"],
            "csrf_token": csrf_from(page.text),
        },
    )
    assert added.status_code == 302, added.text  # a reload of the next page adds nothing
    endpoint_link = added.headers["Location"]
    shown = client.get(endpoint_link)
    assert "not shown again" in shown.text and "ERP sync" in shown.text
    secret = re.search(r"data-secret>(whsec_[^<]+)<", shown.text).group(1)
    assert "data-secret" not in client.get(endpoint_link).text  # once only
    assert client.get("/staff/webhooks").text.count(receiver.url) == 1

    receiver.failures = 1
    uid = publish("order.paid", "order:SH-7")
    delivery.deliver_due()
    log = client.get(endpoint_link)
    assert uid in log.text and "pending" in log.text and "500" in log.text and "receiver says no" in log.text

    retry_action = re.search(r'action="(/staff/webhooks/\d+/deliveries/\d+/retry)"', log.text).group(1)
    sent = client.post(retry_action, data={"csrf_token": csrf_from(log.text)}, follow_redirects=True)
    assert "will be sent again" in sent.text
    delivery.deliver_due()
    log = client.get(endpoint_link)
    assert "succeeded" in log.text and "ok thanks" in log.text
    body = receiver.requests[-1]
    from standardwebhooks import Webhook

    Webhook(secret).verify(body.body, body.headers)

    rotated = client.post(
        f"{endpoint_link}/rotate-secret", data={"csrf_token": csrf_from(log.text)}, follow_redirects=True
    )
    new_secret = re.search(r"data-secret>(whsec_[^<]+)<", rotated.text).group(1)
    assert new_secret != secret and "old secret keeps signing" in rotated.text

    off = client.post(
        f"{endpoint_link}/enabled", data={"enabled": "0", "csrf_token": csrf_from(log.text)}, follow_redirects=True
    )
    assert "Endpoint disabled." in off.text and "Disabled by an admin." in off.text
    on = client.post(
        f"{endpoint_link}/enabled", data={"enabled": "1", "csrf_token": csrf_from(log.text)}, follow_redirects=True
    )
    assert "Endpoint enabled." in on.text

    gone = client.post(f"{endpoint_link}/delete", data={"csrf_token": csrf_from(log.text)}, follow_redirects=True)
    assert f"Endpoint {receiver.url} deleted." in gone.text and "No webhook endpoints yet." in gone.text


def test_refused_url_and_missing_csrf(app, signed_in):
    client = signed_in("admin")
    page = client.get("/staff/webhooks")
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    refused = client.post("/staff/webhooks", data={"url": "http://127.0.0.1:9/", "csrf_token": csrf_from(page.text)})
    assert refused.status_code == 422 and "private or local address" in refused.text
    assert client.post("/staff/webhooks", data={"url": "https://example.com/"}).status_code == 400


def test_clerks_do_not_see_webhooks(signed_in):
    client = signed_in("clerk")
    assert client.get("/staff/webhooks").status_code == 403
    assert "/staff/webhooks" not in client.get("/staff/").text
