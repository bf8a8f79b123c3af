"""A job run by the job runner: its status and outcome (live progress is in the queue's storage)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, deferred, mapped_column

from app.db import UTCDateTime, utcnow
from app.extensions import db

JOB_STATUSES = ("queued", "running", "done", "failed")


class Job(db.Model):
    __tablename__ = "jobs"

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default="queued")
    done: Mapped[int] = mapped_column(default=0)
    total: Mapped[int] = mapped_column(default=0)
    message: Mapped[str] = mapped_column(String(500), default="")
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    file_name: Mapped[str | None] = mapped_column(String(200))
    # What the worker needs to (re)run the job: {"work": "module:function", "args": {...}};
    # cleared when the job ends. Deferred: a status poll never loads an import's whole file.
    params: Mapped[dict[str, Any] | None] = deferred(mapped_column(JSON))
    # Bumped each time the job is handed to a worker again; a worker finishes only its own attempt.
    attempts: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
