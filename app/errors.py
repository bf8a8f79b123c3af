"""Domain errors and how every door turns them into answers.

Under ``/api`` an error is JSON ``{"error": {"code", "message"}}`` with the right status;
elsewhere it is a friendly page. Nothing is half-written: the session is rolled back first.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, jsonify, render_template, request
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


# PostgreSQL's "try again": deadlock detected, serialization failure, lock not available.
RETRY_SQLSTATES = frozenset({"40P01", "40001", "55P03"})


def _worth_retrying(error: OperationalError) -> bool:
    """The database refused for now (SQLite locked or busy, a PostgreSQL deadlock...): the
    transaction was rolled back whole, and the same request may well succeed in a moment."""
    if getattr(error.orig, "sqlstate", None) in RETRY_SQLSTATES:
        return True
    reason = str(error.orig).lower()
    return "locked" in reason or "busy" in reason


class DomainError(Exception):
    """A rule said no. ``code`` is stable for programs, ``message`` is for people."""

    status = 422

    def __init__(self, code: str, message: str, *, status: int | None = None, details: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.details = details
        if status is not None:
            self.status = status


def error_ack(error: DomainError) -> dict:
    """A refusal as a Socket.IO acknowledgement: ``{"ok": false, "error": {"code", "message"}}``."""
    return {"ok": False, "error": {"code": error.code, "message": error.message}}


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def wants_json() -> bool:
    """API paths and clients asking for JSON get JSON errors."""
    if request.path.startswith("/api/"):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and not request.accept_mimetypes["text/html"]


def error_response(status: int, code: str, message: str, details: Any = None, headers=None):
    """One error, as JSON or as a page."""
    from app.extensions import db

    db.session.rollback()
    if wants_json():
        body: dict[str, Any] = {"code": code, "message": message}
        if details:
            body["details"] = details
        response = jsonify({"error": body})
    else:
        response = render_template("error.html", status=status, code=code, message=message)
    return response, status, headers or {}


def _validation_message(messages: Any) -> str:
    """Flatten webargs' {"json": {"field": ["msg"]}} into one readable line."""
    parts: list[str] = []

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for key, sub in value.items():
                name = key if not prefix or prefix in ("json", "query", "form") else f"{prefix}.{key}"
                walk(str(name), sub)
        elif isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            parts.append(f"{prefix}: {' '.join(value)}" if prefix not in ("json", "query") else " ".join(value))
        elif isinstance(value, list):
            for item in value:
                walk(prefix, item)
        else:
            parts.append(f"{prefix}: {value}")

    walk("", messages)
    return "; ".join(parts) or "The request is not valid."


def register_error_handlers(app: Flask) -> None:
    """Install the handlers for domain errors, HTTP errors and crashes."""

    @app.errorhandler(DomainError)
    def domain_error(error: DomainError):
        return error_response(error.status, error.code, error.message, error.details, getattr(error, "headers", None))

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        code = HTTP_CODES.get(status, "error")
        data = getattr(error, "data", None) or {}
        messages = data.get("messages") or data.get("errors")
        if messages:
            if "json" in messages and "Invalid JSON body." in str(messages["json"]):
                return error_response(400, "invalid_json", "The request body is not valid JSON.")
            return error_response(status, code, _validation_message(messages), messages)
        message = data.get("message") or error.description or error.name
        if status == 429:
            message = "Too many attempts. Please wait a minute and try again."
        headers = dict(data.get("headers") or {})
        if status == 405 and error.get_response().headers.get("Allow"):
            headers["Allow"] = error.get_response().headers["Allow"]
        return error_response(status, code, message, headers=headers)

    @app.errorhandler(OperationalError)
    def database_busy(error: OperationalError):
        if _worth_retrying(error):
            return error_response(503, "busy", "The database is busy. Please retry.", headers={"Retry-After": "1"})
        log.exception("database error")
        return error_response(500, "internal_error", "Something went wrong on our side.")

    @app.errorhandler(Exception)
    def crash(error: Exception):
        log.exception("unhandled error")
        return error_response(500, "internal_error", "Something went wrong on our side.")
