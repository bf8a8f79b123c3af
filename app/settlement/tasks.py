"""Close settlement cycles on schedule, on the job runner: every hour, whatever has ended is closed."""

from __future__ import annotations

from huey import crontab

from app.db import begin_write
from app.extensions import db
from app.jobs.queue import huey
from app.settlement import statements


@huey.periodic_task(crontab(minute="5"))
def close_settlement_cycles() -> int:
    """Close every merchant's ended cycle (midnight in SETTLEMENT_TIMEZONE); returns the statements made."""
    begin_write(db.session)
    made = sum(len(statements.statements_in(batch)) for batch in statements.close_due())
    db.session.commit()
    return made
