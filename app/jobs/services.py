"""Start work on the job runner and report its progress.

The job row is the record (queued, running, done or failed; the result and the file); the
work runs as a Huey task on any worker (``app/jobs/runner.py``), and its live progress is in
the queue's storage, where every process sees it (``app/jobs/progress.py``).
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import Any

import marshmallow as ma
from flask import current_app, url_for
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.db import begin_write
from app.errors import NotFound
from app.extensions import db
from app.jobs import progress
from app.jobs.models import Job
from app.jobs.runner import resolve
from app.jobs.tasks import run_job

Report = Callable[[int, int], None]
_TO_ENQUEUE = "oneshelf_jobs_to_enqueue"
log = logging.getLogger(__name__)


class JobOut(ma.Schema):
    id = ma.fields.String()
    kind = ma.fields.String()
    status = ma.fields.String(metadata={"description": "queued, running, done or failed"})
    done = ma.fields.Integer()
    total = ma.fields.Integer()
    percent = ma.fields.Integer()
    message = ma.fields.String()
    result = ma.fields.Dict(allow_none=True)
    file_url = ma.fields.String(allow_none=True)
    status_url = ma.fields.String()


# What each kind of job does, as its page's title says it.
TITLES = {
    "labels_pdf": "Printing labels",
    "product_import": "Importing products",
    "loyalty_import": "Importing loyalty members",
    "stock_snapshot": "Comparing a stock count",
}


def title(job: Job) -> str:
    return TITLES.get(job.kind, "Working")


def create_job(kind: str, total: int) -> Job:
    """A queued job row (use start_job to run one)."""
    job = Job(id=secrets.token_hex(16), kind=kind, total=total)
    db.session.add(job)
    db.session.flush()
    return job


def get_job(job_id: str) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        raise NotFound("job_not_found", f"No job {job_id}.")
    return job


def job_path(job: Job) -> Path:
    return Path(current_app.config["JOBS_PATH"]) / (job.file_name or "")


def job_json(job: Job) -> dict[str, Any]:
    """The job as the API shows it, with live progress while it runs (wherever it runs)."""
    done, total = job.done, job.total
    if job.status == "running" and (live := progress.read(job.id, job.attempts)) is not None:
        done, total = live.done, live.total
    percent = 100 if job.status == "done" else int(100 * done / total) if total else 0
    return {
        "id": job.id,
        "kind": job.kind,
        "status": job.status,
        "done": done,
        "total": total,
        "percent": percent,
        "message": job.message,
        "result": job.result,
        "file_url": url_for("jobs_api.job_file", job_id=job.id) if job.status == "done" and job.file_name else None,
        "status_url": url_for("jobs_api.job_status", job_id=job.id),
    }


def start_job(kind: str, total: int, work: Callable[..., Any], **args: Any) -> Job:
    """Add a queued job to the caller's transaction; a worker gets it once that commits.

    ``work(report, **args)`` runs there: a module-level function (a worker imports it by name)
    returning a result dict, or (result, file bytes, file extension); ``args`` must be JSON.
    Nothing is enqueued before the commit, so the job, and what the caller wrote with it, are
    there before a worker looks, and a rolled-back request leaves no job behind.
    """
    begin_write(db.session)
    job = create_job(kind, total)
    job.params = {"work": f"{work.__module__}:{work.__qualname__}", "args": args}
    db.session.flush()
    db.session.info.setdefault(_TO_ENQUEUE, []).append((job.id, job.attempts))
    return job


def start_import(kind: str, total: int, import_csv: Callable[..., dict[str, Any]], text: str, mode: str) -> Job:
    """Run ``import_csv(text, mode, report)`` as a job; with mode "all" a bad row means nothing is written."""
    importer = f"{import_csv.__module__}:{import_csv.__qualname__}"
    return start_job(kind, total, import_work, importer=importer, text=text, mode=mode)


def import_work(report: Report, importer: str, text: str, mode: str) -> dict[str, Any]:
    """An import job's work: one write transaction, rolled back when mode "all" found errors."""
    begin_write(db.session)
    result = resolve(importer)(text, mode, report)
    if result["errors"] and mode == "all":
        # Nothing written; the job still ends "done" and lists the errors.
        db.session.rollback()
    return result


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    for job_id, attempt in session.info.pop(_TO_ENQUEUE, []):
        try:
            run_job(job_id, attempt)
        except Exception:  # noqa: BLE001 - the job stays queued; the reaper hands it out again
            log.exception("enqueueing job %s failed", job_id)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_TO_ENQUEUE, None)
