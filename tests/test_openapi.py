"""The OpenAPI document is generated from the code and valid."""

from __future__ import annotations

import re

from openapi_spec_validator import validate


def test_openapi_document_is_valid_and_complete(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    validate(spec)
    assert spec["openapi"].startswith("3.")
    paths = spec["paths"]
    for path, methods in {
        "/api/v1/locations": {"get", "post"},
        "/api/v1/products": {"get", "post"},
        "/api/v1/products/{sku}": {"get", "patch"},
        "/api/v1/labels": {"get", "post"},
        "/api/v1/products/import": {"post"},
        "/api/v1/jobs/{job_id}": {"get"},
    }.items():
        assert methods <= set(paths[path]), path
    product = spec["components"]["schemas"]["ProductOut"]["properties"]
    assert {"sku", "name", "price", "barcode", "active"} <= set(product)
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_every_api_route_is_documented(app):
    spec = app.test_client().get("/api/v1/openapi.json").json
    documented = {p.replace("{", "<").replace("}", ">") for p in spec["paths"]}
    routes = {
        re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", r.rule)
        for r in app.url_map.iter_rules()
        if r.rule.startswith("/api/v1/") and not r.rule.endswith("openapi.json")
    }
    assert routes <= documented, routes - documented


def _dummy(path: str) -> str:
    """A path with every parameter filled (a number, else a code)."""
    return re.sub(r"\{(\w+)\}", lambda m: "1" if m.group(1).endswith("id") else "X1", path)


def test_the_document_tells_which_operations_are_public(client):
    """An operation documented as public never asks an anonymous caller to authenticate; one
    documented as needing a key or a member never serves an anonymous caller."""
    spec = client.get("/api/v1/openapi.json").json
    default = spec["security"]
    public, closed = [], []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            security = operation.get("security", default)
            (public if security == [] else closed).append((method, path))
    assert ("post", "/api/v1/carts") in public
    assert ("post", "/api/v1/products") in closed
    for method, path in public:
        answer = client.open(_dummy(path), method=method.upper(), json={})
        assert answer.status_code != 401, (method, path, answer.json)
    for method, path in closed:
        answer = client.open(_dummy(path), method=method.upper(), json={})
        assert answer.status_code >= 400, (method, path, answer.status_code)
