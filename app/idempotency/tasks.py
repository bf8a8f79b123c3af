"""Forget old idempotency answers, every minute, on the job runner."""

from __future__ import annotations

from huey import crontab

from app.db import begin_write
from app.extensions import db
from app.idempotency import services
from app.jobs.queue import huey


@huey.periodic_task(crontab(minute="*"))
def purge_idempotency_keys() -> int:
    """Delete answers older than a day; returns how many."""
    begin_write(db.session)
    purged = services.purge_expired()
    db.session.commit()
    return purged
