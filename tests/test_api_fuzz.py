"""Property-based fuzzing of every API operation from the OpenAPI document (schemathesis).

Each operation gets generated requests (valid by the document, with an admin key) against the app
on a demo store; every answer must be no server error and must match the documented response.
A planted route that answers 500 on some valid input shows that the same check does fail.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest

schemathesis = pytest.importorskip("schemathesis")
from flask import Flask  # noqa: E402
from flask_smorest import Blueprint  # noqa: E402
from hypothesis import HealthCheck, given, settings  # noqa: E402
from marshmallow import Schema, fields, validate  # noqa: E402
from schemathesis.checks import not_a_server_error  # noqa: E402
from schemathesis.core.failures import Failure, FailureGroup, ServerError  # noqa: E402
from schemathesis.specs.openapi.checks import (  # noqa: E402
    content_type_conformance,
    response_schema_conformance,
)

from app import OneshelfApi, create_app  # noqa: E402
from app.catalog.schemas import StrictSchema  # noqa: E402
from app.config import Config, TestConfig  # noqa: E402
from app.errors import register_error_handlers  # noqa: E402
from app.extensions import db  # noqa: E402

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
FUZZ_SETTINGS = settings(max_examples=25, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
KEY: dict[str, str] = {}
INSTANCE = Path(tempfile.mkdtemp(prefix="oneshelf-fuzz-"))
APP = create_app(TestConfig(f"sqlite:///{INSTANCE / 'fuzz.db'}", INSTANCE, WTF_CSRF_ENABLED=False))

# Socket.IO is not in the document. Left out, as files rather than JSON: a job's result file
# (it exists only once a job ran) and the CSV export (a plain download).
schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", APP).exclude(
    path_regex=r"/jobs/\{job_id\}/file$|/products/export\.csv$"
)


@pytest.fixture(scope="module", autouse=True)
def demo_store():
    """The demo store and an admin key, once for the module."""
    from app.demo import seed_demo
    from app.staff import services

    with APP.app_context():
        db.create_all()
        seed_demo()
        _, KEY["admin"] = services.create_api_key("fuzz admin", "admin")
        db.session.commit()
        db.session.remove()
    yield
    with APP.app_context():
        db.engine.dispose()
    shutil.rmtree(INSTANCE, ignore_errors=True)


def answers_as_documented(case, headers: dict[str, str] | None = None) -> None:
    """One generated request: no server error, and the documented status, shape and content type."""
    case.call_and_validate(headers=headers, checks=CHECKS)


@schema.parametrize()
@FUZZ_SETTINGS
def test_every_operation_answers_as_documented(case):
    answers_as_documented(case, {"Authorization": f"Bearer {KEY['admin']}"})


SHELVES = ["Tea", "Rice", "Soap"]


def planted_app(pages: int) -> Flask:
    """An API with our error handling and one route that documents ``pages`` pages of SHELVES.

    Documenting more pages than there are is the planted bug: a valid request for page 4 reaches
    ``SHELVES[3]``, an IndexError, which the app's error handler answers with a 500.
    """
    app = Flask("planted")
    app.config.from_object(Config())
    register_error_handlers(app)
    api = OneshelfApi(app)
    bp = Blueprint("planted", __name__, url_prefix="/api/v1")

    class PageArgs(StrictSchema):
        page = fields.Integer(required=True, validate=validate.Range(1, pages))

    class ShelfOut(Schema):
        name = fields.String(required=True)

    @bp.route("/shelves", methods=["GET"])
    @bp.arguments(PageArgs, location="query")
    @bp.response(200, ShelfOut)
    def shelf(args):
        """One shelf per page."""
        return {"name": SHELVES[args["page"] - 1]}

    api.register_blueprint(bp)
    return app


def fuzz_planted(pages: int) -> None:
    """Fuzz the planted route exactly as every real operation is fuzzed."""
    operation = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", planted_app(pages))["/api/v1/shelves"]["GET"]

    @FUZZ_SETTINGS
    @given(case=operation.as_strategy())
    def fuzz(case):
        answers_as_documented(case)

    fuzz()


def test_the_fuzz_check_fails_on_a_route_that_answers_500():
    with pytest.raises((Failure, FailureGroup)) as caught:
        fuzz_planted(pages=5)
    failures = caught.value.exceptions if isinstance(caught.value, BaseExceptionGroup) else (caught.value,)
    assert [f.status_code for f in failures if isinstance(f, ServerError)] == [500], failures


def test_the_planted_route_passes_once_it_documents_only_its_pages():
    """The control: the same route without the bug passes, so the failure above is the 500."""
    fuzz_planted(pages=len(SHELVES))
