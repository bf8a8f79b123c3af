"""Jobs run by a separate worker process: progress seen from the web process, and a worker killed mid-job."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from app.jobs.models import Job
from app.labels.models import Label
from tests.jobs.conftest import ended, wait_job

pytestmark = pytest.mark.slow

LABELS = 3000  # a thermal PDF of this many takes a worker a few seconds
FAST_BEAT = {"JOBS_HEARTBEAT_SECONDS": "0.1", "JOBS_STALE_SECONDS": "2", "JOBS_REAP_SECONDS": "1"}


def _start_print(client, clerk_headers, store) -> dict:
    response = client.post(
        "/api/v1/labels", json={"location": store.code, "format": "thermal-50x30"}, headers=clerk_headers
    )
    assert response.status_code == 202, response.json
    assert response.json["status"] == "queued" and response.json["percent"] == 0
    return response.json


def _running_midway(job: dict) -> bool:
    return ended(job) or (job["status"] == "running" and 0 < job["percent"] < 100)


def test_progress_of_a_job_in_another_process_shows_here(
    app, client, clerk_headers, store_with_labels, worker_process, db
):
    store = store_with_labels(LABELS)
    job = _start_print(client, clerk_headers, store)
    worker_process(**FAST_BEAT)

    midway = wait_job(client, job["status_url"], clerk_headers, _running_midway)
    assert midway["status"] == "running", "the job ended before this process saw any progress"
    assert 0 < midway["done"] < LABELS and midway["total"] == LABELS

    done = wait_job(client, job["status_url"], clerk_headers, ended)
    assert done["status"] == "done" and done["percent"] == 100, done
    assert done["result"] == {"labels": LABELS, "pages": LABELS, "format": "thermal-50x30"}
    pdf = client.get(done["file_url"], headers=clerk_headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF") and pdf.data.count(b"/Type /Page\n") == LABELS
    # The labels count as printed at their current version.
    db.session.rollback()
    versions = db.session.execute(select(Label.printed_version, Label.version).where(Label.location_id == store.id))
    assert {printed == current for printed, current in versions} == {True}


def test_a_worker_killed_mid_job_leaves_it_to_the_next_worker(
    app, client, clerk_headers, store_with_labels, worker_process, db
):
    store = store_with_labels(LABELS)
    job = _start_print(client, clerk_headers, store)
    first = worker_process(**FAST_BEAT)
    midway = wait_job(client, job["status_url"], clerk_headers, _running_midway)
    assert midway["status"] == "running"
    first.kill()

    # Nobody runs it now: it says "running" until a worker notices the silence.
    assert client.get(job["status_url"], headers=clerk_headers).json["status"] == "running"
    worker_process(**FAST_BEAT)
    done = wait_job(client, job["status_url"], clerk_headers, ended)
    assert done["status"] == "done" and done["percent"] == 100, done
    assert done["result"]["labels"] == LABELS
    assert client.get(done["file_url"], headers=clerk_headers).data.count(b"/Type /Page\n") == LABELS
    db.session.rollback()
    assert db.session.scalar(select(Job.attempts).where(Job.id == job["id"])) == 1


def test_a_job_whose_workers_keep_dying_ends_failed_with_a_reason(
    app, client, clerk_headers, store_with_labels, worker_process
):
    store = store_with_labels(LABELS)
    job = _start_print(client, clerk_headers, store)
    first = worker_process(**FAST_BEAT, JOBS_MAX_ATTEMPTS="1")
    assert wait_job(client, job["status_url"], clerk_headers, _running_midway)["status"] == "running"
    first.kill()

    worker_process(**FAST_BEAT, JOBS_MAX_ATTEMPTS="1")
    failed = wait_job(client, job["status_url"], clerk_headers, ended)
    assert failed["status"] == "failed" and failed["file_url"] is None
    assert "worker stopped" in failed["message"] and "nothing was written" in failed["message"]


def test_an_import_killed_mid_run_is_rolled_back_and_run_again(app, client, admin_headers, worker_process, db):
    from app.catalog.models import Product
    from tests.jobs.conftest import product_csv

    app.config["IMPORT_SYNC_LIMIT"] = 10
    rows = 6000
    response = client.post(
        "/api/v1/products/import",
        data=product_csv(rows, "IMP").encode(),
        content_type="text/csv",
        headers=admin_headers,
    )
    assert response.status_code == 202, response.json
    job = response.json
    first = worker_process(**FAST_BEAT)
    midway = wait_job(client, job["status_url"], admin_headers, _running_midway)
    assert midway["status"] == "running"
    first.kill()
    db.session.rollback()
    assert db.session.scalars(select(Product.sku)).all() == [], "a killed import wrote something"

    worker_process(**FAST_BEAT)
    done = wait_job(client, job["status_url"], admin_headers, ended, timeout=120)
    assert done["status"] == "done" and done["result"]["created"] == rows, done
    db.session.rollback()
    assert len(db.session.scalars(select(Product.sku)).all()) == rows
