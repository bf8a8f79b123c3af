"""``flask jobs worker``: run a job-runner consumer (label PDFs, imports, sweepers, outbox)."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

from app.jobs.queue import JobConsumer, huey

jobs_cli = AppGroup("jobs", help="The job runner.")


@jobs_cli.command("worker")
@click.option("-w", "--workers", type=int, default=None, help="Worker threads (default JOBS_WORKERS).")
@click.option("--no-periodic", is_flag=True, help="Run enqueued tasks only; another consumer runs the periodic ones.")
def worker_command(workers: int | None, no_periodic: bool) -> None:
    """Run a consumer in the foreground until SIGINT (finish running tasks) or SIGTERM."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    huey.app = app
    count = workers or app.config["JOBS_WORKERS"]
    click.echo(f"Job worker: {count} thread(s) on the {app.config['JOBS_BACKEND']} queue {huey.name!r}.")
    JobConsumer(huey, workers=count, periodic=not no_periodic, max_delay=1.0).run()
