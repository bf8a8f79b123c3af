"""The job runner in this process: periodic work, the outbox publisher, and writers competing with a job."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import select

from app.config import engine_options
from app.db import begin_write, utcnow
from app.extensions import db as _db
from app.jobs.queue import enqueue_frequent, huey, start_in_process
from tests.conftest import make_app, wait_for
from tests.jobs.conftest import ended, product_csv, wait_job


def test_the_runner_releases_an_expired_hold(app, db, make_location, make_product):
    from app.stock import reservations, services
    from app.stock.models import StockReservation

    app.config["HOLDS_SWEEP_SECONDS"] = 1
    product, store = make_product(), make_location()
    begin_write(db.session)
    services.record_movement(product, store, "receive", 3)
    held = reservations.hold(product, store, 2)
    held.expires_at = utcnow() - timedelta(seconds=1)
    db.session.commit()
    assert services.level_of(product, store).available == 1
    db.session.rollback()

    consumer = start_in_process(app, workers=1)
    try:

        def released():
            db.session.rollback()
            return db.session.get(StockReservation, held.id).status == "expired"

        wait_for(released, what="the hold to be released")
    finally:
        consumer.stop(graceful=True)
    db.session.rollback()
    assert services.level_of(product, store).available == 3


def test_two_consumers_enqueue_a_frequent_task_once_per_slot(app):
    from app.stock.tasks import release_expired_holds

    huey.storage.flush_queue()
    name = release_expired_holds.task_class.__name__
    first, second = {}, {}  # what each consumer's scheduler already tried
    while time.time() % app.config["HOLDS_SWEEP_SECONDS"] > 4:  # not at the edge of a slot
        time.sleep(0.1)
    assert enqueue_frequent(first) >= 1
    assert enqueue_frequent(second) == 0
    queued = [task for task in huey.pending() if type(task).__name__ == name]
    assert len(queued) == 1


def test_events_are_published_soon_after_their_commit(app, jobs_worker, client, admin_headers, make_product):
    make_product(sku="TEA-1")

    def published():
        feed = client.get("/api/v1/events?types=product.created", headers=admin_headers).json
        return [event for event in feed["items"] if event["resource"] == "product:TEA-1"]

    event = wait_for(published, what="product.created to be published")[0]
    assert event["seq"] >= 1 and event["data"]["sku"] == "TEA-1"


@pytest.fixture
def impatient_app(tmp_path):
    """The app on SQLite with a 1 s wait for the write lock: another writer makes it see "database is locked"."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    application = make_app(url, tmp_path / "instance", SQLALCHEMY_ENGINE_OPTIONS=engine_options(url, 1))
    with application.app_context():
        yield application
        _db.session.remove()
        _db.engine.dispose()


def test_an_import_job_waits_out_a_stock_write_that_holds_the_lock(impatient_app, tmp_path):
    """A stock write holds SQLite's write lock longer than the job's wait: the job retries, both succeed."""
    from app.catalog import services as catalog
    from app.catalog.models import Product
    from app.staff import services as staff
    from app.stock import services as stock

    app = impatient_app
    app.config["IMPORT_SYNC_LIMIT"] = 5
    begin_write(_db.session)
    _, key = staff.create_api_key("importer", "admin")
    catalog.create_location(code="S1", name="Store", kind="store", address="1 Main St", timezone="UTC")
    shelf = catalog.create_product(sku="SHELF-1", name="On the shelf", price_amount=100, currency="CNY")
    _db.session.commit()
    shelf_id = shelf.id
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    huey.storage.flush_queue()  # the job is the only task: nothing else absorbs the wait for the lock
    job = client.post(
        "/api/v1/products/import", data=product_csv(300).encode(), content_type="text/csv", headers=headers
    ).json
    assert job["status"] == "queued"

    # Another process's stock write (its own app, waiting as long as it takes) holds the lock for 3 s.
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], tmp_path / "instance")
    holding, wrote = threading.Event(), {}

    def stock_write():
        with other.app_context():
            begin_write(_db.session)
            wrote["movement"] = stock.record_movement(
                _db.session.get(Product, shelf_id), catalog.get_location("S1"), "receive", 5
            ).id
            holding.set()
            time.sleep(3)
            _db.session.commit()

    writer = threading.Thread(target=stock_write)
    writer.start()
    assert holding.wait(10)
    consumer = start_in_process(app, workers=1, periodic=False)
    try:
        done = wait_job(client, job["status_url"], headers, ended, timeout=60)
    finally:
        consumer.stop(graceful=True)
        writer.join(10)
    assert done["status"] == "done", done
    assert done["result"]["created"] == 300 and done["result"]["written"] is True
    _db.session.rollback()
    assert (
        wrote["movement"]
        and stock.level_of(_db.session.get(Product, shelf_id), catalog.get_location("S1")).on_hand == 5
    )
    assert len(_db.session.scalars(select(Product.sku).where(Product.sku.like("P-%"))).all()) == 300


@pytest.mark.postgres
@pytest.mark.redis
def test_on_postgresql_and_redis_a_label_job_runs_with_progress_in_redis(pg_schema_url, tmp_path):
    """The production shape: PostgreSQL for the data, the queue and the progress in Redis."""
    import uuid

    from app.catalog import services as catalog
    from app.jobs import progress
    from app.staff import services as staff
    from tests.conftest import need_redis

    redis_url = need_redis()
    queue = f"test-{uuid.uuid4().hex[:8]}"
    app = make_app(
        pg_schema_url, tmp_path / "instance", JOBS_REDIS_URL=redis_url, JOBS_BACKEND="redis", JOBS_QUEUE=queue
    )
    app.config["LABELS_SYNC_LIMIT"] = 5
    try:
        with app.app_context():
            assert type(huey.storage).__name__ == "PriorityRedisStorage"
            begin_write(_db.session)
            _, key = staff.create_api_key("clerk", "clerk")
            catalog.create_location(code="PG1", name="Store", kind="store", address="1 Main St", timezone="UTC")
            for n in range(40):
                catalog.create_product(sku=f"PG-{n}", name=f"Product {n}", price_amount=100 + n, currency="CNY")
            _db.session.commit()
            headers = {"Authorization": f"Bearer {key}"}
            client = app.test_client()
            job = client.post("/api/v1/labels", json={"location": "PG1"}, headers=headers).json
            assert job["status"] == "queued"
            # What a worker writes to Redis is what every web process shows.
            progress.write(job["id"], 7, 40, 0)
            assert progress.read(job["id"], 0).done == 7
            consumer = start_in_process(app, workers=2)
            try:
                done = wait_job(client, job["status_url"], headers, ended)
            finally:
                consumer.stop(graceful=True)
            assert done["status"] == "done" and done["percent"] == 100, done
            assert done["result"] == {"labels": 40, "pages": 2, "format": "a4"}
            assert client.get(done["file_url"], headers=headers).data.startswith(b"%PDF")
            assert progress.read(job["id"], 0) is None  # the progress is forgotten once the job ended
            _db.session.remove()
            _db.engine.dispose()
    finally:
        huey.storage.flush_all()
