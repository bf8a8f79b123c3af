"""Sending the outbox to the server over Socket.IO, one row at a time, in order.

The kiosk connects to the ``/live`` namespace with ``auth={"token": ...}`` (websocket first,
long-polling if that fails) and sends each waiting row as a ``kiosk:scan`` event with an
acknowledgement. The next row goes only once the previous one is acknowledged. A lost connection
or a missing answer leaves the row waiting: it is sent again, with the same id, after the
connection is back (the server records each id once). The connection is retried for ever,
with a back-off of at most ``max_backoff`` seconds.
"""

from __future__ import annotations

import ast
import logging
import re
import threading
import time
from typing import Any

import socketio

from kiosk.outbox import Counts, Entry, Outbox

log = logging.getLogger("kiosk")
NAMESPACE = "/live"
SCAN_EVENT = "kiosk:scan"
# Error codes meaning the device token is unknown or revoked: nothing will get through.
REFUSED = ("unauthorized", "invalid_token")
# While the server cannot be reached, say so once a minute (every attempt is logged with -v).
REMIND_SECONDS = 60.0


class DeviceRefused(Exception):
    """The server does not accept this kiosk's token."""


class Unreachable(Exception):
    """No connection, a lost connection or no answer in time: worth trying again."""


def refusal(data: Any) -> str | None:
    """The server's reason if ``data`` (a connect error or an error ack) refuses the device, else None."""
    if not isinstance(data, dict):
        return None
    message = data.get("message")
    if isinstance(message, str) and message.startswith("{"):
        # python-socketio sends ConnectionRefusedError({...}) as {"message": "{'code': ...}"}.
        try:
            message = ast.literal_eval(message)
        except (ValueError, SyntaxError):
            pass
    for value in (data, data.get("data"), data.get("error"), message):
        if isinstance(value, dict) and value.get("code") in REFUSED:
            return f"{value['code']}: {value.get('message', '')}".rstrip(": ")
    if isinstance(message, str) and any(code in message for code in REFUSED):
        return message
    return None


def short_reason(error: BaseException) -> str:
    """The gist of a connection error (urllib3's are a paragraph long)."""
    text = str(error) or type(error).__name__
    found = re.search(r"\[Errno -?\d+\] ([^'\")]+)", text)
    return found[1].strip() if found else text[:160]


def describe(result: Any) -> str:
    """A few words on what the server made of a scan, for the log."""
    if not isinstance(result, dict):
        return "recorded"
    kind = result.get("kind", "recorded")
    product = result.get("product")
    if kind == "product" and isinstance(product, dict):
        return f"product {product.get('sku')} {product.get('name', '')}".strip()
    return str(kind)


class Sender:
    """Sends the outbox's waiting rows in a background thread until stopped or refused."""

    def __init__(
        self, outbox: Outbox, server: str, token: str, *, ack_timeout: float = 10.0, max_backoff: float = 2.0
    ) -> None:
        self.outbox = outbox
        self.server = server
        self.token = token
        self.ack_timeout = ack_timeout
        self.max_backoff = max_backoff
        # Set when the server refused the token; the reason is kept in ``refused``.
        self.refused: str | None = None
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._progress = threading.Condition()
        self._client: socketio.Client | None = None
        self._counts_lock = threading.Lock()
        self._last_counts: Counts | None = None
        self._down_since: float | None = None
        self._reminded = 0.0
        self._thread = threading.Thread(target=self._run, name="kiosk-sender", daemon=True)

    # ---- used by the program -----------------------------------------------------------

    def start(self) -> None:
        """Start sending in the background."""
        self.log_counts()
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop sending (rows not acknowledged yet stay waiting) and close the connection."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)
        self._drop()

    def wake(self) -> None:
        """A row was added: send it now rather than at the next look."""
        self.log_counts()
        self._wake.set()

    def wait_until_sent(self, timeout: float | None = None) -> bool:
        """Wait until no row is waiting; False if refused, stopped or ``timeout`` seconds passed first."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._progress:
            while True:
                if self.refused or not self._thread.is_alive():
                    return False
                if self.outbox.counts().waiting == 0:
                    return True
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._progress.wait(0.5 if left is None else min(0.5, left))

    def log_counts(self) -> Counts:
        """Log the outbox's counts when the number waiting has changed since the last time."""
        with self._counts_lock:
            counts = self.outbox.counts()
            if self._last_counts is None or counts.waiting != self._last_counts.waiting:
                log.info("outbox: %s", counts)
            self._last_counts = counts
            return counts

    # ---- the sending thread ------------------------------------------------------------

    def _run(self) -> None:
        delay = 0.0
        while not self._stop.is_set():
            try:
                if self._client is None or not self._client.connected:
                    self._connect()
                    self._back_up()
                delay = 0.0
                self._send_waiting()
                self._wake.wait(0.5)
                self._wake.clear()
            except DeviceRefused as error:
                self.refused = str(error) or "refused"
                log.error("the server refused this kiosk's token (%s); the scans stay in the outbox", self.refused)
                break
            except Unreachable as error:
                delay = min(self.max_backoff, max(0.25, delay * 2))
                self._trouble(error)
                self._drop()
                self._stop.wait(delay)
            except Exception:  # noqa: BLE001 - the sender must outlive a surprise; it is logged in full
                delay = self.max_backoff
                log.exception("sending failed unexpectedly; trying again in %.2g s", delay)
                self._drop()
                self._stop.wait(delay)
            finally:
                self._notify()
        self._drop()
        self._notify()

    def _trouble(self, error: Unreachable) -> None:
        """Log a connection problem: the first one, then a reminder a minute, the rest only with -v."""
        now = time.monotonic()
        if self._down_since is None:
            self._down_since = self._reminded = now
            log.warning("%s; trying again every %g s at most", error, self.max_backoff)
        elif now - self._reminded >= REMIND_SECONDS:
            self._reminded = now
            waiting = self.outbox.counts().waiting
            log.warning("%s, for %.0f s now; %d scan(s) waiting", error, now - self._down_since, waiting)
        else:
            log.debug("%s", error)

    def _back_up(self) -> None:
        if self._down_since is not None:
            log.info("the server answers again after %.1f s", time.monotonic() - self._down_since)
        self._down_since = None

    def _notify(self) -> None:
        with self._progress:
            self._progress.notify_all()

    def _connect(self) -> None:
        """A new connection (websocket, else long-polling then upgrade); raises DeviceRefused or Unreachable."""
        self._drop()
        problem = "no answer"
        for transports in (["websocket"], ["polling", "websocket"]):
            client = socketio.Client(reconnection=False)
            errors: list[Any] = []
            client.on("connect_error", lambda data=None, errors=errors: errors.append(data), namespace=NAMESPACE)
            try:
                client.connect(
                    self.server,
                    namespaces=[NAMESPACE],
                    auth={"token": self.token},
                    transports=transports,
                    wait_timeout=5,
                )
            except socketio.exceptions.ConnectionError as error:
                _quietly_disconnect(client)
                reason = next((r for r in map(refusal, errors) if r), None)
                if reason:
                    raise DeviceRefused(reason) from error
                problem = short_reason(error)
                continue
            self._client = client
            log.info("connected to %s (%s)", self.server, client.transport())
            return
        raise Unreachable(f"cannot reach {self.server}: {problem}")

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _quietly_disconnect(client)

    def _send_waiting(self) -> None:
        """Send waiting rows, oldest first, each after the previous one is acknowledged."""
        while not self._stop.is_set():
            entry = self.outbox.next_waiting()
            if entry is None:
                return
            self.outbox.count_attempt(entry.seq)
            try:
                ack = self._call(entry.message())
            except Unreachable as error:
                self.outbox.note_error(entry.seq, str(error))
                raise
            self._settle(entry, ack)
            self.log_counts()
            self._notify()

    def _call(self, message: dict[str, Any]) -> Any:
        """Emit one scan and wait for its ack: ``Client.call``, except that a lost connection ends the wait."""
        client = self._client
        if client is None or not client.connected:
            raise Unreachable("not connected")
        answered = threading.Event()
        answers: list[Any] = []

        def on_ack(*args: Any) -> None:
            answers.append(args[0] if args else None)
            answered.set()

        try:
            client.emit(SCAN_EVENT, message, namespace=NAMESPACE, callback=on_ack)
        except socketio.exceptions.SocketIOError as error:
            raise Unreachable(f"could not send: {error}") from error
        deadline = time.monotonic() + self.ack_timeout
        while not answered.wait(0.05):
            if not client.connected or NAMESPACE not in client.namespaces:
                raise Unreachable("connection lost before the server answered")
            if time.monotonic() >= deadline:
                raise Unreachable(f"no answer within {self.ack_timeout:g} s")
        return answers[0]

    def _settle(self, entry: Entry, ack: Any) -> None:
        """Mark the row by the server's answer; raises DeviceRefused or Unreachable when it stays waiting."""
        if not isinstance(ack, dict) or "ok" not in ack:
            raise Unreachable(f"unexpected answer to {SCAN_EVENT}: {ack!r:.200}")
        if ack["ok"] is True:
            self.outbox.mark_sent(entry.seq)
            again = " (already recorded)" if ack.get("duplicate") else ""
            log.info("sent #%d %s: %s%s", entry.seq, entry.payload.get("code"), describe(ack.get("result")), again)
            return
        reason = refusal(ack)
        if reason:
            self.outbox.note_error(entry.seq, reason)
            raise DeviceRefused(reason)
        error = ack.get("error") if isinstance(ack.get("error"), dict) else {}
        text = f"{error.get('code', 'error')}: {error.get('message', '')}"
        self.outbox.mark_rejected(entry.seq, text)
        log.warning("the server rejected #%d %s (%s); going on", entry.seq, entry.payload.get("code"), text)


def _quietly_disconnect(client: socketio.Client, wait: float = 0.5) -> None:
    """Close a connection without waiting long: websocket-client waits up to 3 s for the server's close frame."""

    def close() -> None:
        try:
            client.disconnect()
        except Exception:  # noqa: BLE001 - closing a broken connection may fail; it is gone either way
            log.debug("disconnect failed", exc_info=True)

    closing = threading.Thread(target=close, name="kiosk-disconnect", daemon=True)
    closing.start()
    closing.join(wait)
