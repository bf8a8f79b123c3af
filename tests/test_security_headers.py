"""Every answer carries the security headers: pages, API, errors, static files, the OpenAPI document."""

from __future__ import annotations

import pytest

EXPECTED = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "strict-origin-when-cross-origin",
    "X-Frame-Options": "DENY",
}


def assert_secure(response) -> None:
    for name, value in EXPECTED.items():
        assert response.headers.get(name) == value, name
    policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/staff/login", 200),
        ("/api/v1/products", 200),
        ("/no/such/page", 404),
        ("/api/v1/openapi.json", 200),
        ("/static/css/app.css", 200),
    ],
)
def test_headers_on_every_kind_of_answer(client, admin_headers, path, status):
    response = client.get(path, headers=admin_headers if path.startswith("/api/v1/products") else {})
    assert response.status_code == status
    assert_secure(response)
    response.close()


def test_headers_on_a_refused_api_call(client):
    response = client.get("/api/v1/products")
    assert response.status_code == 401
    assert response.get_json()["error"]["code"]
    assert_secure(response)


def test_headers_on_invalid_input(client, admin_headers):
    response = client.post("/api/v1/products", json={"sku": ""}, headers=admin_headers)
    assert response.status_code == 422
    assert_secure(response)


def test_hsts_only_over_https(client):
    plain = client.get("/staff/login")
    assert "Strict-Transport-Security" not in plain.headers
    secure = client.get("/staff/login", base_url="https://shop.test")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")
