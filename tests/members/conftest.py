"""Member fixtures."""

from __future__ import annotations

import pytest


@pytest.fixture
def make_member(db):
    """A member created through the sign-up rule, with a known password."""
    from app.members import services

    counter = iter(range(1, 10_000))

    def make(login=None, password="long-password", name="Mei Lin"):
        member = services.sign_up(login or f"member{next(counter)}@example.com", password, name)
        db.session.commit()
        return member

    return make


@pytest.fixture
def member_client(app, make_member):
    """A test client signed in as a new member through the API; returns (client, member)."""

    def sign_in(login="mei@example.com", name="Mei Lin"):
        member = make_member(login=login, name=name)
        client = app.test_client()
        response = client.post("/api/v1/session", json={"login": login, "password": "long-password"})
        assert response.status_code == 200, response.json
        return client, member

    return sign_in
