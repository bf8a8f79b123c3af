"""The production entry point: ``gunicorn -k <worker> -w 1 app.wsgi:app`` (what `make serve` runs).

One gunicorn worker per process: a Socket.IO client must keep talking to the process that
holds its session, and gunicorn does not route by session. For more capacity run several
processes (one port each) behind a proxy with sticky sessions, all on one DATABASE_URL and
one REDIS_URL (the Socket.IO message queue, so an event emitted in one process reaches the
clients of every process). See the README, "Production server".

The async mode comes from SOCKETIO_ASYNC_MODE (default ``gevent``) and must match the worker:

- ``gevent`` (`make serve`): ``-k geventwebsocket.gunicorn.workers.GeventWebSocketWorker``,
  websockets by gevent-websocket. (python-engineio's gevent mode uses gevent-websocket whenever
  it is installed, so ``-k gevent`` with simple-websocket is only possible without it.)
- ``threading``: ``-k gthread --threads N`` with N above the number of clients plus requests,
  websockets by simple-websocket; a thread per client, slower (see bench/bench_stock.py).

Under gevent the standard library must be monkey-patched before anything else is imported.
That cannot happen in this module: Python imports the package ``app`` (Flask, Redis, ssl...)
before it. gunicorn's gevent workers patch in the worker process before they import the app,
which is what `make serve` relies on; this module refuses to start in gevent mode unpatched
(a sync or gthread worker, or ``--preload``) rather than run half-patched. psycopg (3.2+)
checks at import whether ``select`` is patched and then waits for PostgreSQL cooperatively,
so a slow query does not stop the other requests of the process. SQLite calls block the
process while they run, which is fine for one process; several processes belong on PostgreSQL.
"""

from __future__ import annotations

import logging
import os

from app import create_app
from app.config import Config
from app.jobs.queue import start_in_process
from app.kiosks.presence import start_watch

log = logging.getLogger(__name__)

ASYNC_MODE = os.environ.get("SOCKETIO_ASYNC_MODE") or "gevent"


def _check_patched() -> None:
    """In gevent mode, refuse to run unless the worker monkey-patched before importing the app."""
    if ASYNC_MODE not in ("gevent", "gevent_uwsgi"):
        return
    from gevent import monkey

    if not monkey.is_module_patched("socket"):
        raise RuntimeError(
            "app.wsgi: SOCKETIO_ASYNC_MODE=gevent needs a gevent worker, which monkey-patches before it imports "
            "the app: gunicorn -k geventwebsocket.gunicorn.workers.GeventWebSocketWorker -w 1 app.wsgi:app "
            "(see `make serve`), without --preload. For a gthread worker set SOCKETIO_ASYNC_MODE=threading."
        )


def _database_wait() -> str:
    """How psycopg waits for PostgreSQL in this process (``wait_poll`` once gevent patched ``select``)."""
    try:
        from psycopg import waiting
    except ImportError:  # pragma: no cover - psycopg is a dependency
        return "psycopg missing"
    return getattr(waiting.wait, "__name__", repr(waiting.wait))


def build_app():
    """The app with the async mode of this process, and (unless JOBS_IN_PROCESS=0) a job consumer."""
    _check_patched()
    config = Config()
    config.SOCKETIO_ASYNC_MODE = ASYNC_MODE
    application = create_app(config)
    # gevent-websocket logs every request at INFO through its own logger (gunicorn's
    # --access-logfile does not see them); like gunicorn by default, keep no access log.
    logging.getLogger("geventwebsocket.handler").setLevel(logging.WARNING)
    if application.config["JOBS_IN_PROCESS"]:
        # A single-process install runs its jobs here (greenlets under gevent); with separate
        # `make worker` processes, set JOBS_IN_PROCESS=0.
        start_in_process(application)
    start_watch(application)
    log.info(
        "Oneshelf worker pid %d: Socket.IO async mode %s, database %s (psycopg %s), message queue %s, jobs %s",
        os.getpid(),
        ASYNC_MODE,
        application.config["SQLALCHEMY_DATABASE_URI"].split("://", 1)[0],
        _database_wait(),
        "redis" if application.config.get("REDIS_URL") else "none (one process only)",
        application.config["JOBS_BACKEND"] + (" (in this process)" if application.config["JOBS_IN_PROCESS"] else ""),
    )
    return application


# Imported once per worker process (`make serve` does not --preload): one app, one job consumer each.
app = build_app()
