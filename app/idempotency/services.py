"""Run a write once per Idempotency-Key; replay the first answer to every retry.

Only successful answers are kept: a refused request wrote nothing, so retrying it may
rightly succeed later. The record is inserted in the same transaction as the effect, so
two requests racing with one key produce one effect (the loser's insert hits the unique
constraint, rolls back its effect and replays the winner's answer).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps

from flask import Response, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from app.db import begin_write
from app.errors import DomainError
from app.extensions import db
from app.idempotency.models import IdempotencyRecord
from app.transaction import writes

HEADER = "Idempotency-Key"


def _request_hash() -> str:
    body = request.get_data()
    try:
        body = json.dumps(json.loads(body), sort_keys=True, separators=(",", ":")).encode()
    except ValueError:
        pass  # not JSON: hash the bytes as they came
    return hashlib.sha256(request.method.encode() + b" " + request.path.encode() + b"\n" + body).hexdigest()


def _find(scope: str, key: str) -> IdempotencyRecord | None:
    return db.session.scalar(select(IdempotencyRecord).filter_by(scope=scope, key=key))


def _replay(record: IdempotencyRecord, request_hash: str) -> Response:
    if record.request_hash != request_hash:
        raise DomainError(
            "idempotency_key_reused", f"{HEADER} {record.key!r} was already used for a different request.", status=422
        )
    response = jsonify(record.body)
    response.status_code = record.status_code
    response.headers["Idempotent-Replayed"] = "true"
    return response


def _scope(actor) -> str:
    """Whose keys these are: a staff user's, an API key's, a kiosk's, a member's; else the address's.

    An anonymous caller's keys are kept per path: the paths anonymous callers write to (a guest
    cart's) carry a secret id, so nobody else can replay their answer.
    """
    if actor is not None:
        return f"{actor.kind}:{actor.id}"
    for find in _CALLERS:
        scope = find()
        if scope is not None:
            return scope
    return f"path:{request.path}"[:80]


# Domains built on this one that know other callers (members) add how to name them.
_CALLERS: list[Callable[[], str | None]] = []


def register_caller(find: Callable[[], str | None]) -> None:
    """Add a way to name the caller of this request (``"member:7"``), or None when it is not theirs."""
    if find not in _CALLERS:
        _CALLERS.append(find)


def require_key(what: str = "This request") -> str:
    """The request's Idempotency-Key, or 400 ``idempotency_key_required``."""
    key = request.headers.get(HEADER, "")
    if not 1 <= len(key) <= 255:
        raise DomainError(
            "idempotency_key_required", f"{what} needs an {HEADER} header (1 to 255 characters).", status=400
        )
    return key


def request_hash() -> str:
    """What a key was first used for: the method, the path and the (normalised) body."""
    return _request_hash()


def idempotent(view=None, *, required: bool = False, check: Callable[[], None] | None = None):
    """Decorate a writing API view: one transaction, committed once, and one effect per Idempotency-Key.

    ``required``: refuse a request without a key (400). ``check``: runs first, before a stored
    answer is replayed (who may call: sign-in, CSRF). The key's owner is the caller: an API
    key, a kiosk, a staff user, a member (see ``register_caller``), else the path.
    """
    if view is None:
        return lambda v: idempotent(v, required=required, check=check)

    @wraps(view)
    def wrapper(*args, **kwargs):
        from app.staff.auth import current_actor

        # Before any read: on SQLite the whole request then holds the write lock in turn.
        begin_write(db.session)
        if check is not None:
            check()
        key = request.headers.get(HEADER)
        if key is None and not required:
            return _run(view, args, kwargs)
        key = require_key()
        scope, first_hash = _scope(current_actor()), _request_hash()
        record = _find(scope, key)
        if record is not None:
            return _replay(record, first_hash)
        try:
            response = view(*args, **kwargs)
            if isinstance(response, Response) and 200 <= response.status_code < 300:
                db.session.add(
                    IdempotencyRecord(
                        scope=scope,
                        key=key,
                        request_hash=first_hash,
                        status_code=response.status_code,
                        body=response.get_json(),
                    )
                )
            # The one commit outside the door: the stored answer must land with the view's writes,
            # and a key taken meanwhile is an IntegrityError to answer from here (see ``writes``).
            db.session.commit()
        except IntegrityError:
            # Another request with this key committed first: undo ours, answer with theirs.
            db.session.rollback()
            record = _find(scope, key)
            if record is None:
                raise
            return _replay(record, first_hash)
        return response

    return wrapper


def _run(view, args, kwargs):
    """Without a key: the view in one transaction, as ``writes`` does."""
    return writes(view)(*args, **kwargs)


def purge_expired(keep_hours: int = 24) -> int:
    """Forget answers older than ``keep_hours``: a retry after that is a new request."""
    from datetime import timedelta

    from sqlalchemy import delete

    from app.db import utcnow

    cutoff = utcnow() - timedelta(hours=keep_hours)
    return db.session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.created_at < cutoff)).rowcount
