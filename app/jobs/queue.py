"""The job runner: one Huey queue per installation, on SQLite by default, on Redis in production.

Domains declare their work where it belongs (``app/<domain>/tasks.py``, found by
``init_app``)::

    from app.jobs.queue import every, huey

    @huey.task()
    def send_statement(statement_id: int) -> None: ...

    @every(5)  # seconds, or the name of a config key holding them
    def release_expired_holds() -> None: ...

Every task runs inside the Flask app's context with a fresh database session. ``every`` is
for work that must run more often than a crontab's minute: each consumer's scheduler thread
claims the current time slot in the queue's storage (an insert that only one consumer wins),
so with any number of consumers the task is enqueued once per slot. The task still has to be
safe to run twice at once (a slow run overlapping the next slot): make it a conditional update.

Backends: ``SqliteHuey`` on its own file in the instance folder (never the main database, so
the queue never waits for an import's write lock), or ``PriorityRedisHuey`` on ``REDIS_URL``.
``JOBS_BACKEND`` (``sqlite`` or ``redis``) forces one, ``JOBS_REDIS_URL`` puts the queue on
another Redis than ``REDIS_URL``; ``JOBS_QUEUE`` names the queue.
"""

from __future__ import annotations

import importlib
import logging
import math
import pkgutil
import time
from collections.abc import Callable
from importlib.util import find_spec
from typing import Any

from flask import Flask
from huey import Huey
from huey.consumer import Consumer, Scheduler
from huey.storage import MemoryStorage, PriorityRedisStorage, SqliteStorage

from app.extensions import db

log = logging.getLogger(__name__)


class AppHuey(Huey):
    """Huey whose storage comes from the app's config and whose tasks run in the app's context."""

    def __init__(self) -> None:
        # In memory until init_app picks the real storage (importing a tasks module needs no config).
        super().__init__("oneshelf", results=False, storage_class=MemoryStorage)
        self.app: Flask | None = None
        self.frequent: dict[str, tuple[Any, float | str]] = {}

    def execute(self, task, timestamp=None):
        """Run a task inside an app context; the session is closed afterwards, whatever happened."""
        app = self.app or _create_app()
        with app.app_context():
            try:
                return super().execute(task, timestamp)
            finally:
                db.session.remove()


huey = AppHuey()


def _create_app() -> Flask:
    """A consumer started outside ``flask jobs worker`` builds the app once, from the environment."""
    from app import create_app

    return create_app()


def init_app(app: Flask) -> None:
    """Point the queue at this app's storage and import every domain's ``tasks`` module."""
    config = app.config
    backend = config.get("JOBS_BACKEND") or ("redis" if config.get("REDIS_URL") else "sqlite")
    name = config.get("JOBS_QUEUE") or "oneshelf"
    if backend == "redis":
        url = config.get("JOBS_REDIS_URL") or config.get("REDIS_URL")
        if not url:
            raise RuntimeError("JOBS_BACKEND=redis needs REDIS_URL (or JOBS_REDIS_URL).")
        storage = PriorityRedisStorage(name, url=url)
    elif backend == "sqlite":
        storage = SqliteStorage(name, filename=config["JOBS_SQLITE_PATH"], timeout=30)
    else:
        raise RuntimeError(f"JOBS_BACKEND must be sqlite or redis, not {backend!r}.")
    huey.storage.close()
    huey.name, huey.storage, huey.app = name, storage, app
    discover_tasks()
    # Huey logs every task it runs at INFO: the sweepers alone would fill the log. Failures still show.
    logging.getLogger("huey").setLevel(logging.WARNING)
    logging.getLogger("huey.consumer").setLevel(logging.INFO)
    logging.getLogger("huey.consumer.Scheduler").setLevel(logging.WARNING)


def discover_tasks() -> None:
    """Import ``app.<domain>.tasks`` for every domain that has one (they register on import)."""
    import app as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.ispkg and find_spec(f"app.{module.name}.tasks") is not None:
            importlib.import_module(f"app.{module.name}.tasks")


def every(seconds: float | str, **settings: Any) -> Callable:
    """Declare a task that the consumers enqueue once every ``seconds`` (a number or a config key).

    Runs jump the queue (high priority) and expire when a backlog kept them waiting past the
    next slot, so a busy queue does not pile them up.
    """

    def decorator(func: Callable):
        task = huey.task(priority=100, **settings)(func)
        huey.frequent[task.task_class.__name__] = (task, seconds)
        return task

    return decorator


def _interval(seconds: float | str) -> float:
    if isinstance(seconds, str):
        app = huey.app or _create_app()
        return float(app.config[seconds])
    return float(seconds)


class FrequentScheduler(Scheduler):
    """Huey's scheduler, plus the ``every`` tasks: one claim per time slot across all consumers."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._tried: dict[str, int] = {}

    def loop(self, now=None):
        try:
            if self.periodic:
                enqueue_frequent(self._tried)
        except Exception:  # noqa: BLE001 - the storage may be down for a moment; next second retries
            self._logger.exception("enqueueing frequent tasks failed")
        return super().loop(now)


def enqueue_frequent(tried: dict[str, int]) -> int:
    """Enqueue each ``every`` task whose current slot no consumer has claimed yet; returns how many."""
    enqueued = 0
    for name, (task, seconds) in list(huey.frequent.items()):
        interval = _interval(seconds)
        slot = math.floor(time.time() / interval)
        if tried.get(name) == slot:
            continue
        tried[name] = slot
        if huey.storage.put_if_empty(f"every.{name}.{slot}", b"1"):
            task.schedule(delay=0, expires=max(interval * 2, 2))
            # Slots a few back can no longer be claimed (every consumer has moved on).
            huey.storage.delete_data(f"every.{name}.{slot - 4}")
            enqueued += 1
    return enqueued


class JobConsumer(Consumer):
    """The consumer with the ``every`` scheduler."""

    scheduler_class = FrequentScheduler


class InProcessConsumer(JobConsumer):
    """A consumer inside a server process: no signal handlers (the server owns them)."""

    def _set_signal_handlers(self) -> None:
        """The web server handles the process's signals."""


def _gevent_patched() -> bool:
    try:
        from gevent import monkey
    except ImportError:  # pragma: no cover - gevent is a dependency
        return False
    return monkey.is_module_patched("threading")


def start_in_process(app: Flask, workers: int | None = None, periodic: bool = True) -> InProcessConsumer:
    """Start a consumer inside this process (threads; greenlets when gevent patched the process)."""
    huey.app = app
    consumer = InProcessConsumer(
        huey,
        workers=workers or app.config["JOBS_WORKERS"],
        periodic=periodic,
        worker_type="greenlet" if _gevent_patched() else "thread",
        check_worker_health=False,
        max_delay=1.0,
    )
    consumer.start()
    return consumer
