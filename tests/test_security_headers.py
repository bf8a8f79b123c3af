"""Every answer carries the security headers: pages, API, errors, static files, the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.conftest import wait_for

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


SOCKETIO_HANDSHAKE = "/socket.io/?EIO=4&transport=polling"


def test_headers_on_the_socketio_handshake(client):
    """Engine.IO answers the handshake before Flask sees it; the headers are there all the same."""
    response = client.get(SOCKETIO_HANDSHAKE)
    assert response.status_code == 200
    assert response.get_data(as_text=True).startswith('0{"sid":')
    assert_secure(response)
    assert "Strict-Transport-Security" not in response.headers


def test_headers_on_a_refused_socketio_request(client):
    response = client.get("/socket.io/?EIO=4&transport=polling&sid=no-such-session")
    assert response.status_code == 400
    assert_secure(response)


def test_hsts_on_the_handshake_behind_a_trusted_proxy(tmp_path):
    """Behind a proxy that says the browser used https, the handshake carries HSTS too."""
    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'proxy.db'}", tmp_path / "instance", TRUSTED_PROXIES=1)
    client = app.test_client()
    for path in (SOCKETIO_HANDSHAKE, "/staff/login"):
        response = client.get(path, headers={"X-Forwarded-Proto": "https"})
        assert response.status_code == 200, path
        assert_secure(response)
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000"), path
    with app.app_context():
        from app.extensions import db

        db.engine.dispose()


def assert_upgrades_to_a_websocket(base_url: str) -> None:
    """A client that starts on long-polling, as browsers do, moves to a websocket."""
    import socketio

    client = socketio.Client(reconnection=False)
    client.connect(base_url, namespaces=["/live"], transports=["polling", "websocket"], wait_timeout=10)
    try:
        wait_for(lambda: client.transport() == "websocket", 10, "the upgrade to a websocket")
        assert client.connected
    finally:
        client.disconnect()


def test_headers_on_the_handshake_of_the_running_server(live_server):
    import requests

    response = requests.get(live_server.url(SOCKETIO_HANDSHAKE), timeout=10)
    assert response.status_code == 200
    assert response.text.startswith('0{"sid":')
    assert_secure(response)
    page = requests.get(live_server.url("/staff/login"), timeout=10)
    assert_secure(page)
    # A header set once, not twice (Flask's answer passes through the same middleware).
    assert page.raw.headers.getlist("X-Frame-Options") == ["DENY"]
    assert_upgrades_to_a_websocket(live_server.base_url)


@pytest.mark.slow
def test_headers_on_the_handshake_of_the_production_server_and_its_websocket_still_upgrades(tmp_path):
    """gunicorn with the gevent-websocket worker (`make serve`): the handshake has the headers, and
    a client that starts on polling still upgrades to a websocket through the same middleware."""
    import requests

    from tests.live_server import free_port, run_flask, server_env
    from tests.test_serve import CLOSE, production_server

    env = server_env(tmp_path / "instance", free_port())
    (tmp_path / "instance").mkdir()
    env.pop("SOCKETIO_ASYNC_MODE", None)
    run_flask(["db", "upgrade"], env)
    with production_server(env, tmp_path / "gunicorn.log") as server:
        response = requests.get(server.base_url + SOCKETIO_HANDSHAKE, headers=CLOSE, timeout=10)
        assert response.status_code == 200 and response.text.startswith('0{"sid":')
        assert_secure(response)
        assert_upgrades_to_a_websocket(server.base_url)
