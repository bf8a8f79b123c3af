"""Deliveries to a real HTTP receiver: signatures, back-off, order, rotation, 410, the address guard."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from standardwebhooks import Webhook
from standardwebhooks.webhooks import WebhookVerificationError

from app.db import utcnow
from app.errors import DomainError
from app.webhooks import delivery, services
from app.webhooks.models import WebhookDelivery, WebhookEndpoint


def _deliveries(db):
    db.session.rollback()
    return list(db.session.scalars(db.select(WebhookDelivery).order_by(WebhookDelivery.id)))


def test_retried_with_back_off_until_acknowledged(db, receiver, make_endpoint, publish):
    endpoint = make_endpoint()
    secret = endpoint.secret
    receiver.failures = 3
    first = publish("order.paid", "order:SH-1", {"number": "SH-1", "total": 1200})
    second = publish("stock.changed", "stock:SKU-1@STORE-1", {"sku": "SKU-1", "on_hand": 4})
    t0 = utcnow()

    assert delivery.deliver_due(now=t0) == 2
    assert delivery.deliver_due(now=t0 + timedelta(seconds=4)) == 0  # not due before its back-off ends
    t = t0
    for wait in (timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30)):
        t += wait + timedelta(seconds=1)
        assert delivery.deliver_due(now=t) == 2

    rows = _deliveries(db)
    assert [(d.status, d.attempts, d.last_status_code) for d in rows] == [("succeeded", 4, 200)] * 2
    assert rows[0].last_response == "ok thanks"
    assert delivery.deliver_due(now=t + timedelta(days=4)) == 0  # nothing more to send
    assert receiver.acknowledged() == {first: 1, second: 1}
    assert len(receiver.requests) == 8
    for request in receiver.requests:
        payload = Webhook(secret).verify(request.body, request.headers)  # raises unless the signature is right
        assert request.headers["webhook-signature"].startswith("v1,")
    bodies = {json.loads(r.body)["id"]: json.loads(r.body) for r in receiver.requests}
    assert bodies[first]["type"] == "order.paid"
    assert bodies[first]["data"]["data"] == {"number": "SH-1", "total": 1200}
    assert bodies[second]["data"]["resource"] == "stock:SKU-1@STORE-1"
    assert payload["id"] == receiver.requests[-1].headers["webhook-id"]


def test_tampered_body_and_stale_timestamp_do_not_verify(db, receiver, make_endpoint, publish):
    endpoint = make_endpoint()
    publish()
    delivery.deliver_due()
    got = receiver.requests[0]
    wh = Webhook(endpoint.secret)
    wh.verify(got.body, got.headers)

    tampered = got.body.replace(b"SH-1", b"SH-2")
    with pytest.raises(WebhookVerificationError):
        wh.verify(tampered, got.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(services.new_secret()).verify(got.body, got.headers)

    # The same message signed ten minutes ago: a replay the receiver must refuse.
    attempt = delivery.Attempt(1, 1, receiver.url, got.headers["webhook-id"], got.body, (endpoint.secret,))
    stale = delivery.sign(attempt, utcnow() - timedelta(minutes=10))
    with pytest.raises(WebhookVerificationError, match="too old"):
        wh.verify(got.body, stale)


def test_gone_disables_the_endpoint_at_once(db, client, admin_headers, receiver, make_endpoint, publish):
    make_endpoint()
    receiver.failures, receiver.fail_status = 100, 410
    publish()
    assert delivery.deliver_due() == 1

    [row] = _deliveries(db)
    assert (row.status, row.last_status_code) == ("failed", 410)
    endpoint = db.session.get(WebhookEndpoint, row.endpoint_id)
    assert not endpoint.enabled
    assert "410 Gone" in endpoint.disabled_reason
    publish(resource="order:SH-2")
    assert len(_deliveries(db)) == 1  # a disabled endpoint gets no new deliveries
    assert delivery.deliver_due(now=utcnow() + timedelta(days=1)) == 0
    listed = client.get("/api/v1/webhooks", headers=admin_headers).get_json()
    assert listed["items"][0]["enabled"] is False
    assert "410 Gone" in listed["notices"][0]


def test_one_resource_keeps_its_order(db, receiver, make_endpoint, publish):
    make_endpoint()
    receiver.failures = 1  # every event's first attempt fails
    paid = publish("order.paid", "order:SH-1")
    cancelled = publish("order.cancelled", "order:SH-1")
    other = publish("order.paid", "order:SH-9")
    t0 = utcnow()

    # The second event of SH-1 waits behind the first, which failed; SH-9 does not wait.
    assert delivery.deliver_due(now=t0) == 2
    assert [r.headers["webhook-id"] for r in receiver.requests] == [paid, other]
    assert delivery.deliver_due(now=t0 + timedelta(seconds=1)) == 0
    assert delivery.deliver_due(now=t0 + timedelta(seconds=6)) == 2  # SH-1's first again, SH-9's again
    assert delivery.deliver_due(now=t0 + timedelta(seconds=7)) == 1  # only now SH-1's second
    assert delivery.deliver_due(now=t0 + timedelta(seconds=13)) == 1
    ids = [r.headers["webhook-id"] for r in receiver.requests]
    assert ids.index(cancelled) > max(i for i, x in enumerate(ids) if x == paid)
    assert receiver.acknowledged() == {paid: 1, cancelled: 1, other: 1}


def test_rotation_signs_with_both_secrets_for_a_day(db, receiver, make_endpoint, publish):
    endpoint = make_endpoint()
    old = endpoint.secret
    t0 = utcnow()
    services.rotate_secret(endpoint.id, now=t0)
    db.session.commit()
    new = db.session.get(WebhookEndpoint, endpoint.id).secret
    assert new != old and new.startswith("whsec_")

    publish(resource="order:SH-1")
    assert delivery.deliver_due(now=t0 + timedelta(hours=23)) == 1
    during = receiver.requests[-1]
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    Webhook(old).verify(during.body, during.headers)
    Webhook(new).verify(during.body, during.headers)

    publish(resource="order:SH-2")
    assert delivery.deliver_due(now=t0 + timedelta(hours=25)) == 1
    after = receiver.requests[-1]
    Webhook(new).verify(after.body, after.headers)
    with pytest.raises(WebhookVerificationError):
        Webhook(old).verify(after.body, after.headers)


def test_three_days_of_failures_fail_the_delivery_and_disable_the_endpoint(
    db, client, signed_in, receiver, make_endpoint, publish
):
    make_endpoint()
    receiver.failures = 1000
    publish()
    t = utcnow()
    assert delivery.deliver_due(now=t) == 1
    for wait in delivery.RETRY_DELAYS:
        t += wait
        assert delivery.deliver_due(now=t) == 1
    [row] = _deliveries(db)
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", delivery.MAX_ATTEMPTS, None)
    assert len(receiver.requests) == 10
    assert row.last_response.startswith("receiver says no") and len(row.last_response) == 500
    endpoint = db.session.get(WebhookEndpoint, row.endpoint_id)
    assert not endpoint.enabled and "three days" in endpoint.disabled_reason

    page = signed_in("admin").get("/staff/webhooks")
    assert "was disabled: Every delivery failed since" in page.text


def test_private_addresses_are_refused_unless_allowed(app, db, receiver, make_endpoint, publish):
    endpoint = make_endpoint()  # the tests allow private addresses (TestConfig)
    app.config["WEBHOOK_ALLOW_PRIVATE"] = False
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://10.1.2.3/", "http://[::1]/",
                "http://169.254.169.254/latest/meta-data", "http://192.168.0.10/", "http://224.0.0.1/",
                "http://0.0.0.0/", "http://[::ffff:127.0.0.1]/"):  # fmt: skip
        with pytest.raises(DomainError) as refused:
            services.create_endpoint(url)
        assert refused.value.code == "private_url", url
    for url in ("ftp://example.com/x", "file:///etc/passwd", "http:///nohost"):
        with pytest.raises(DomainError, match="http:// or https://"):
            services.create_endpoint(url)
    assert services.create_endpoint("https://93.184.215.14/hooks").url == "https://93.184.215.14/hooks"
    db.session.rollback()

    # Checked again when sending: the saved endpoint now points at a refused address.
    publish()
    assert delivery.deliver_due() == 1
    [row] = _deliveries(db)
    assert receiver.requests == []
    assert row.status == "pending" and "private or local address" in row.last_error
    assert db.session.get(WebhookEndpoint, endpoint.id).failing_since is not None


def test_endpoint_events_filter(db, receiver, make_endpoint, publish):
    make_endpoint(events=["stock.changed"])
    publish("order.paid", "order:SH-1")
    stock = publish("stock.changed", "stock:SKU-1@STORE-1")
    assert delivery.deliver_due() == 1
    assert [r.headers["webhook-id"] for r in receiver.requests] == [stock]


def test_a_claim_whose_worker_died_is_attempted_again_after_its_lease(app, db, receiver, make_endpoint, publish):
    make_endpoint()
    uid = publish()
    t0 = utcnow()
    [claimed] = delivery.claim_due(now=t0)  # ...and the worker is killed before sending
    assert delivery.deliver_due(now=t0 + timedelta(seconds=5)) == 0  # another worker leaves the lease alone
    lease = timedelta(seconds=app.config["WEBHOOK_TIMEOUT_SECONDS"]) + delivery.LEASE_MARGIN
    assert delivery.deliver_due(now=t0 + lease) == 1
    [row] = _deliveries(db)
    assert (row.status, row.attempts) == ("succeeded", 2)
    assert receiver.acknowledged() == {uid: 1}
    # The dead worker's late answer, were it to arrive, changes nothing.
    delivery.record(claimed, delivery.Outcome(500, "late", 1, None))
    assert _deliveries(db)[0].status == "succeeded"
