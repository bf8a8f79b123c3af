"""``flask analytics rebuild``: count a range of the stores' days again (after an upgrade or a merge)."""

from __future__ import annotations

from datetime import timedelta

import click
from flask.cli import AppGroup

from app.analytics import rollup

analytics_cli = AppGroup("analytics", help="Scan analytics.")


@analytics_cli.command("rebuild")
@click.option("--days", type=click.IntRange(1, 3660), default=90, show_default=True, help="How many days back.")
def rebuild_command(days: int) -> None:
    """Count the last DAYS days of every store again from its scans and orders."""
    total = 0
    for location in rollup.stores():
        last = rollup.today(location)
        day = last - timedelta(days=days - 1)
        while day <= last:
            rollup.refresh(location, day)  # one day at a time, each written in a short transaction
            day += timedelta(days=1)
            total += 1
    click.echo(f"Counted {total} store-days again.")
