"""Payments' work on the job runner: the sandbox provider's notifications, and the daily reconciliation."""

from __future__ import annotations

import logging

from huey import crontab

from app.jobs.queue import every, huey
from app.payments.sandbox_provider import notify

log = logging.getLogger(__name__)


@huey.task()
def send_notifications() -> int:
    """Send the sandbox provider's notifications due now (queued right after a charge)."""
    return notify.deliver_due()


@every(5)
def send_notifications_sweep() -> int:
    """Send what is due: retries after a failure, and any a queued task missed."""
    return notify.deliver_due()


@huey.periodic_task(crontab(hour="1", minute="30"))
def reconcile_yesterday() -> int:
    """Compare yesterday's provider statement with our payments; record the mismatches found (an event, a log line)."""
    from app.db import begin_write
    from app.extensions import db
    from app.outbox import services as outbox
    from app.payments import reconciliation
    from app.payments.reconciliation_api import yesterday

    report = reconciliation.reconcile_day(yesterday())
    found = report["mismatches"]
    if found:
        log.warning("card reconciliation of %s: %d mismatch(es)", report["day"], len(found))
        begin_write(db.session)
        outbox.record("payment.reconciliation_mismatches", f"reconciliation:{report['day']}", report)
        db.session.commit()
    return len(found)
