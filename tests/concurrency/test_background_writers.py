"""Background work on SQLite and PostgreSQL while another client keeps writing stock: nothing fails."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import update

from app.stock.models import StockReservation
from tests.jobs.conftest import product_csv, wait_job
from tests.orders.conftest import fill_cart, shelf, store  # noqa: F401 (fixtures)

both = pytest.mark.parametrize("app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
JOBS = 20


class StockWriter:
    """A till that records a stock movement through the API, again and again, until stopped."""

    def __init__(self, app, headers: dict, sku: str, location: str):
        self.stop, self.answers = threading.Event(), []
        body = {"sku": sku, "location": location, "reason": "receive", "delta": 1}

        def run():
            client = app.test_client()
            while not self.stop.is_set():
                self.answers.append(client.post("/api/v1/stock/movements", json=body, headers=headers).status_code)

        self.thread = threading.Thread(target=run)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(30)


@both
def test_label_and_import_jobs_all_end_done_beside_a_stock_writer(
    app, client, admin_headers, clerk_headers, make_location, make_product, jobs_worker
):
    make_location(code="S1")
    product = make_product()
    for n in range(12):
        make_product(name=f"Shelf {n}")
    app.config["LABELS_SYNC_LIMIT"] = 5
    app.config["IMPORT_SYNC_LIMIT"] = 5
    with StockWriter(app, clerk_headers, product.sku, "S1") as till:
        started = []
        for n in range(JOBS):
            labels = client.post("/api/v1/labels", json={"location": "S1"}, headers=clerk_headers)
            imported = client.post(
                "/api/v1/products/import",
                data=product_csv(30, prefix=f"J{n}").encode(),
                content_type="text/csv",
                headers=admin_headers,
            )
            assert labels.status_code == imported.status_code == 202, (labels.text, imported.text)
            started += [labels.json, imported.json]
        ended = [
            wait_job(client, job["status_url"], admin_headers, lambda j: j["status"] in ("done", "failed"), 120)
            for job in started
        ]
    assert [job["status"] for job in ended] == ["done"] * 2 * JOBS, [j for j in ended if j["status"] != "done"]
    assert till.answers and set(till.answers) == {201}


@both
def test_the_holds_sweeper_beside_a_stock_writer(app, db, client, shelf, store, clerk_headers):  # noqa: F811
    from app.stock import services as stock
    from app.stock.tasks import release_expired_holds

    product, label = shelf
    sku, code = product.sku, store.code
    carts = [fill_cart(client, label) for _ in range(5)]
    db.session.execute(update(StockReservation).values(expires_at=StockReservation.created_at))
    db.session.commit()
    with StockWriter(app, clerk_headers, sku, code) as till:
        released = [release_expired_holds.call_local() for _ in range(20)]
    assert sum(released) == len(carts)
    assert till.answers and set(till.answers) == {201}
    db.session.expire_all()
    assert stock.level_of(product, store).reserved == 0
