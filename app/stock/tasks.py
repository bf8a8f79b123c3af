"""Stock's periodic work on the job runner: release holds whose time ran out."""

from __future__ import annotations

import logging

from app.db import begin_write
from app.extensions import db
from app.jobs.queue import every
from app.stock import reservations

log = logging.getLogger(__name__)


@every("HOLDS_SWEEP_SECONDS")
def release_expired_holds() -> int:
    """Release every hold whose time ran out (each release is a conditional update); returns how many."""
    begin_write(db.session)
    released = reservations.expire_due()
    db.session.commit()
    if released:
        log.info("released %d expired hold(s)", released)
    return released
