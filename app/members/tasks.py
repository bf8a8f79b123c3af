"""Members' periodic work on the job runner: earned points past POINTS_EXPIRE_DAYS expire."""

from __future__ import annotations

import logging

from app.db import begin_write
from app.extensions import db
from app.jobs.queue import every
from app.members import points

log = logging.getLogger(__name__)


@every("POINTS_EXPIRE_SECONDS")
def expire_points() -> int:
    """End what is left of every earned entry past its date (app.members.points); returns the points gone."""
    gone = 0
    for member_id in points.members_with_points_due():
        db.session.rollback()
        try:
            begin_write(db.session)
            gone += points.expire_member(member_id)  # nothing twice: an ended entry is not due again
            db.session.commit()
        except Exception:  # noqa: BLE001 - one member's trouble must not stop the others; retried next run
            db.session.rollback()
            log.exception("expiring points of member %s failed", member_id)
    if gone:
        log.info("%d point(s) expired", gone)
    return gone
