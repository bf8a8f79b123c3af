"""Analytics' periodic work on the job runner: count the stores' recent days again."""

from __future__ import annotations

from app.analytics import rollup
from app.jobs.queue import every


@every("ANALYTICS_ROLLUP_SECONDS")
def roll_up_recent_scans() -> int:
    """Today and yesterday of every store, counted again from scans and orders; returns store-days."""
    return rollup.refresh_recent()
