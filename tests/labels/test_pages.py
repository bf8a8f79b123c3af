"""Staff label pages: print with progress, the reprint list, a new code for a lost label."""

from __future__ import annotations

import time

from tests.conftest import csrf_from


def _wait(client, status_url):
    for _ in range(100):
        job = client.get(status_url).json
        if job["status"] in ("done", "failed"):
            return job
        time.sleep(0.1)
    raise AssertionError("job did not finish")


def test_print_page_makes_a_pdf_job(jobs_worker, signed_in, make_location, make_product):
    store = make_location()
    product = make_product()
    client = signed_in("clerk")
    page = client.get(f"/staff/labels?location={store.code}&sku={product.sku}")
    assert page.status_code == 200 and "checked" in page.text
    response = client.post(
        "/staff/labels",
        data={"location": store.code, "format": "a4", "sku": [product.sku], "csrf_token": csrf_from(page.text)},
    )
    assert response.status_code == 302
    job_page = client.get(response.headers["Location"])
    job = _wait(client, job_page.text.split('data-status-url="')[1].split('"')[0])
    assert job["status"] == "done" and job["result"]["labels"] == 1
    assert client.get(job["file_url"]).data.startswith(b"%PDF")


def test_reprint_list_after_price_change(jobs_worker, signed_in, make_location, make_product, client, db):
    from app.catalog import services as catalog
    from app.db import begin_write
    from app.labels import services as labels

    store = make_location()
    product = make_product(name="Teapot")
    begin_write(db.session)  # the worker publishes events meanwhile: write first, as requests do
    labels.render_now(labels.labels_to_print(store.code, None), "a4")
    db.session.commit()
    staff = signed_in("clerk")
    assert "Every printed label is up to date" in staff.get("/staff/labels/reprint").text
    begin_write(db.session)
    catalog.update_product(product, price_amount=99)
    db.session.commit()
    page = staff.get(f"/staff/labels/reprint?location={store.code}")
    assert "Teapot" in page.text and "1 / 2" in page.text
    response = staff.post(
        "/staff/labels/reprint", data={"location": store.code, "format": "a4", "csrf_token": csrf_from(page.text)}
    )
    job_page = staff.get(response.headers["Location"])
    assert _wait(staff, job_page.text.split('data-status-url="')[1].split('"')[0])["status"] == "done"
    assert "Every printed label is up to date" in staff.get("/staff/labels/reprint").text


def test_new_code_for_a_lost_label(signed_in, make_location, make_product, client):
    make_location()
    product = make_product()
    staff = signed_in("clerk")
    page = staff.get(f"/staff/products/{product.sku}")
    old = page.text.split('data-code="')[1].split('"')[0]
    response = staff.post(
        f"/staff/labels/{old}/replace", data={"csrf_token": csrf_from(page.text)}, follow_redirects=True
    )
    assert f"Label {old} retired" in response.text
    assert client.get(f"/q/{old}").status_code == 302
