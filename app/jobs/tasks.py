"""The job runner's own tasks: run a job, and hand jobs whose worker died to another one."""

from __future__ import annotations

from app.jobs import runner
from app.jobs.queue import every, huey


@huey.task()
def run_job(job_id: str, attempt: int) -> None:
    """Run one attempt of a job (see app/jobs/runner.py)."""
    runner.execute(job_id, attempt)


@every("JOBS_REAP_SECONDS")
def requeue_stale_jobs() -> int:
    """Re-queue running jobs whose heartbeat stopped (their worker was killed); returns how many."""
    again = runner.stale_jobs()
    for job_id, attempt in again:
        run_job(job_id, attempt)
    return len(again)
