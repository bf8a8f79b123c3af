"""The transaction door: a view's writes are committed when it answers below 400, and only then."""

from __future__ import annotations

import pytest
from flask import Blueprint, redirect
from sqlalchemy import select

from app.catalog import services as catalog
from app.catalog.models import Location
from app.errors import DomainError
from app.transaction import writes


@pytest.fixture
def door_client(app):
    """A client of the app with a few views that add a store, then answer in different ways."""
    bp = Blueprint("door_test", __name__)

    @bp.get("/door-test/<code>/<answer>")
    @writes
    def add_store(code: str, answer: str):
        catalog.create_location(code, f"Store {code}", "store")
        if answer == "refuse":
            return "the form again", 422
        if answer == "raise":
            raise DomainError("refused", "Not this one.", status=409)
        if answer == "redirect":
            return redirect("/")
        return "added", 200

    app.register_blueprint(bp)
    return app.test_client()


def _stores(db) -> list[str]:
    db.session.rollback()  # read what is committed
    return list(db.session.scalars(select(Location.code).order_by(Location.code)))


def test_a_200_commits_the_view_s_writes(door_client, db):
    assert door_client.get("/door-test/S1/ok").status_code == 200
    assert _stores(db) == ["S1"]


def test_a_redirect_commits_the_view_s_writes(door_client, db):
    assert door_client.get("/door-test/S2/redirect").status_code == 302
    assert _stores(db) == ["S2"]


def test_an_answer_of_422_leaves_nothing_written(door_client, db):
    assert door_client.get("/door-test/S3/refuse").status_code == 422
    assert _stores(db) == []


def test_an_error_raised_after_a_write_leaves_nothing_written(door_client, db):
    assert door_client.get("/door-test/S4/raise").status_code == 409  # the page the error handler shows
    assert _stores(db) == []
