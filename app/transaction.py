"""The transaction door: a request, a page action or a Socket.IO event writes in one transaction.

``@writes`` begins as a writer before anything is read (SQLite's write lock taken in turn, so
a read can never need upgrading), runs the view, commits once, and rolls back on any error,
which the app's error handlers then answer (JSON, a page). A view that answers an error itself
(a form shown again with a 422) writes nothing either: any answer of 400 or more rolls back.
``@socket_writes`` does the same for a Socket.IO handler and answers a DomainError as an error
acknowledgement. Services only flush; a view under either door does not commit itself.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import wraps

from flask import Flask, request

from app.db import begin_write
from app.errors import DomainError, error_ack
from app.extensions import db


@contextmanager
def one_transaction() -> Iterator[None]:
    """Begin as a writer; commit when the block ends, roll back if it raises."""
    begin_write(db.session)
    try:
        yield
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def writes(view):
    """Decorate a writing view (page or API): one transaction, committed once when it returns."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        begin_write(db.session)
        try:
            answer = view(*args, **kwargs)
            if _status(answer) < 400:
                db.session.commit()
            else:
                db.session.rollback()
            return answer
        except BaseException:
            db.session.rollback()
            raise

    return wrapper


def _status(answer) -> int:
    """The status of what a view returned: a response, ``(body, status)``, or a body (200)."""
    if isinstance(answer, tuple) and len(answer) > 1 and isinstance(answer[1], int):
        return answer[1]
    return getattr(answer, "status_code", 200)


def socket_writes(handler):
    """Decorate a writing Socket.IO handler: one transaction; a refusal answers ``{"ok": false, "error"}``."""

    @wraps(handler)
    def wrapper(*args, **kwargs):
        try:
            with one_transaction():
                return handler(*args, **kwargs)
        except DomainError as refused:
            return error_ack(refused)

    return wrapper


SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def init_app(app: Flask) -> None:
    """Every request that may write begins as a writer, before its first read.

    On SQLite a transaction that read first cannot become a writer once another connection
    has committed meanwhile (it fails at once with "database is locked"); with job workers
    publishing events after every commit, that is no longer rare. Pages that write on a GET
    (the phone page records its scan) call ``begin_write`` themselves.
    """

    @app.before_request
    def _writer_first() -> None:
        if request.method not in SAFE_METHODS:
            begin_write(db.session)
