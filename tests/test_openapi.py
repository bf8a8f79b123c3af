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
