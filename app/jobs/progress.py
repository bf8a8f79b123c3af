"""Live progress and heartbeats of running jobs, kept in the queue's storage.

Every process sees the queue's storage (its own SQLite file, or Redis), and writing there
never waits for the main database's write lock, which an import holds for its whole run.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass

from huey.constants import EmptyData

from app.jobs.queue import huey


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    attempt: int
    beat: float  # time.time() of the last sign of life


def _key(job_id: str, attempt: int) -> str:
    # One key per attempt: a superseded attempt still running cannot pass for the current one.
    return f"job.{job_id}.{attempt}"


def write(job_id: str, done: int, total: int, attempt: int) -> None:
    """Record how far this attempt of the job is, and that its worker is alive now."""
    value = {"done": done, "total": total, "attempt": attempt, "beat": time.time()}
    huey.storage.put_data(_key(job_id, attempt), json.dumps(value).encode())


def read(job_id: str, attempt: int) -> Progress | None:
    """The last recorded progress of this attempt, from whichever process runs it."""
    raw = huey.storage.peek_data(_key(job_id, attempt))
    if raw is EmptyData:
        return None
    return Progress(**json.loads(bytes(raw)))


def forget(job_id: str, attempt: int) -> None:
    huey.storage.delete_data(_key(job_id, attempt))


class Tracker:
    """Progress of one running job: ``report(done, total)`` is cheap; a thread writes it every beat.

    ``report`` also writes (at most once a beat) so that a job that never yields, a CPU-bound
    render under gevent, still shows progress and a heartbeat.
    """

    def __init__(self, job_id: str, total: int, attempt: int, interval: float) -> None:
        self.job_id, self.attempt, self.interval = job_id, attempt, interval
        self.done, self.total = 0, total
        self._written = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"job-{job_id[:8]}-heartbeat", daemon=True)

    def __enter__(self) -> Tracker:
        self._flush()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=self.interval * 2)

    def report(self, done: int, total: int) -> None:
        """The work's progress callback."""
        self.done, self.total = done, total
        if time.monotonic() - self._written >= self.interval:
            self._flush()

    def _flush(self) -> None:
        with self._lock:
            self._written = time.monotonic()
            write(self.job_id, self.done, self.total, self.attempt)

    def _beat(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._flush()
            except Exception:  # noqa: BLE001 - a missed beat is retried at the next one
                pass
