"""Live updates: queue events on the session, emit them after commit, drop them on rollback."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

PENDING = "oneshelf_pending_events"
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


@event.listens_for(Session, "after_commit")
def _emit_after_commit(session: Session) -> None:
    from app.extensions import socketio

    events = session.info.pop(PENDING, [])
    for name, data, room, namespace in events:
        try:
            socketio.emit(name, data, to=room, namespace=namespace)
        except Exception:  # noqa: BLE001 - the data is committed; a lost push must not fail the request
            log.exception("could not push %s to %s", name, room)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(PENDING, None)
