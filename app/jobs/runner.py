"""Run one job on a worker: its work, its file, its outcome; and find jobs whose worker died.

A job's work is a module-level function ``work(report, **args)`` named in the job's row, so
that any worker can run it again. It runs in a fresh session: it starts its write
transaction with ``begin_write`` when it writes, and returns a result dict, or (result, file
bytes, file extension). Its writes and the job's "done" commit together; an exception rolls
both back and the job ends "failed". "database is locked" (another writer held SQLite's lock
past the wait) is no failure: the work is rolled back and run again.

Each run is one *attempt* (``Job.attempts``). A worker that finds its attempt superseded (the
job was handed to another worker because this one looked dead) throws its work away.
"""

from __future__ import annotations

import importlib
import logging
import os
import time
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import OperationalError

from app.db import begin_write, utcnow
from app.extensions import db
from app.jobs import progress
from app.jobs.models import Job

log = logging.getLogger(__name__)
LOCKED_RETRIES = 5


class Superseded(Exception):
    """Another attempt of this job owns it now."""


def is_locked(error: Exception) -> bool:
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def resolve(path: str):
    """``"module:function"`` -> the function."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def execute(job_id: str, attempt: int) -> None:
    """Run attempt ``attempt`` of the job, unless it ended or another attempt owns it."""
    config = current_app.config
    if not _claim(job_id, attempt):
        return
    job = db.session.get(Job, job_id)
    total, params = job.total, job.params or {}
    db.session.rollback()
    with progress.Tracker(job_id, total, attempt, config["JOBS_HEARTBEAT_SECONDS"]) as tracker:
        try:
            _run(job_id, attempt, params, tracker)
        except Superseded:
            db.session.rollback()
            log.warning("job %s attempt %d was superseded; its work is dropped", job_id, attempt)
            progress.forget(job_id, attempt)
            return
        except Exception as error:  # noqa: BLE001 - the job must end as failed, whatever happened
            db.session.rollback()
            log.exception("job %s failed", job_id)
            message = getattr(error, "message", None) or "The job failed; nothing was written."
            try:
                _with_lock_retry(lambda: _finish(job_id, attempt, "failed", tracker.done, total, message=message))
            except Superseded:
                db.session.rollback()
    progress.forget(job_id, attempt)


def _run(job_id: str, attempt: int, params: dict[str, Any], tracker: progress.Tracker) -> None:
    work = resolve(params["work"])
    for tries in range(LOCKED_RETRIES):
        try:
            outcome = work(tracker.report, **params.get("args", {}))
            result, file_name = _store_file(job_id, outcome)
            begin_write(db.session)
            _finish(job_id, attempt, "done", tracker.total, tracker.total, result=result, file_name=file_name)
            return
        except OperationalError as error:
            db.session.rollback()
            if not is_locked(error) or tries == LOCKED_RETRIES - 1:
                raise
            log.warning("job %s: database locked, running its work again", job_id)
            time.sleep(0.5 * (tries + 1))


def _claim(job_id: str, attempt: int) -> bool:
    """Mark the job running for this attempt; False when it ended or belongs to another attempt."""

    def claim() -> bool:
        begin_write(db.session)
        job = db.session.get(Job, job_id)
        if job is None or job.attempts != attempt or job.status not in ("queued", "running"):
            db.session.rollback()
            return False
        # The heartbeat first: a row "running" without one looks dead to the reaper.
        progress.write(job_id, 0, job.total, attempt)
        job.status = "running"
        db.session.commit()
        return True

    return _with_lock_retry(claim)


def _store_file(job_id: str, outcome) -> tuple[dict[str, Any], str | None]:
    """Write the job's file (if it made one) under JOBS_PATH; returns (result, file name)."""
    if not isinstance(outcome, tuple):
        return outcome, None
    result, data, ext = outcome
    file_name = f"{job_id}.{ext}"
    folder = Path(current_app.config["JOBS_PATH"])
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f"{file_name}.{os.getpid()}.part"
    tmp.write_bytes(data)
    os.replace(tmp, folder / file_name)
    return result, file_name


def _finish(job_id: str, attempt: int, status: str, done: int, total: int, **fields: Any) -> None:
    """End the job, in the work's transaction; raises Superseded if another attempt owns it."""
    begin_write(db.session)
    values = {"status": status, "done": done, "total": total, "finished_at": utcnow(), "params": None, **fields}
    ended = db.session.execute(
        update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.status == "running").values(**values)
    )
    if ended.rowcount != 1:
        raise Superseded(job_id)
    db.session.commit()


def _with_lock_retry(step):
    for tries in range(LOCKED_RETRIES):
        try:
            return step()
        except OperationalError as error:
            db.session.rollback()
            if not is_locked(error) or tries == LOCKED_RETRIES - 1:
                raise
            log.warning("database locked by another writer; trying again")
            time.sleep(0.5 * (tries + 1))


def stale_jobs() -> list[tuple[str, int]]:
    """Hand running jobs whose heartbeat stopped to a new attempt, or fail them after the last one.

    Returns the (job id, attempt) pairs to enqueue. The attempt bump is a conditional update,
    so two reapers at once re-queue a job once.
    """
    config = current_app.config
    stale_after, max_attempts = config["JOBS_STALE_SECONDS"], config["JOBS_MAX_ATTEMPTS"]
    now = time.time()
    running = db.session.execute(select(Job.id, Job.attempts).where(Job.status == "running")).all()
    dead = [(job_id, attempt) for job_id, attempt in running if _silent(job_id, attempt, now, stale_after)]
    db.session.rollback()
    again: list[tuple[str, int]] = []
    for job_id, attempt in dead:
        retry = attempt + 1 < max_attempts
        values: dict[str, Any] = {"attempts": attempt + 1}
        if retry:
            values["status"] = "queued"
        else:
            message = (
                f"The job's worker stopped before it finished (attempt {attempt + 1} of {max_attempts}); "
                "nothing was written."
            )
            values.update(status="failed", message=message, finished_at=utcnow(), params=None)

        def requeue(values=values, job_id=job_id, attempt=attempt) -> int:
            begin_write(db.session)
            changed = db.session.execute(
                update(Job).where(Job.id == job_id, Job.attempts == attempt, Job.status == "running").values(**values)
            ).rowcount
            db.session.commit()
            return changed

        if _with_lock_retry(requeue) == 1:
            log.warning(
                "job %s: worker lost during attempt %d; %s", job_id, attempt, "re-queued" if retry else "failed"
            )
            if retry:
                again.append((job_id, attempt + 1))
            progress.forget(job_id, attempt)
    return again


def _silent(job_id: str, attempt: int, now: float, stale_after: float) -> bool:
    beat = progress.read(job_id, attempt)
    return beat is None or now - beat.beat > stale_after
