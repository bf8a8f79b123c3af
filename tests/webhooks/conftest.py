"""A real HTTP receiver on 127.0.0.1, and a way to publish domain events as the app does."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


class Receiver:
    """Answers each event's first ``failures`` deliveries with ``fail_status``, later ones with 200.

    ``script`` (a list of statuses) overrides that: one status per request, the last one repeated.
    """

    def __init__(self) -> None:
        self.requests: list[Received] = []
        self.failures = 0
        self.fail_status = 500
        self.script: list[int] | None = None
        self._seen: Counter[str] = Counter()
        self._lock = threading.Lock()
        # hold(): the next request waits (its sender sees no answer) until release().
        self._hold = False
        self.arrived = threading.Event()
        self._released = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                if receiver._hold:
                    receiver._hold = False
                    receiver.arrived.set()
                    receiver._released.wait(30)
                status = receiver._answer(self.headers.get("webhook-id", ""))
                receiver.requests.append(
                    Received(self.path, {k.lower(): v for k, v in self.headers.items()}, body, status)
                )
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                try:
                    self.wfile.write(b"ok thanks" if status < 300 else b"receiver says no " * 50)
                except OSError:
                    pass  # the sender is gone

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def _answer(self, webhook_id: str) -> int:
        with self._lock:
            if self.script is not None:
                return self.script.pop(0) if len(self.script) > 1 else self.script[0]
            self._seen[webhook_id] += 1
            return self.fail_status if self._seen[webhook_id] <= self.failures else 200

    def hold(self) -> None:
        self._hold = True

    def release(self) -> None:
        self._released.set()

    def acknowledged(self) -> Counter[str]:
        """How many 2xx answers each webhook-id got."""
        return Counter(r.headers["webhook-id"] for r in self.requests if 200 <= r.answered < 300)

    def close(self) -> None:
        self.release()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def publish(db):
    """Record an event, commit, publish, commit: what a service and the publisher do."""
    from app.outbox import services as outbox

    def publish_event(event_type: str = "order.paid", resource: str = "order:SH-1", data: dict | None = None):
        row = outbox.record(event_type, resource, data or {"number": resource.split(":")[-1]})
        db.session.commit()
        outbox.publish_pending()
        db.session.commit()
        return row.uid

    return publish_event


@pytest.fixture
def make_endpoint(db, receiver):
    from app.webhooks import services

    def make(url: str | None = None, events: list[str] | None = None):
        endpoint = services.create_endpoint(url or receiver.url, events or [], "ERP")
        db.session.commit()
        return endpoint

    return make
