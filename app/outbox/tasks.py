"""Publish committed outbox events on the job runner: soon after each commit that recorded some,
and every few seconds as the fallback (a task lost with its worker, a commit in a process whose
enqueue failed).

Debounce: a process enqueues at most one publish per ``DEBOUNCE_SECONDS``. A task due at time T
publishes everything committed before T, so a commit made while one is still due needs no
task of its own; a burst of commits costs about two tasks per window.
"""

from __future__ import annotations

import logging
import threading
import time

from app.extensions import db
from app.jobs.queue import every, huey
from app.outbox import services

log = logging.getLogger(__name__)
DEBOUNCE_SECONDS = 0.5
_lock = threading.Lock()
_due = 0.0  # time.time() at which the last publish this process enqueued runs


def publish_all() -> int:
    """Publish every committed, unpublished event, a batch per transaction; returns how many."""
    count = 0
    while True:
        batch = services.publish_pending()
        db.session.commit()
        if not batch:
            return count
        count += len(batch)


@huey.task(priority=50)
def publish_events() -> int:
    """Publish what the commits before this task recorded."""
    return publish_all()


@every("OUTBOX_PUBLISH_SECONDS")
def publish_events_sweep() -> int:
    """The fallback: publish whatever an enqueued task missed."""
    return publish_all()


@services.committed.connect
def _enqueue_after_commit(sender, **_: object) -> None:
    """After a commit that recorded events, have a worker publish them (debounced, see above)."""
    global _due
    now = time.time()
    with _lock:
        if now < _due:
            return  # a publish that will see this commit is still waiting to run
        _due = max(now, _due + DEBOUNCE_SECONDS)
        delay = _due - now
    try:
        if delay:
            publish_events.schedule(delay=delay)
        else:
            publish_events()
    except Exception:  # noqa: BLE001 - the commit stands; the periodic sweep publishes its events
        log.exception("enqueueing the outbox publisher failed")
