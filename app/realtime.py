"""Live updates: queue events on the session, emit them after commit, drop them on rollback."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING = "oneshelf_pending_events"
MARKS = "oneshelf_savepoint_marks"
log = logging.getLogger(__name__)


def queue_event(
    session: Session, name: str, data: dict[str, Any], *, room: str | list[str], namespace: str = "/live"
) -> None:
    """Emit ``name`` to ``room`` once the session's transaction commits.

    ``room`` may be a list: one emit (one message on the queue between processes) reaches
    every client of those rooms, once each.
    """
    # Begin the transaction now, so that a rollback (which is a no-op without one) drops it.
    session.connection()
    session.info.setdefault(PENDING, []).append((name, data, room, namespace))


@event.listens_for(Session, "after_transaction_create")
def _mark_savepoint(session: Session, transaction) -> None:
    """Remember how many events were queued when a savepoint began (its rollback drops the later ones)."""
    if transaction.nested:
        session.info.setdefault(MARKS, {})[id(transaction)] = len(session.info.get(PENDING, []))


@event.listens_for(Session, "after_commit")
def _emit_after_commit(session: Session) -> None:
    from app.extensions import socketio

    if session.in_nested_transaction():
        return  # a savepoint released: nothing is committed until the whole transaction is
    session.info.pop(MARKS, None)
    events = session.info.pop(PENDING, [])
    for name, data, room, namespace in events:
        try:
            socketio.emit(name, data, to=room, namespace=namespace)
        except Exception:  # noqa: BLE001 - the data is committed; a lost push must not fail the request
            log.exception("could not push %s to %s", name, room)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.nested:
        # Only what the savepoint queued is undone; what came before it still stands.
        mark = session.info.get(MARKS, {}).pop(id(previous_transaction), None)
        if mark is not None and PENDING in session.info:
            del session.info[PENDING][mark:]
        return
    session.info.pop(PENDING, None)
    session.info.pop(MARKS, None)
