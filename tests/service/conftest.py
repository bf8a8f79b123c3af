"""Help-request fixtures: two stores, a product on their shelves, phones and clerks."""

from __future__ import annotations

import re

import pytest

from tests.conftest import csrf_from
from tests.members.conftest import make_member, member_client  # noqa: F401 - fixtures


@pytest.fixture
def stores(make_location, make_product):
    """(store A, store B, the product on both shelves)."""
    a = make_location(code="SH-A", name="Pudong store", help_answer_minutes=5)
    b = make_location(code="SH-B", name="Xuhui store", help_answer_minutes=10)
    product = make_product(sku="TEA-1", name="Jasmine Pearls")
    return a, b, product


@pytest.fixture
def label_code(app, clerk_headers):
    """The shelf label code of a product at a store."""

    def find(sku: str, location: str) -> str:
        listed = app.test_client().get(f"/api/v1/labels?location={location}&sku={sku}", headers=clerk_headers)
        return listed.json["items"][0]["code"]

    return find


class Phone:
    """A shopper's browser: it opened a shelf QR, so it has a shopper session and a CSRF token."""

    def __init__(self, client, html: str):
        self.client = client
        self.csrf = re.search(r'data-csrf="([^"]+)"', html).group(1)

    @property
    def session(self) -> str:
        return self.client.get_cookie("oneshelf_shopper").value

    def ask(self, key: str | None = None, **body):
        headers = {"X-CSRFToken": self.csrf}
        if key:
            headers["Idempotency-Key"] = key
        return self.client.post("/api/v1/help-requests", json=body, headers=headers)


@pytest.fixture
def phone(app, stores, label_code):
    """A new phone that scanned the product's label at a store (a guest unless a client is given)."""

    def open_label(location: str = "SH-A", client=None) -> Phone:
        client = client or app.test_client()
        page = client.get(f"/q/{label_code('TEA-1', location)}")
        assert page.status_code == 200
        return Phone(client, page.text)

    return open_label


@pytest.fixture
def clerk_of(app, db, make_staff):
    """A browser signed in as a clerk of one store (through the login form)."""
    from app.staff import services

    def sign_in(location, name="Ada Lovelace", email=None):
        email = email or f"{name.split()[0].lower()}@example.com"
        services.create_staff(email, name, "correct-horse", "clerk", location_id=location.id)
        db.session.commit()
        client = app.test_client()
        form = csrf_from(client.get("/staff/login").text)
        response = client.post("/staff/login", data={"email": email, "password": "correct-horse", "csrf_token": form})
        assert response.status_code == 302, response.text
        return client

    return sign_in
