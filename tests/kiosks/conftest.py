"""Kiosk fixtures: a store, registered kiosks, and the member fixtures."""

from __future__ import annotations

import pytest

from tests.members.conftest import make_member, member_client  # noqa: F401 - fixtures


@pytest.fixture
def store(make_location):
    return make_location(code="SH-PUDONG", name="Oneshelf Pudong")


@pytest.fixture
def make_device(db, store):
    """A kiosk registered through the service; returns (device, plain token)."""
    from app.kiosks import services

    def make(name="Kiosk 3", location=None, number=None):
        device, token = services.create_device((location or store).code, name, number)
        db.session.commit()
        return device, token

    return make


@pytest.fixture
def kiosk_screen(app, make_device):
    """A browser signed in as a kiosk screen through ``/kiosk?token=``; returns (client, device, token)."""

    def open_screen(name="Kiosk 3"):
        device, token = make_device(name)
        client = app.test_client()
        assert client.get(f"/kiosk?token={token}").status_code == 302
        return client, device, token

    return open_screen
