"""Job-runner wiring (found by app.jobs.queue): send soon after the commit that added deliveries, and sweep.

The sweep is what makes delivery durable: a task lost with its worker, a retry whose back-off
ended, and a claim whose worker died are all picked up by it within ``WEBHOOK_SWEEP_SECONDS``.
"""

from __future__ import annotations

import logging
import time

from app.jobs.queue import every, huey
from app.webhooks import delivery, services

log = logging.getLogger(__name__)


BUDGET_SECONDS = 30.0


def deliver_all(budget_seconds: float = BUDGET_SECONDS) -> int:
    """Send batches until nothing is due (or the budget is spent); returns how many were attempted.

    One batch holds at most one delivery per resource and endpoint (their order), so a burst of
    events about a few resources takes several batches.
    """
    attempted, end = 0, time.monotonic() + budget_seconds
    while time.monotonic() < end:
        sent = delivery.deliver_due()
        if not sent:
            break
        attempted += sent
    return attempted


@huey.task()
def deliver_due_task() -> int:
    """Send every delivery due now; returns how many were attempted."""
    return deliver_all()


@every("WEBHOOK_SWEEP_SECONDS")
def deliver_due_sweep() -> int:
    """Send what is due (retries, and anything an enqueued task missed)."""
    return deliver_all()


@services.deliveries_added.connect
def _enqueue_after_commit(sender, **_: object) -> None:
    """After a commit that added deliveries, ask a worker to send them."""
    try:
        deliver_due_task()
    except Exception:  # noqa: BLE001 - the commit stands; the sweep sends them a few seconds later
        log.exception("could not enqueue webhook deliveries")
