"""Several workers at once, and a worker killed mid-delivery: every event arrives, in order per resource."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections import defaultdict
from datetime import timedelta

import pytest

from app.db import utcnow
from app.extensions import db as _db
from app.webhooks import delivery
from app.webhooks.models import WebhookDelivery

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)


@both
def test_four_workers_send_each_event_once_in_order(app, db, receiver, make_endpoint, publish):
    make_endpoint()
    sent: dict[str, list[str]] = defaultdict(list)
    for n in range(40):
        resource = f"order:SH-{n % 5}"
        sent[resource].append(publish("order.paid", resource, {"n": n}))
    errors: list[BaseException] = []

    def worker():
        try:
            with app.app_context():
                idle = 0
                while idle < 3:  # a few empty rounds: the others may still hold older deliveries
                    idle = 0 if delivery.deliver_due(limit=3) else idle + 1
                _db.session.remove()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors, errors
    delivery.deliver_due()  # whatever the last rounds left behind
    assert receiver.acknowledged() == {uid: 1 for uids in sent.values() for uid in uids}
    got: dict[str, list[str]] = defaultdict(list)
    resource_of = {uid: r for r, uids in sent.items() for uid in uids}
    for request in receiver.requests:
        got[resource_of[request.headers["webhook-id"]]].append(request.headers["webhook-id"])
    assert got == sent


SENDER = """
import sys
from pathlib import Path
from app import create_app
from app.config import TestConfig
from app.webhooks import delivery
app = create_app(TestConfig(sys.argv[1], Path(sys.argv[2])))
with app.app_context():
    delivery.deliver_due()
"""


def test_a_worker_killed_mid_delivery_leaves_it_to_be_sent_again(app, db, tmp_path, receiver, make_endpoint, publish):
    make_endpoint()
    uid = publish()
    receiver.hold()
    worker = subprocess.Popen(
        [sys.executable, "-c", SENDER, app.config["SQLALCHEMY_DATABASE_URI"], str(tmp_path / "worker")],
        cwd=os.getcwd(),
    )
    try:
        assert receiver.arrived.wait(30), "the worker never sent"
        worker.send_signal(signal.SIGKILL)  # killed while the receiver is still answering
        worker.wait(10)
    finally:
        worker.kill()
    receiver.release()

    db.session.rollback()
    [row] = db.session.scalars(db.select(WebhookDelivery)).all()
    assert (row.status, row.attempts) == ("pending", 1)  # claimed, outcome never recorded
    assert delivery.deliver_due() == 0  # the claim's lease still runs
    lease = timedelta(seconds=app.config["WEBHOOK_TIMEOUT_SECONDS"]) + delivery.LEASE_MARGIN
    assert delivery.deliver_due(now=utcnow() + lease) == 1
    db.session.rollback()
    row = db.session.get(WebhookDelivery, row.id)
    assert (row.status, row.attempts) == ("succeeded", 2)
    # At least once: the receiver saw the event twice, under one webhook-id it can deduplicate by.
    assert [r.headers["webhook-id"] for r in receiver.requests] == [uid, uid]
