"""Helpers for the job-runner tests: a store with many labels, waiting on a job, a worker process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.live_server import ROOT

HEADER = "sku,name,price,currency,barcode,category,description,image,active\n"


def product_csv(count: int, prefix: str = "P") -> str:
    return HEADER + "".join(f"{prefix}-{n:05d},Product {n},{1 + n % 90}.50,CNY,,Tea,,,true\n" for n in range(count))


@pytest.fixture
def store_with_labels(app, client, admin_headers, make_location):
    """A store whose ``count`` products each have a shelf label (imported in one request)."""

    def make(count: int):
        store = make_location(code="BIG")
        app.config["IMPORT_SYNC_LIMIT"] = count + 1
        response = client.post(
            "/api/v1/products/import", data=product_csv(count).encode(), content_type="text/csv", headers=admin_headers
        )
        assert response.status_code == 200 and response.json["created"] == count, response.json
        return store

    return make


def wait_job(client, url: str, headers: dict, until: Callable[[dict], bool], timeout: float = 60) -> dict:
    """Poll a job's status URL until ``until(job)``; fail with the last answer otherwise."""
    deadline = time.monotonic() + timeout
    job: dict = {}
    while time.monotonic() < deadline:
        job = client.get(url, headers=headers).json
        if until(job):
            return job
        time.sleep(0.02)
    pytest.fail(f"gave up waiting on the job: {job}")


def ended(job: dict) -> bool:
    return job["status"] in ("done", "failed")


class WorkerProcess:
    """``flask --app app jobs worker`` in a subprocess, on the test app's database and queue."""

    def __init__(self, app, log: Path, **env: str) -> None:
        self.env = {
            **os.environ,
            "INSTANCE_PATH": app.config["INSTANCE_PATH"],
            "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
            "JOBS_SQLITE_PATH": app.config["JOBS_SQLITE_PATH"],
            "JOBS_QUEUE": app.config["JOBS_QUEUE"],
            "JOBS_BACKEND": "sqlite",
            "PYTHONUNBUFFERED": "1",
            **env,
        }
        self.env.pop("REDIS_URL", None)
        self.log = log
        self.process: subprocess.Popen | None = None

    def start(self) -> WorkerProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "app", "jobs", "worker", "-w", "1"],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        return self

    def kill(self) -> None:
        """SIGKILL: the process dies mid-task, as in a crash or an OOM kill."""
        assert self.process is not None
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


@pytest.fixture
def worker_process(app, tmp_path):
    """Start worker processes with ``start(**env)``; all are stopped after the test."""
    started: list[WorkerProcess] = []

    def start(**env: str) -> WorkerProcess:
        worker = WorkerProcess(app, tmp_path / f"worker-{len(started)}.log", **env).start()
        started.append(worker)
        return worker

    yield start
    for worker in started:
        worker.stop()
