"""API keys limited to scopes and to locations: through the API, the CLI and the keys page."""

from __future__ import annotations

import pytest

from tests.conftest import csrf_from

# The limits are JSON columns: read back the same on both databases.
BOTH_DATABASES = pytest.mark.parametrize(
    "app", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@pytest.fixture
def two_stores(make_location, make_product, client, admin_headers):
    """Store A and store B, 10 units of one product at each (received with an unlimited admin key)."""
    product, a, b = make_product(), make_location(code="SH-A"), make_location(code="SH-B")
    for code in ("SH-A", "SH-B"):
        body = {"sku": product.sku, "location": code, "reason": "receive", "delta": 10}
        assert client.post("/api/v1/stock/movements", headers=admin_headers, json=body).status_code == 201
    return product, a, b


@pytest.fixture
def make_key(db):
    """A key made through the service; returns its Authorization header."""
    from app.staff import services

    def make(role="clerk", scopes=(), locations=()):
        _, plain = services.create_api_key("limited", role, scopes, [place.id for place in locations])
        db.session.commit()
        return {"Authorization": f"Bearer {plain}"}

    return make


def on_hand(client, headers, sku: str) -> dict[str, int]:
    rows = client.get(f"/api/v1/stock?sku={sku}", headers=headers).json["items"]
    return {row["location"]: row["on_hand"] for row in rows}


@BOTH_DATABASES
def test_a_scoped_key_calls_its_scopes_only(two_stores, client, make_key):
    product, _, _ = two_stores
    reader = make_key(scopes=["stock:read"])
    assert client.get(f"/api/v1/stock?sku={product.sku}", headers=reader).status_code == 200
    refused = client.post(
        "/api/v1/stock/movements",
        headers=reader,
        json={"sku": product.sku, "location": "SH-A", "reason": "sale", "delta": -1},
    )
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "insufficient_scope"
    assert "stock:write" in refused.json["error"]["message"]
    assert refused.json["error"]["details"] == {"scope": "stock:write"}
    assert client.get("/api/v1/products", headers=reader).json["error"]["code"] == "insufficient_scope"


def test_a_scope_never_gives_more_than_the_role(client, make_key):
    clerk = make_key(scopes=["catalog:write", "catalog:read"])
    assert client.get("/api/v1/products", headers=clerk).status_code == 200
    response = client.post(
        "/api/v1/products", headers=clerk, json={"sku": "X-1", "name": "X", "price": {"amount": 100}}
    )
    assert response.status_code == 403 and response.json["error"]["code"] == "forbidden"


def test_an_unscoped_key_still_does_what_its_role_allows(two_stores, client, clerk_headers):
    product, _, _ = two_stores
    for code in ("SH-A", "SH-B"):
        body = {"sku": product.sku, "location": code, "reason": "sale", "delta": -1}
        assert client.post("/api/v1/stock/movements", headers=clerk_headers, json=body).status_code == 201
    assert client.get("/api/v1/scans", headers=clerk_headers).status_code == 200
    assert on_hand(client, clerk_headers, product.sku) == {"SH-A": 9, "SH-B": 9}


@BOTH_DATABASES
def test_a_store_key_moves_stock_at_its_store_only(two_stores, client, make_key, admin_headers):
    product, a, _ = two_stores
    key = make_key(scopes=["stock:read", "stock:write"], locations=[a])
    sale = {"sku": product.sku, "reason": "sale", "delta": -2}
    assert client.post("/api/v1/stock/movements", headers=key, json={**sale, "location": "SH-A"}).status_code == 201
    refused = client.post("/api/v1/stock/movements", headers=key, json={**sale, "location": "sh-b"})
    assert refused.status_code == 403
    assert refused.json["error"]["code"] == "other_location" and "SH-B" in refused.json["error"]["message"]
    count = {"sku": product.sku, "location": "SH-B", "reason": "count", "counted": 3}
    assert client.post("/api/v1/stock/movements", headers=key, json=count).status_code == 403
    assert on_hand(client, admin_headers, product.sku) == {"SH-A": 8, "SH-B": 10}


@BOTH_DATABASES
def test_a_batch_with_one_row_elsewhere_writes_nothing(two_stores, client, make_key, admin_headers, db):
    product, a, _ = two_stores
    key = make_key(scopes=["stock:write"], locations=[a])
    rows = [
        {"sku": product.sku, "location": "SH-A", "reason": "sale", "delta": -1},
        {"sku": product.sku, "location": "SH-A", "reason": "sale", "delta": -1},
        {"sku": product.sku, "location": "SH-B", "reason": "sale", "delta": -1},
    ]
    response = client.post("/api/v1/stock/movements/batch", headers=key, json={"movements": rows})
    assert response.status_code == 403 and response.json["error"]["code"] == "other_location"
    assert on_hand(client, admin_headers, product.sku) == {"SH-A": 10, "SH-B": 10}
    history = client.get("/api/v1/stock/movements", headers=admin_headers).json["items"]
    assert [m["reason"] for m in history] == ["receive", "receive"]


def test_a_store_key_transfers_neither_to_nor_from_another_store(two_stores, client, make_key, admin_headers):
    product, a, _ = two_stores
    key = make_key(scopes=["stock:write"], locations=[a])
    for source, target in (("SH-A", "SH-B"), ("SH-B", "SH-A")):
        body = {"sku": product.sku, "from": source, "to": target, "quantity": 1}
        response = client.post("/api/v1/stock/transfers", headers=key, json=body)
        assert response.status_code == 403 and response.json["error"]["code"] == "other_location"
    assert on_hand(client, admin_headers, product.sku) == {"SH-A": 10, "SH-B": 10}
    # Both ends allowed: the transfer goes through.
    both = make_key(scopes=["stock:write"], locations=[a, two_stores[2]])
    body = {"sku": product.sku, "from": "SH-A", "to": "SH-B", "quantity": 4}
    assert client.post("/api/v1/stock/transfers", headers=both, json=body).status_code == 201
    assert on_hand(client, admin_headers, product.sku) == {"SH-A": 6, "SH-B": 14}


def test_a_store_key_holds_stock_at_its_store_only(two_stores, client, make_key, admin_headers):
    product, a, _ = two_stores
    key = make_key(scopes=["stock:read", "stock:write"], locations=[a])
    hold = {"sku": product.sku, "quantity": 2}
    refused = client.post("/api/v1/stock/reservations", headers=key, json={**hold, "location": "SH-B"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "other_location"
    mine = client.post("/api/v1/stock/reservations", headers=key, json={**hold, "location": "SH-A"})
    assert mine.status_code == 201 and mine.json["level"]["available"] == 8
    # A hold someone else made at B: the key can neither read, release nor sell it.
    theirs = client.post("/api/v1/stock/reservations", headers=admin_headers, json={**hold, "location": "SH-B"}).json
    assert client.get(f"/api/v1/stock/reservations/{theirs['id']}", headers=key).status_code == 403
    assert client.delete(f"/api/v1/stock/reservations/{theirs['id']}", headers=key).status_code == 403
    assert client.post(f"/api/v1/stock/reservations/{theirs['id']}/sell", headers=key).status_code == 403
    status = client.get(f"/api/v1/stock/reservations/{theirs['id']}", headers=admin_headers).json["status"]
    assert status == "active"


@BOTH_DATABASES
def test_a_store_key_sees_stock_and_scans_of_its_store_only(two_stores, client, make_key, db):
    from app.scans import services as scans

    product, a, b = two_stores
    for place in (a, b):
        scans.record_scan(product.sku, "staff", product_id=product.id, location_id=place.id)
    db.session.commit()
    key = make_key(scopes=["stock:read", "scans:read"], locations=[a])
    assert on_hand(client, key, product.sku) == {"SH-A": 10}
    history = client.get("/api/v1/stock/movements", headers=key).json["items"]
    assert [m["location"] for m in history] == ["SH-A"]
    assert client.get("/api/v1/stock?location=SH-B", headers=key).status_code == 403
    assert client.get("/api/v1/stock/movements?location=SH-B", headers=key).status_code == 403
    seen = client.get("/api/v1/scans", headers=key).json["items"]
    assert [scan["location"] for scan in seen] == ["SH-A"]
    refused = client.get("/api/v1/scans?location=SH-B", headers=key)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "other_location"


def test_a_store_key_prints_labels_of_its_store_only(two_stores, client, make_key):
    _, a, _ = two_stores
    key = make_key(scopes=["labels:write", "labels:read"], locations=[a])
    refused = client.post("/api/v1/labels", headers=key, json={"location": "SH-B"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "other_location"
    assert client.get("/api/v1/labels?location=SH-B", headers=key).status_code == 403
    printed = client.post("/api/v1/labels", headers=key, json={"location": "SH-A"})
    assert printed.status_code == 200 and printed.data.startswith(b"%PDF")


@BOTH_DATABASES
def test_the_cli_creates_and_lists_a_scoped_key(two_stores, runner, client):
    product, _, _ = two_stores
    result = runner.invoke(
        args=["keys", "create", "--role", "clerk", "--scope", "stock:write", "--scope", "stock:read"]
        + ["--location", "sh-a", "--name", "till"]
    )
    assert result.exit_code == 0, result.output
    headers = {"Authorization": f"Bearer {result.output.strip().splitlines()[-1]}"}
    sale = {"sku": product.sku, "reason": "sale", "delta": -1}
    assert client.post("/api/v1/stock/movements", headers=headers, json={**sale, "location": "SH-A"}).status_code == 201
    assert client.post("/api/v1/stock/movements", headers=headers, json={**sale, "location": "SH-B"}).status_code == 403
    assert client.get("/api/v1/products", headers=headers).status_code == 403
    listed = runner.invoke(args=["keys", "list"])
    line = next(row for row in listed.output.splitlines() if row.endswith("till"))
    assert "stock:read,stock:write" in line and "SH-A" in line


def test_the_cli_refuses_an_unknown_scope_or_location(two_stores, runner):
    unknown_scope = runner.invoke(args=["keys", "create", "--role", "clerk", "--scope", "stock:delete"])
    assert unknown_scope.exit_code != 0 and "stock:delete" in unknown_scope.output
    unknown_place = runner.invoke(args=["keys", "create", "--role", "clerk", "--location", "NOWHERE"])
    assert unknown_place.exit_code != 0 and "NOWHERE" in unknown_place.output
    assert "osk_" not in unknown_place.output


def test_the_keys_page_creates_a_scoped_key(two_stores, signed_in, client):
    product, a, _ = two_stores
    page = signed_in("admin").get("/staff/keys")
    assert 'value="orders:read"' in page.text and "Store" in page.text and "(SH-B)" in page.text
    response = client.post(
        "/staff/keys",
        data={
            "name": "Pudong till",
            "role": "clerk",
            "scopes": ["stock:write", "stock:read"],
            "locations": [str(a.id)],
            "csrf_token": csrf_from(page.text),
        },
    )
    assert response.status_code == 200
    assert "stock:read, stock:write" in response.text and ">SH-A<" in response.text
    plain = response.text.split('<code class="secret">')[1].split("</code>")[0]
    headers = {"Authorization": f"Bearer {plain}"}
    sale = {"sku": product.sku, "reason": "sale", "delta": -1}
    assert client.post("/api/v1/stock/movements", headers=headers, json={**sale, "location": "SH-A"}).status_code == 201
    assert client.post("/api/v1/stock/movements", headers=headers, json={**sale, "location": "SH-B"}).status_code == 403


def test_a_device_token_still_authenticates(client, make_location, db):
    from app.kiosks import services as kiosks

    make_location(code="SH-PUDONG")
    device, token = kiosks.create_device("SH-PUDONG", "Kiosk 1")
    db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.post("/api/v1/kiosk/sessions", headers=headers).status_code == 201
    kiosks.revoke_device(device.token_prefix)
    db.session.commit()
    refused = client.post("/api/v1/kiosk/sessions", headers=headers)
    assert refused.status_code == 401 and refused.json["error"]["code"] == "invalid_token"
    assert "device token" in refused.json["error"]["message"]


def test_an_unknown_key_is_401(client):
    response = client.get("/api/v1/products", headers={"Authorization": "Bearer osk_nope_nope"})
    assert response.status_code == 401 and response.json["error"]["code"] == "invalid_token"


def test_the_staff_home_shows_every_domains_tiles(signed_in, make_location, make_product):
    make_location(code="S-1"), make_location(code="W-1", kind="warehouse"), make_product()
    home = signed_in("clerk").get("/staff/")
    assert "<strong>1</strong> stores · <strong>1</strong> warehouses" in home.text
    assert "<strong>1</strong> products" in home.text
    assert "QR shelf labels" in home.text and "labels to reprint" in home.text


def test_the_api_description_names_each_operations_scope(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert "`stock:write`" in paths["/api/v1/stock/movements"]["post"]["description"]
    assert "`stock:read`" in paths["/api/v1/stock"]["get"]["description"]
    assert "`orders:read`" in paths["/api/v1/orders/{number}"]["get"]["description"]


def test_staff_imports_no_domain_built_on_it():
    import ast
    from pathlib import Path

    import app.staff

    above = ("app.catalog", "app.labels", "app.kiosks")
    for path in Path(app.staff.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            names += [alias.name for alias in node.names] if isinstance(node, ast.Import) else []
            assert not [n for n in names if n.startswith(above)], f"{path.name} imports {names}"


def test_a_scoped_key_reaches_neither_other_scopes_nor_unscoped_operations(client, make_key):
    key = make_key(role="admin", scopes=["stock:read"])
    events = client.get("/api/v1/events", headers=key)
    assert events.status_code == 403 and events.json["error"]["details"] == {"scope": "events:read"}
    # Kiosk operations name no scope: closed to limited keys (an unlimited one gets "device_only").
    session = client.get("/api/v1/kiosk/sessions/current", headers=key)
    assert session.status_code == 403 and session.json["error"]["code"] == "insufficient_scope"
    assert client.get("/api/v1/events", headers=make_key(role="admin", scopes=["events:read"])).status_code == 200
