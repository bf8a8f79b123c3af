"""Run work in the background and report its progress.

Progress lives in memory while a job runs (cheap to update many times a second, and it
never needs the database's write lock, which an import holds); the row records the start
and the outcome.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import marshmallow as ma
from flask import Flask, current_app, url_for

from app.db import utcnow
from app.errors import NotFound
from app.extensions import db, socketio
from app.jobs.models import Job

log = logging.getLogger(__name__)
Report = Callable[[int, int], None]
# job id -> (done, total) while the job runs in this process
_progress: dict[str, tuple[int, int]] = {}
_lock = threading.Lock()


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


def create_job(kind: str, total: int) -> Job:
    """A queued job row; start it with run_in_background after the commit."""
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
    """The job as the API shows it, with live progress when it runs here."""
    done, total = _progress.get(job.id, (job.done, job.total))
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


def run_in_background(
    job_id: str, work: Callable[[Report], dict[str, Any] | tuple[dict[str, Any], bytes, str]]
) -> None:
    """Run ``work(report)`` in a background task with its own app context and session.

    ``work`` returns a result dict, or (result, file bytes, file extension).
    """
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    socketio.start_background_task(_run, app, job_id, work)


def _run(app: Flask, job_id: str, work) -> None:
    with app.app_context():
        job = db.session.get(Job, job_id)
        job.status = "running"
        db.session.commit()
        _progress[job_id] = (0, job.total)

        def report(done: int, total: int) -> None:
            with _lock:
                _progress[job_id] = (done, total)

        try:
            outcome = work(report)
            db.session.commit()
        except Exception as error:  # noqa: BLE001 - the job must end as failed, whatever happened
            db.session.rollback()
            log.exception("job %s failed", job_id)
            _finish(job_id, "failed", message=getattr(error, "message", None) or "The job failed; nothing was written.")
            return
        file_name = None
        if isinstance(outcome, tuple):
            outcome, data, ext = outcome
            file_name = f"{job_id}.{ext}"
            folder = Path(app.config["JOBS_PATH"])
            folder.mkdir(parents=True, exist_ok=True)
            tmp = folder / (file_name + ".part")
            tmp.write_bytes(data)
            os.replace(tmp, folder / file_name)
        _finish(job_id, "done", result=outcome, file_name=file_name)


def _finish(job_id: str, status: str, **fields: Any) -> None:
    job = db.session.get(Job, job_id)
    done, total = _progress.pop(job_id, (job.done, job.total))
    job.status = status
    job.done, job.total = (total, total) if status == "done" else (done, total)
    job.finished_at = utcnow()
    for name, value in fields.items():
        setattr(job, name, value)
    db.session.commit()


def start_import(kind: str, total: int, import_csv: Callable[..., dict[str, Any]], text: str, mode: str) -> Job:
    """Run ``import_csv(text, mode, report)`` as a job; with mode "all" a bad row means nothing is written."""
    job = create_job(kind, total)
    job_id = job.id
    db.session.commit()

    def work(report: Report) -> dict[str, Any]:
        result = import_csv(text, mode, report)
        if result["errors"] and mode == "all":
            # Nothing written; the job still ends "done" and lists the errors.
            db.session.rollback()
        return result

    run_in_background(job_id, work)
    return job
