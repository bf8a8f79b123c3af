"""The production shape: an order paid on one process reaches a webhook sent by a worker in another."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from standardwebhooks.webhooks import Webhook

from app.db import begin_write
from app.extensions import db as _db
from tests.conftest import make_app, need_redis
from tests.jobs.conftest import WorkerProcess
from tests.payments.hosted import checkout_by_card

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def test_an_order_paid_here_is_delivered_by_a_worker_process_on_postgresql_and_redis(pg_schema_url, tmp_path, receiver):
    from app.catalog import services as catalog
    from app.labels import services as labels
    from app.stock import services as stock
    from app.webhooks import services as webhooks

    redis_url = need_redis()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    settings = {"JOBS_REDIS_URL": redis_url, "JOBS_BACKEND": "redis", "JOBS_QUEUE": queue}
    app = make_app(pg_schema_url, tmp_path / "instance", **settings)
    worker = None
    try:
        with app.app_context():
            begin_write(_db.session)
            store = catalog.create_location(code="PG1", name="Store", kind="store", address="1 Main St")
            product = catalog.create_product(sku="PG-TEA", name="Tea", price_amount=1200, currency="CNY")
            stock.record_movement(product, store, "receive", 5, actor="test")
            code = labels.labels_to_print(store.code, None)[0].code
            endpoint = webhooks.create_endpoint(receiver.url, ["order.paid"], "ERP")
            secret = endpoint.secret
            _db.session.commit()

            # Process B: a worker on the same database and the same Redis queue (this process runs none).
            worker = WorkerProcess(app, tmp_path / "worker.log", **settings, WEBHOOK_ALLOW_PRIVATE="1").start()
            phone = app.test_client()
            cart = phone.post("/api/v1/carts").json["id"]
            assert phone.post(f"/api/v1/carts/{cart}/lines", json={"code": code, "qty": 2}).status_code == 201
            # Paid on the card provider's page; its notification (sent from here) pays the order.
            paid = checkout_by_card(phone, cart, key=uuid.uuid4().hex)
            assert paid.status_code == 201 and paid.json["status"] == "paid", paid.json

            deadline = time.monotonic() + 60
            while not receiver.acknowledged() and time.monotonic() < deadline:
                time.sleep(0.05)
            assert len(receiver.requests) == 1, (tmp_path / "worker.log").read_text()[-3000:]
            request = receiver.requests[0]
            payload = Webhook(secret).verify(request.body, request.headers)
            assert payload["type"] == "order.paid"
            assert payload["data"]["data"]["number"] == paid.json["number"]
            assert json.loads(request.body)["data"]["data"]["total"]["amount"] == 2400
    finally:
        if worker is not None:
            worker.stop()
        with app.app_context():
            _db.session.remove()
            _db.engine.dispose()
