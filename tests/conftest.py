"""Shared fixtures: an app on a real database, clients, staff, API keys and factories.

PostgreSQL, Redis and browser tests run when TEST_DATABASE_URL, TEST_REDIS_URL and a
Chromium are there, and skip with the reason otherwise; REQUIRE_SERVICES=1 (CI) or
REQUIRE_BROWSER=1 turn a missing one into a failure instead.
"""

from __future__ import annotations

import os
import re
import shutil
import time
import uuid
from pathlib import Path

import pytest
from flask import g, has_app_context
from flask.testing import FlaskClient
from sqlalchemy import create_engine, text

from app import create_app
from app.config import TestConfig
from app.db import begin_write
from app.extensions import db as _db
from tests.live_server import live_server  # noqa: F401 - a fixture for every test folder

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL")
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def _required(name: str) -> bool:
    return os.environ.get(name) == "1" or os.environ.get("CI") == "true"


def need_postgres() -> str:
    """The PostgreSQL URL, or skip (fail when PostgreSQL is required)."""
    if not TEST_DATABASE_URL:
        if _required("REQUIRE_SERVICES"):
            pytest.fail("TEST_DATABASE_URL is not set but PostgreSQL tests are required")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1:5432/test)")
    return TEST_DATABASE_URL


def need_redis() -> str:
    if not TEST_REDIS_URL:
        if _required("REQUIRE_SERVICES"):
            pytest.fail("TEST_REDIS_URL is not set but Redis tests are required")
        pytest.skip("Redis tests need TEST_REDIS_URL (e.g. redis://127.0.0.1:6379/15)")
    return TEST_REDIS_URL


def need_tool(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} is not installed; run: sudo apt-get install -y poppler-utils")
    return path


@pytest.fixture
def pg_schema_url():
    """A fresh, empty PostgreSQL schema for one test, dropped afterwards."""
    url = need_postgres()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(_pg(url))
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in url else "?"
    yield f"{url}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _pg(url: str) -> str:
    from app.config import normalise_db_url

    return normalise_db_url(url)


class FreshSessionClient(FlaskClient):
    """A test client whose requests start and end outside any open transaction.

    Tests keep one app context pushed, so requests share the test's session and ``g``;
    ending the transaction and emptying ``g`` around each request gives every request a
    fresh view of the database and of request state, as it has in a real server.
    """

    def open(self, *args, **kwargs):
        shared = has_app_context()  # False in a thread of its own: the request gets its own context
        if shared:
            _db.session.rollback()
            g.__dict__.clear()  # g belongs to the app context: a real request starts with an empty one
        try:
            return super().open(*args, **kwargs)
        finally:
            if shared:
                _db.session.rollback()


def make_app(database_url: str, instance: Path, **overrides):
    app = create_app(TestConfig(database_url, instance, **overrides))
    app.test_client_class = FreshSessionClient
    with app.app_context():
        _db.create_all()
    return app


def limited_app(tmp_path: Path, **limits):
    """An app on SQLite with rate limits on (in memory, keys of its own) and ``limits`` set; yields it in its context."""
    application = make_app(
        f"sqlite:///{tmp_path / 'test.db'}",
        tmp_path / "instance",
        RATELIMIT_ENABLED=True,
        RATELIMIT_STORAGE_URI="memory://",
        RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}",
        **limits,
    )
    with application.app_context():
        yield application
        _db.session.remove()
        _db.engine.dispose()


@pytest.fixture(params=["sqlite"])
def backend(request):
    return request.param


@pytest.fixture
def app(tmp_path, request):
    """The app on a new SQLite database (or PostgreSQL for tests parametrised with it)."""
    if getattr(request, "param", None) == "postgres" or "pg_schema_url" in request.fixturenames:
        url = request.getfixturevalue("pg_schema_url")
    else:
        url = f"sqlite:///{tmp_path / 'test.db'}"
    application = make_app(url, tmp_path / "instance")
    with application.app_context():
        yield application
        _db.session.remove()
        _db.engine.dispose()
        from app.payments import gateway

        gateway.dispose()  # the sandbox card gateway's own connections


@pytest.fixture
def db(app):
    return _db


@pytest.fixture
def jobs_worker(app):
    """A job-runner consumer (two worker threads and its scheduler) in this process, on the app's queue."""
    from app.jobs.queue import start_in_process

    consumer = start_in_process(app, workers=2)
    yield consumer
    consumer.stop(graceful=True)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


# ---- staff, keys ---------------------------------------------------------------------


@pytest.fixture
def make_staff(db):
    from app.staff import services

    def make(email="admin@example.com", role="admin", password="correct-horse", name="Ada Admin"):
        begin_write(_db.session)  # a job worker may write meanwhile (see jobs_worker)
        user = services.create_staff(email, name, password, role)
        db.session.commit()
        return user

    return make


@pytest.fixture
def admin_headers(db):
    from app.staff import services

    begin_write(_db.session)  # a job worker may write meanwhile (see jobs_worker)
    _, key = services.create_api_key("test admin", "admin")
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


@pytest.fixture
def clerk_headers(db):
    from app.staff import services

    begin_write(_db.session)  # a job worker may write meanwhile (see jobs_worker)
    _, key = services.create_api_key("test clerk", "clerk")
    db.session.commit()
    return {"Authorization": f"Bearer {key}"}


def wait_for(check, timeout: float = 15.0, what: str = "it"):
    """Poll ``check()`` until it answers something true (returned), or fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    pytest.fail(f"gave up waiting for {what}")


CSRF_RE = re.compile(r'name="csrf-token" content="([^"]+)"|name="csrf_token"[^>]*?value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = CSRF_RE.search(html)
    assert match, "no CSRF token on the page"
    return match.group(1) or match.group(2)


@pytest.fixture
def signed_in(client, make_staff):
    """Sign a staff user in through the real form; returns a function taking the role."""

    def sign_in(role="admin", email=None):
        email = email or f"{role}@example.com"
        make_staff(email=email, role=role)
        page = client.get("/staff/login")
        response = client.post(
            "/staff/login",
            data={
                "email": email,
                "password": "correct-horse",
                "csrf_token": csrf_from(page.text),
            },
        )
        assert response.status_code == 302, response.text
        return client

    return sign_in


# ---- catalog factories ----------------------------------------------------------------


@pytest.fixture
def make_location(db):
    from app.catalog import services

    counter = iter(range(1, 10_000))

    def make(**overrides):
        n = next(counter)
        fields = {
            "code": f"STORE-{n}",
            "name": f"Store {n}",
            "kind": "store",
            "address": f"{n} Main St",
            "latitude": 31.2 + n / 100,
            "longitude": 121.4 + n / 100,
            "timezone": "Asia/Shanghai",
        }
        fields.update(overrides)
        begin_write(_db.session)  # a job worker may write meanwhile (see jobs_worker)
        location = services.create_location(**fields)
        db.session.commit()
        return location

    return make


def ean13(n: int) -> str:
    from stdnum import ean

    body = f"400{n:09d}"
    return body + ean.calc_check_digit(body)


@pytest.fixture
def make_product(db):
    from app.catalog import services

    counter = iter(range(1, 100_000))

    def make(**overrides):
        n = next(counter)
        fields = {
            "sku": f"SKU-{n:04d}",
            "name": f"Product {n}",
            "price_amount": 1000 + n,
            "currency": "CNY",
            "category": "Tea",
            "description": f"Product number {n}",
            "barcode": ean13(n),
        }
        fields.update(overrides)
        begin_write(_db.session)  # a job worker may write meanwhile (see jobs_worker)
        product = services.create_product(**fields)
        db.session.commit()
        return product

    return make
