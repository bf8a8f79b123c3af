"""The skeleton: health, errors as JSON or pages, configuration."""

from __future__ import annotations

from app.config import Config


def test_healthz_reports_database(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": {"status": "ok", "backend": "sqlite"}}


def test_api_errors_are_json(client):
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.json["error"]["code"] == "not_found"
    assert response.json["error"]["message"]


def test_page_errors_are_friendly_html(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "text/html" in response.content_type
    assert "We could not find that" in response.text


def test_wrong_method_is_405_json(client, admin_headers):
    response = client.delete("/api/v1/products", headers=admin_headers)
    assert response.status_code == 405
    assert response.json["error"]["code"] == "method_not_allowed"


def test_secret_key_is_generated_once(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    first = Config(tmp_path).SECRET_KEY
    second = Config(tmp_path).SECRET_KEY
    assert first == second and len(first) > 40
    assert (tmp_path / "secret_key").read_text().strip() == first


def test_config_reads_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@db:5432/shop")
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("PUBLIC_BASE_URL", "https://shop.example.com/")
    monkeypatch.setenv("SECRET_KEY", "s3cret")
    config = Config(tmp_path)
    assert config.SQLALCHEMY_DATABASE_URI == "postgresql+psycopg://u@db:5432/shop"
    assert config.PORT == 8080
    assert config.PUBLIC_BASE_URL == "https://shop.example.com"
    assert config.SECRET_KEY == "s3cret"
    assert config.SESSION_COOKIE_SECURE is True


def test_sqlite_runs_in_wal_with_foreign_keys(db):
    from sqlalchemy import text

    assert db.session.execute(text("PRAGMA journal_mode")).scalar() == "wal"
    assert db.session.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_instance_folder_is_made_even_with_a_secret_key(tmp_path, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "given")
    Config(tmp_path / "fresh" / "instance")
    assert (tmp_path / "fresh" / "instance").is_dir()


def test_behind_a_trusted_proxy_the_shoppers_address_counts(tmp_path):
    from flask import request

    from tests.conftest import make_app

    app = make_app(f"sqlite:///{tmp_path / 'p.db'}", tmp_path / "i", TRUSTED_PROXIES=1)

    @app.get("/whoami")
    def whoami():
        return request.remote_addr

    with app.app_context():
        seen = app.test_client().get("/whoami", headers={"X-Forwarded-For": "203.0.113.7"}).text
    assert seen == "203.0.113.7"


def test_an_error_page_leads_shoppers_to_the_shop_and_staff_to_their_start(client):
    shopper = client.get("/no-such-page", headers={"Accept": "text/html"})
    assert shopper.status_code == 404
    assert 'href="/">Go to the start</a>' in shopper.text
    staff = client.get("/staff/no-such-page", headers={"Accept": "text/html"})
    assert staff.status_code == 404
    assert 'href="/staff/">Go to the start</a>' in staff.text
