"""The settlement API: merchants, rates, products, statements and their files, a run on the job runner."""

from __future__ import annotations

import csv
import io

from tests.conftest import csrf_from, wait_for


def test_an_admin_sets_up_a_merchant_through_the_api(client, admin_headers, clerk_headers, make_product):
    tea, cup = make_product(category="Tea"), make_product(category="Cups")
    made = client.post(
        "/api/v1/merchants",
        json={"code": "TEA", "name": "龙井茶行", "payout_account": "ICBC 6222 1", "commission_rate": 1200},
        headers=admin_headers,
    )
    assert made.status_code == 201, made.json
    merchant = made.json
    assert (merchant["settlement_days"], merchant["name"]) == (1, "龙井茶行")
    again = client.post("/api/v1/merchants", json={"code": "tea", "name": "Again"}, headers=admin_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "merchant_exists"
    rate = client.post(
        f"/api/v1/merchants/{merchant['id']}/rates", json={"rate": 800, "category": "Tea"}, headers=admin_headers
    )
    assert rate.status_code == 201 and rate.json["category"] == "tea"
    past = client.post(
        f"/api/v1/merchants/{merchant['id']}/rates",
        json={"rate": 800, "effective_from": "2020-01-01T00:00:00+00:00"},
        headers=admin_headers,
    )
    assert past.status_code == 422 and past.json["error"]["code"] == "rate_in_past"
    rates = client.get(f"/api/v1/merchants/{merchant['id']}/rates", headers=admin_headers).json["items"]
    assert [(r["category"], r["rate"]) for r in rates] == [(None, 1200), ("tea", 800)]
    put = client.put(
        f"/api/v1/merchants/{merchant['id']}/products", json={"skus": [tea.sku, cup.sku]}, headers=admin_headers
    )
    assert put.status_code == 200 and {p["sku"] for p in put.json["items"]} == {tea.sku, cup.sku}
    put = client.put(f"/api/v1/merchants/{merchant['id']}/products", json={"skus": [cup.sku]}, headers=admin_headers)
    assert [p["sku"] for p in put.json["items"]] == [cup.sku]
    unknown = client.put(f"/api/v1/merchants/{merchant['id']}/products", json={"skus": ["NOPE"]}, headers=admin_headers)
    assert unknown.status_code == 404
    assert client.get("/api/v1/merchants", headers=clerk_headers).status_code == 403


def test_a_run_on_the_job_runner_closes_statements_and_serves_their_files(
    app, db, sell, make_merchant, merchant_product, admin_headers, jobs_worker, client
):
    merchant = make_merchant(name="Tea House", rate=1000)
    tea = merchant_product(merchant, price=1234)
    sell([(tea, 3)])
    started = client.post("/api/v1/settlement-runs", json={}, headers=admin_headers)
    assert started.status_code == 202
    job = wait_for(
        lambda: (
            (j := client.get(started.json["status_url"], headers=admin_headers).json)["status"] in ("done", "failed")
            and j
        ),
        what="the settlement run",
    )
    assert job["status"] == "done" and job["result"]["statements"] == 1, job
    [statement] = client.get(f"/api/v1/merchants/{merchant.id}/statements", headers=admin_headers).json["items"]
    assert (statement["gross_sales"], statement["commission"], statement["payout"]) == (3702, 370, 3332)
    pdf = client.get(statement["pdf_url"], headers=admin_headers)
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    rows = list(
        csv.reader(io.StringIO(client.get(statement["csv_url"], headers=admin_headers).data.decode("utf-8-sig")))
    )
    assert rows[1][3] == "sale" and rows[1][9] == "3702"
    payout = client.get(f"/api/v1/payout-batches/{job['result']['batch_id']}.csv", headers=admin_headers)
    assert list(csv.DictReader(io.StringIO(payout.text)))[0]["amount_minor"] == "3332"


def test_the_admin_page_lists_merchants_and_starts_a_run(db, signed_in, make_merchant, merchant_product, sell):
    merchant = make_merchant(name="Tea House", rate=1500)
    sell([(merchant_product(merchant, price=2000), 1)])
    client = signed_in("admin")
    page = client.get("/staff/merchants")
    assert page.status_code == 200
    assert "Tea House" in page.text and "15.00%" in page.text and "CN¥2,000.00" not in page.text
    assert "CN¥20.00" in page.text  # the open cycle's sales
    run = client.post("/staff/settlement/run", data={"run-csrf_token": csrf_from(page.text)})
    assert run.status_code == 302 and "/staff/jobs/" in run.headers["Location"]
    assert "Closing settlement statements" in client.get(run.headers["Location"]).text
    client.post("/staff/logout", data={"csrf_token": csrf_from(page.text)})
    clerk_page = signed_in("clerk", email="clerk@example.com").get("/staff/merchants")
    assert clerk_page.status_code == 403 and "Tea House" not in clerk_page.text
