"""Benchmark the production server: stock movements per second, and Socket.IO fan-out latency.

Run from the project root: ``python bench/bench_stock.py`` (``make bench`` runs it too);
``--help`` lists the options. It takes about two minutes on 2 cores.

Every server is started the way ``make serve`` starts it: ``flask db upgrade`` on a fresh
INSTANCE_PATH, then ``gunicorn -k <worker> -w 1 app.wsgi:app`` on a free port of 127.0.0.1.
Beside each number stands a bare reference measured in the same run on the same worker:

(a) movements/s through ``POST /api/v1/stock/movements`` (one a request) and through
    ``POST /api/v1/stock/movements/batch`` (20 a request) against requests/s of a minimal Flask
    JSON endpoint, from a bounded keep-alive load generator (asyncio, raw HTTP/1.1, in a
    process of its own);
(b) 1,000 Socket.IO clients subscribed to one product level; a movement is posted and each
    client stamps its ``stock:changed`` with time.time() (one clock for every process of the
    machine). The delay counts from the event's ``at``, stamped inside the transaction just
    before the commit, and also from the 201. p50, p99 and the last client, median over
    trials, against a bare python-socketio server broadcasting to 1,000 clients. The clients
    speak Engine.IO 4 / Socket.IO 5 directly over aiohttp websockets, as light as a client can
    be so that the server is what is measured, in two processes (``--client socketio`` uses
    python-socketio's AsyncClient instead).

It also compares async modes (gevent with gevent-websocket, gevent with simple-websocket,
threading) to back the choice of ``make serve``. With TEST_DATABASE_URL (and TEST_REDIS_URL)
set, it adds PostgreSQL, and two processes sharing PostgreSQL and Redis (the production set-up).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import http.client
import itertools
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# How `make serve` runs gunicorn (keep in step with the Makefile's serve target).
SERVE_WORKER = "geventwebsocket.gunicorn.workers.GeventWebSocketWorker"
SERVE_ARGS = ["-w", "1", "--worker-connections", "10000", "--no-control-socket"]


@dataclass(frozen=True)
class Stack:
    """A gunicorn worker and the Socket.IO async mode that goes with it."""

    name: str
    worker_args: tuple[str, ...]
    async_mode: str
    # python-engineio's gevent mode insists on gevent-websocket's handler whenever the package
    # can be imported; hiding it makes it use simple-websocket on a plain gevent worker.
    hide_gevent_websocket: bool = False


GEVENT_WS = Stack("gevent + gevent-websocket", ("-k", SERVE_WORKER), "gevent")
GEVENT_SIMPLE = Stack("gevent + simple-websocket", ("-k", "gevent"), "gevent", hide_gevent_websocket=True)
THREADING = Stack("threading (gthread) + simple-websocket", ("-k", "gthread", "--threads", "1200"), "threading")

SKU, LOCATION = "TEA-001", "SH-PUDONG"
CLIENTS = {"raw": "Engine.IO 4 over aiohttp websockets", "socketio": "python-socketio AsyncClient"}


# ---- the bare references, loaded by gunicorn as bench_stock:bare_flask() / bare_socketio() ----


def bare_flask():
    """A minimal Flask JSON endpoint: POST /echo answers 201 with a small JSON body."""
    from flask import Flask, jsonify, request

    app = Flask("bare")

    @app.post("/echo")
    def echo():
        body = request.get_json()
        return jsonify({"ok": True, "sku": body.get("sku")}), 201

    @app.get("/healthz")
    def healthz():
        return jsonify({"status": "ok"})

    return app


def bare_socketio():
    """A minimal python-socketio server: clients join one room; POST /emit broadcasts to it."""
    import socketio

    sio = socketio.Server(async_mode=os.environ.get("SOCKETIO_ASYNC_MODE", "gevent"))
    versions = itertools.count(1)

    @sio.on("subscribe", namespace="/live")
    def subscribe(sid, data):
        sio.enter_room(sid, "level", namespace="/live")
        return {"ok": True, "levels": []}

    def http_app(environ, start_response):
        if environ["PATH_INFO"] == "/emit" and environ["REQUEST_METHOD"] == "POST":
            environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            at = datetime.now(UTC).isoformat()  # as the app: stamped before it emits
            payload = {"sku": SKU, "location": LOCATION, "on_hand": 0, "version": next(versions), "at": at}
            sio.emit("stock:changed", payload, to="level", namespace="/live")
            body, status = json.dumps({"level": payload}).encode(), "201 Created"
        else:
            body, status = b'{"status": "ok"}', "200 OK"
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return socketio.WSGIApp(sio, http_app)


# ---- servers ---------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def base_env(instance: Path, **extra: str) -> dict[str, str]:
    instance.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "FLASK_APP", "SECRET_KEY")}
    env.update(INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1", PYTHONDONTWRITEBYTECODE="1", SECRET_KEY="bench")
    env.update(extra)
    return env


def flask_cli(args: list[str], env: dict[str, str]) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if done.returncode:
        raise RuntimeError(f"flask {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


@dataclass
class Database:
    """A migrated database with the demo data and an admin API key."""

    label: str
    env: dict[str, str]
    key: str = ""


def prepare_database(label: str, folder: Path, database_url: str | None) -> Database:
    extra = {"DATABASE_URL": database_url} if database_url else {}
    env = base_env(folder / "instance", **extra)
    flask_cli(["db", "upgrade"], env)
    flask_cli(["demo"], env)
    key = flask_cli(["keys", "create", "--role", "admin", "--name", "bench"], env).strip().splitlines()[-1]
    return Database(label, env, key)


@dataclass
class Server:
    urls: list[str]
    processes: list[subprocess.Popen] = field(default_factory=list)

    def cpu_seconds(self) -> float:
        """User + system CPU of every server process (gunicorn masters and their workers)."""
        tick = os.sysconf("SC_CLK_TCK")
        total = 0
        for pid in _descendants([p.pid for p in self.processes]):
            try:
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])
            except (OSError, IndexError, ValueError):
                pass
        return total / tick


def _descendants(roots: list[int]) -> set[int]:
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parents[int(entry.name)] = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                pass
    found = set(roots)
    while True:
        more = {pid for pid, ppid in parents.items() if ppid in found} - found
        if not more:
            return found
        found |= more


@contextlib.contextmanager
def serve(target: str, stack: Stack, env: dict[str, str], log_dir: Path, processes: int = 1) -> Iterator[Server]:
    """Start `processes` gunicorn servers of `target` (one port each); stop them afterwards."""
    server = Server([])
    logs = []
    try:
        for _ in range(processes):
            port = free_port()
            bind = ["-b", f"127.0.0.1:{port}"]
            command = [sys.executable, "-m", "gunicorn", *SERVE_ARGS, *stack.worker_args, *bind, target]
            if target.startswith("bench_stock:"):
                command[3:3] = ["--pythonpath", str(ROOT / "bench")]
            log_path = log_dir / f"server-{port}.log"
            logs.append(log_path)
            proc_env = {**env, "SOCKETIO_ASYNC_MODE": stack.async_mode, "PORT": str(port), "HOST": "127.0.0.1"}
            if stack.hide_gevent_websocket:
                hidden = log_dir / "hide-gevent-websocket"
                hidden.mkdir(exist_ok=True)
                (hidden / "geventwebsocket.py").write_text('raise ImportError("hidden by bench_stock")\n')
                proc_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(hidden), env.get("PYTHONPATH")]))
            with log_path.open("wb") as log:
                server.processes.append(
                    subprocess.Popen(
                        command, cwd=ROOT, env=proc_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
                    )
                )
            server.urls.append(f"http://127.0.0.1:{port}")
        for url, process, log_path in zip(server.urls, server.processes, logs, strict=True):
            _wait_healthy(url, process, log_path)
        yield server
    finally:
        stopping = time.monotonic()
        for process in server.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        for process in server.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        if os.environ.get("BENCH_DEBUG"):
            print(f"  [{target} on {stack.name}: stopped in {time.monotonic() - stopping:.1f} s]", file=sys.stderr)


def _wait_healthy(url: str, process: subprocess.Popen, log_path: Path, timeout: float = 40) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            break
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"server {url} did not start:\n{log_path.read_text(errors='replace')[-3000:]}")


# ---- (a) throughput: a bounded keep-alive load generator --------------------------------------


class _Conn(asyncio.Protocol):
    """One keep-alive connection sending requests back to back (no pipelining); reopened if the server closes it."""

    def __init__(self, load: _Load, done: asyncio.Future):
        self.load, self.done = load, done
        self.buffer = b""
        self.transport = None

    def connection_made(self, transport):
        self.transport = transport
        self.transport.write(self.load.next_request())

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        load = self.load
        while True:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head = self.buffer[:end].lower()
            length, closing = 0, False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection":
                    closing = b"close" in value
            if len(self.buffer) < end + 4 + length:
                return
            self.buffer = self.buffer[end + 4 + length :]
            load.answered(head[9:12], head)
            if closing or load.finished():
                self.transport.close()
                return
            self.transport.write(load.next_request())

    def connection_lost(self, exc):
        if self.load.finished():
            if not self.done.done():
                self.done.set_result(None)
        else:  # the server closed it (a sync worker does after every answer): open another
            asyncio.get_running_loop().create_task(self.load.connect(self.done))


class _Load:
    def __init__(self, requests: list[bytes], expect: bytes, measure_from: float, stop_at: float, host, port):
        self.cycle = itertools.cycle(requests)
        self.expect, self.measure_from, self.stop_at = expect, measure_from, stop_at
        self.host, self.port = host, port
        self.ok = self.bad = 0
        self.sample = b""
        self.limit = 1_000_000  # a bound on requests, whatever the time

    def next_request(self) -> bytes:
        return next(self.cycle)

    def finished(self) -> bool:
        return time.monotonic() >= self.stop_at or self.ok + self.bad >= self.limit

    def answered(self, status: bytes, head: bytes) -> None:
        if time.monotonic() >= self.measure_from:
            if status == self.expect:
                self.ok += 1
            else:
                self.bad += 1
                self.sample = self.sample or head[:200]

    async def connect(self, done: asyncio.Future) -> None:
        try:
            await asyncio.get_running_loop().create_connection(lambda: _Conn(self, done), self.host, self.port)
        except OSError:
            if not done.done():
                done.set_result(None)


def _request(host: str, path: str, body: dict, key: str | None) -> bytes:
    payload = json.dumps(body).encode()
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (
        f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n{auth}"
        f"Content-Length: {len(payload)}\r\n\r\n"
    ).encode() + payload


async def _load(urls: list[str], requests: list[bytes], expect: bytes, conns: int, warmup: float, seconds: float):
    loop = asyncio.get_running_loop()
    start = time.monotonic()
    loads, waits = [], []
    for i in range(conns):
        host, port = urls[i % len(urls)].removeprefix("http://").split(":")
        load = _Load(requests, expect, start + warmup, start + warmup + seconds, host, int(port))
        done = loop.create_future()
        await load.connect(done)
        loads.append(load)
        waits.append(done)
    cpu = time.process_time()
    await asyncio.wait_for(asyncio.gather(*waits), timeout=warmup + seconds + 30)
    ok, bad = sum(x.ok for x in loads), sum(x.bad for x in loads)
    return {
        "ok": ok,
        "bad": bad,
        "sample": next((x.sample for x in loads if x.sample), b""),
        "rate": ok / seconds,
        "generator_cpu": (time.process_time() - cpu) / (warmup + seconds),
    }


def _load_process(args, out) -> None:
    out.send(("started", time.monotonic()))  # CLOCK_MONOTONIC: one clock for every process of the machine
    out.send(asyncio.run(_load(*args)))


def throughput(server: Server, requests: list[bytes], expect: int, conns: int, warmup: float, seconds: float):
    """Answers/s with status `expect` over `seconds` after `warmup`; the generator runs in a process of its own."""
    ctx = multiprocessing.get_context("spawn")
    here, there = ctx.Pipe()
    proc = ctx.Process(
        target=_load_process, args=((server.urls, requests, str(expect).encode(), conns, warmup, seconds), there)
    )
    proc.start()
    try:
        if not here.poll(60):
            raise RuntimeError("the load generator did not start")
        start = here.recv()[1]
        time.sleep(max(0.0, start + warmup - time.monotonic()))
        cpu_before = server.cpu_seconds()
        time.sleep(max(0.0, start + warmup + seconds - time.monotonic()))
        cpu = (server.cpu_seconds() - cpu_before) / seconds
        if not here.poll(warmup + seconds + 60):
            raise RuntimeError("the load generator did not finish")
        stats = here.recv()
    finally:
        proc.join(10)
        if proc.is_alive():
            proc.kill()
    stats["server_cpu"] = cpu
    if stats["bad"]:
        print(f"  warning: {stats['bad']} answers were not {expect}: {stats['sample']!r}", file=sys.stderr)
    return stats


def movement_requests(url: str, key: str) -> list[bytes]:
    host = url.removeprefix("http://")
    skus = [f"TEA-{n:03d}" for n in range(1, 9)] + [f"SNA-{n:03d}" for n in range(9, 17)]
    locations = ["SH-PUDONG", "SH-JINGAN", "SH-WH1"]
    return [
        _request(host, "/api/v1/stock/movements", {"sku": s, "location": loc, "reason": "receive", "delta": 1}, key)
        for s in skus
        for loc in locations
    ]


BATCH = 20


def batch_requests(url: str, key: str) -> list[bytes]:
    """Batches of BATCH movements, each over the same SKUs and locations as movement_requests."""
    host = url.removeprefix("http://")
    skus = [f"TEA-{n:03d}" for n in range(1, 9)] + [f"SNA-{n:03d}" for n in range(9, 17)]
    places = ("SH-PUDONG", "SH-JINGAN")
    moves = [{"sku": s, "location": loc, "reason": "receive", "delta": 1} for s in skus for loc in places]
    return [
        _request(host, "/api/v1/stock/movements/batch", {"movements": moves[i : i + BATCH]}, key)
        for i in range(0, len(moves), BATCH)
    ]


def echo_requests(url: str) -> list[bytes]:
    body = {"sku": SKU, "location": LOCATION, "reason": "receive", "delta": 1}
    return [_request(url.removeprefix("http://"), "/echo", body, None)]


# ---- (b) fan-out: 1,000 Socket.IO clients in two processes ------------------------------------


class _Arrivals:
    """Stamps of the events that reached this process's clients; tells the main process when all have one."""

    def __init__(self, need: int, out) -> None:
        self.need, self.out = need, out
        self.received: list[tuple[int, float, str]] = []
        self.counts: dict[int, int] = {}

    def arrived(self, event: dict, at: float) -> None:
        version = event["version"]
        self.received.append((version, at, event["at"]))
        self.counts[version] = self.counts.get(version, 0) + 1
        if self.counts[version] == self.need:
            self.out.send(("all", version))


async def _raw_client(session, url: str, arrivals: _Arrivals, closers: list, subscribed: asyncio.Future) -> None:
    """One Engine.IO 4 / Socket.IO 5 client over a websocket: subscribe, then stamp every stock:changed."""
    ws_url = url.replace("http://", "ws://") + "/socket.io/?EIO=4&transport=websocket"
    ws = await session.ws_connect(ws_url, autoping=False, max_msg_size=0, compress=0)
    opening = await ws.receive_str()
    assert opening.startswith("0"), opening
    await ws.send_str("40/live,")
    while not (msg := await ws.receive_str()).startswith("40/live"):
        if msg == "2":
            await ws.send_str("3")
    await ws.send_str('42/live,1["subscribe",' + json.dumps({"sku": SKU, "location": LOCATION}) + "]")
    while not (msg := await ws.receive_str()).startswith("43/live,1"):
        if msg == "2":
            await ws.send_str("3")
    ack = json.loads(msg[len("43/live,1") :])[0]
    assert ack.get("ok"), ack
    closers.append(ws.close)
    subscribed.set_result(None)
    async for message in ws:
        data = message.data
        if data == "2":
            await ws.send_str("3")
        elif isinstance(data, str) and data.startswith('42/live,["stock:changed"'):
            at = time.time()
            arrivals.arrived(json.loads(data[len("42/live,") :])[1], at)


async def _socketio_client(session, url: str, arrivals: _Arrivals, closers: list, subscribed: asyncio.Future):
    """The same with python-socketio's AsyncClient (heavier: its own work counts in the latency)."""
    import socketio

    client = socketio.AsyncClient(reconnection=False, http_session=session)
    client.on("stock:changed", lambda event: arrivals.arrived(event, time.time()), namespace="/live")
    await client.connect(url, namespaces=["/live"], transports=["websocket"], wait_timeout=30)
    ack = await client.call("subscribe", {"sku": SKU, "location": LOCATION}, namespace="/live", timeout=30)
    assert ack.get("ok"), ack
    closers.append(client.disconnect)
    subscribed.set_result(None)
    await client.wait()


def _clients_process(urls: list[str], count: int, kind: str, out) -> None:
    """Hold `count` clients (spread over `urls`); answer the main process's commands."""
    import aiohttp

    client = _socketio_client if kind == "socketio" else _raw_client

    async def main():
        arrivals = _Arrivals(count, out)
        closers: list = []
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0, force_close=True))
        gate = asyncio.Semaphore(64)

        async def one(i):
            async with gate:  # at most 64 handshakes at a time
                subscribed = asyncio.get_running_loop().create_future()
                task = asyncio.create_task(client(session, urls[i % len(urls)], arrivals, closers, subscribed))
                await asyncio.wait({subscribed, task}, return_when=asyncio.FIRST_COMPLETED)
                if task.done():
                    raise task.exception() or RuntimeError("the server closed the connection")
            return task

        started = time.monotonic()
        try:
            tasks = await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(count))), timeout=120)
        except Exception as error:  # noqa: BLE001 - reported to the main process
            out.send(("failed", f"{type(error).__name__}: {error}"))
            await session.close()
            return
        out.send(("ready", len(closers), time.monotonic() - started))
        loop = asyncio.get_running_loop()
        commands: asyncio.Queue = asyncio.Queue()
        loop.add_reader(out.fileno(), lambda: commands.put_nowait(out.recv()))
        while (command := await commands.get()) != "stop":
            if command == "collect":
                out.send(("times", list(arrivals.received)))
                arrivals.received.clear()
        await asyncio.gather(*(close() for close in closers), return_exceptions=True)
        for task in tasks:
            task.cancel()
        await session.close()
        out.send(("stopped",))

    asyncio.run(main())


@dataclass
class FanOut:
    """Milliseconds, each the median over trials: from the event's in-transaction stamp and from the 201."""

    p50: float
    p99: float
    last: float
    p99_from_201: float
    post: float
    trials: int
    connect_seconds: float
    missing: int


def _p99(sorted_values: list[float]) -> float:
    return sorted_values[max(0, min(len(sorted_values) - 1, round(0.99 * len(sorted_values)) - 1))]


def fan_out(server_urls: list[str], post, clients: int, trials: int, kind: str = "raw", client_procs: int = 2):
    """Subscribe `clients` clients, then `trials` times: post, stamp the 201, wait for every client."""
    ctx = multiprocessing.get_context("spawn")
    pipes, procs = [], []
    per = [clients // client_procs + (1 if i < clients % client_procs else 0) for i in range(client_procs)]
    try:
        for i, n in enumerate(per):
            here, there = ctx.Pipe()
            urls = server_urls[i % len(server_urls) :] + server_urls[: i % len(server_urls)]
            proc = ctx.Process(target=_clients_process, args=(urls, n, kind, there), daemon=True)
            proc.start()
            pipes.append(here)
            procs.append(proc)
        connect = 0.0
        for pipe in pipes:
            if not pipe.poll(150):
                raise RuntimeError("clients did not connect in time")
            message = pipe.recv()
            if message[0] != "ready":
                raise RuntimeError(f"clients failed: {message}")
            connect = max(connect, message[2])
        p50s, p99s, lasts, p99s_201, posts, missing = [], [], [], [], [], 0
        for trial in range(trials + 1):  # trial 0 warms up
            time.sleep(0.25)
            sent = time.time()
            version, committed = post()
            waiting = {id(p) for p in pipes}
            deadline = time.monotonic() + 10
            while waiting and time.monotonic() < deadline:
                for pipe in pipes:
                    while id(pipe) in waiting and pipe.poll(0.005):
                        message = pipe.recv()
                        if message == ("all", version):
                            waiting.discard(id(pipe))
            for pipe in pipes:
                pipe.send("collect")
            arrivals = []
            for pipe in pipes:
                message = pipe.recv()
                arrivals += [(arrived, at) for v, arrived, at in message[1] if v == version]
            if trial == 0 or not arrivals:
                missing += 0 if trial == 0 else clients
                continue
            missing += clients - len(arrivals)
            stamped = datetime.fromisoformat(arrivals[0][1]).timestamp()
            delays = sorted((arrived - stamped) * 1000 for arrived, _ in arrivals)
            p50s.append(statistics.median(delays))
            p99s.append(_p99(delays))
            lasts.append(delays[-1])
            p99s_201.append(_p99(sorted((arrived - committed) * 1000 for arrived, _ in arrivals)))
            posts.append((committed - sent) * 1000)

        def median(values: list[float]) -> float:
            return statistics.median(values) if values else float("nan")

        return FanOut(
            median(p50s), median(p99s), median(lasts), median(p99s_201), median(posts), len(p50s), connect, missing
        )
    finally:
        for pipe in pipes:
            with contextlib.suppress(OSError):
                pipe.send("stop")
        for proc in procs:
            proc.join(15)
            if proc.is_alive():
                proc.kill()


class Poster:
    """Posts one movement (or one bare broadcast) over a keep-alive connection; returns (version, 201 time)."""

    def __init__(self, url: str, path: str, key: str | None) -> None:
        host, port = url.removeprefix("http://").split(":")
        self.conn = http.client.HTTPConnection(host, int(port), timeout=10)
        self.path = path
        self.headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}
        self.body = json.dumps({"sku": SKU, "location": LOCATION, "reason": "receive", "delta": 1})

    def __call__(self) -> tuple[int, float]:
        self.conn.request("POST", self.path, self.body, self.headers)
        response = self.conn.getresponse()
        data = response.read()
        committed = time.time()
        if response.status != 201:
            raise RuntimeError(f"POST {self.path}: {response.status} {data[:300]!r}")
        return json.loads(data)["level"]["version"], committed

    def close(self) -> None:
        self.conn.close()  # gunicorn's graceful stop would wait for an open keep-alive connection


# ---- the run --------------------------------------------------------------------------------


def _table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for row in rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))


@contextlib.contextmanager
def postgres_schema(url: str) -> Iterator[str]:
    """A fresh schema in TEST_DATABASE_URL's database, dropped afterwards; yields a DATABASE_URL for it."""
    import psycopg

    schema = f"bench_{uuid.uuid4().hex[:10]}"
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    finally:
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass
class Setup:
    folder: Path
    sqlite: Database
    bare_env: dict[str, str]
    postgres: Database | None
    redis_url: str | None

    def multi_env(self) -> dict[str, str]:
        """Two processes: PostgreSQL, Redis as the Socket.IO message queue, a channel of this run's own."""
        assert self.postgres and self.redis_url
        return {**self.postgres.env, "REDIS_URL": self.redis_url, "SOCKETIO_CHANNEL": f"bench-{uuid.uuid4().hex}"}


def run_throughput(args, setup: Setup) -> None:
    rows = []

    def measure(label, target, env, requests_of, processes=1, per_request=1):
        with serve(target, GEVENT_WS, env, setup.folder, processes) as server:
            result = throughput(server, requests_of(server.urls[0]), 201, args.conns, 1.0, args.seconds)
        result["rate"] *= per_request
        rows.append((label, result, processes))
        return result

    sqlite, postgres = setup.sqlite, setup.postgres
    bare = measure("bare Flask JSON endpoint", "bench_stock:bare_flask()", setup.bare_env, echo_requests)
    measure(
        "POST /api/v1/stock/movements, SQLite", "app.wsgi:app", sqlite.env, lambda u: movement_requests(u, sqlite.key)
    )
    measure(
        f"POST /api/v1/stock/movements/batch, {BATCH} a request, SQLite",
        "app.wsgi:app",
        sqlite.env,
        lambda u: batch_requests(u, sqlite.key),
        per_request=BATCH,
    )
    if postgres:
        measure(
            "POST /api/v1/stock/movements, PostgreSQL",
            "app.wsgi:app",
            postgres.env,
            lambda u: movement_requests(u, postgres.key),
        )
        measure(
            f"POST /api/v1/stock/movements/batch, {BATCH} a request, PostgreSQL",
            "app.wsgi:app",
            postgres.env,
            lambda u: batch_requests(u, postgres.key),
            per_request=BATCH,
        )
    bare_2 = None
    if postgres and setup.redis_url:
        bare_2 = measure(
            "bare Flask JSON endpoint, 2 processes",
            "bench_stock:bare_flask()",
            setup.bare_env,
            echo_requests,
            processes=2,
        )
        measure(
            "POST /api/v1/stock/movements, PostgreSQL + Redis, 2 processes",
            "app.wsgi:app",
            setup.multi_env(),
            lambda u: movement_requests(u, postgres.key),
            processes=2,
        )
        measure(
            f"batch, {BATCH} a request, PostgreSQL + Redis, 2 processes",
            "app.wsgi:app",
            setup.multi_env(),
            lambda u: batch_requests(u, postgres.key),
            processes=2,
            per_request=BATCH,
        )
    table = []
    for label, result, processes in rows:
        reference = bare_2 if processes == 2 else bare
        ratio = "" if label.startswith("bare") else f"{result['rate'] / reference['rate']:.2f}"
        cpu = f"{result['server_cpu'] * 100:.0f} %"
        table.append([label, f"{result['rate']:,.0f}", ratio, cpu, f"{result['generator_cpu'] * 100:.0f} %"])
    _table(
        f"(a) requests (movements) per second on {GEVENT_WS.name}, one worker a process as `make serve`;\n"
        f"    {args.conns} keep-alive connections, {args.seconds:g} s after 1 s of warm-up "
        "(goal: movements/s >= 0.5 x bare)",
        ["what", "per second", "÷ bare", "server CPU", "load generator CPU"],
        table,
    )
    print(
        "  server CPU: all the server's processes, 100 % = one core; ÷ bare: against the bare row of as many\n"
        "  processes. "
        f"A batch row counts movements ({BATCH} a request): its requests per second are a {BATCH}th of that."
    )
    met = [
        label
        for label, result, processes in rows
        if not label.startswith("bare") and result["rate"] >= 0.5 * (bare_2 if processes == 2 else bare)["rate"]
    ]
    print("  movements/s >= 0.5 x bare: " + ("; ".join(met) if met else "no row"))


def run_fanout(args, setup: Setup) -> None:
    rows = []

    def fan(label, target, stack, env, path, key, processes=1):
        with serve(target, stack, env, setup.folder, processes) as server:
            poster = Poster(server.urls[0], path, key)
            try:
                result = fan_out(server.urls, poster, args.clients, args.trials, args.client)
            finally:
                poster.close()
        rows.append((label, stack, result))
        return result

    movements, sqlite, postgres = "/api/v1/stock/movements", setup.sqlite, setup.postgres
    references = {}
    for stack in [GEVENT_WS] + ([] if args.no_modes else [GEVENT_SIMPLE, THREADING]):
        references[stack] = fan(
            f"bare python-socketio, {stack.name}", "bench_stock:bare_socketio()", stack, setup.bare_env, "/emit", None
        )
        fan(f"Oneshelf, SQLite, {stack.name}", "app.wsgi:app", stack, sqlite.env, movements, sqlite.key)
    if postgres and setup.redis_url:
        fan(
            f"Oneshelf, PostgreSQL + Redis, 2 processes, {GEVENT_WS.name}",
            "app.wsgi:app",
            GEVENT_WS,
            setup.multi_env(),
            movements,
            postgres.key,
            processes=2,
        )
    table = []
    for label, stack, result in rows:
        ref, is_ref = references[stack], label.startswith("bare")
        table.append(
            [
                label,
                f"{result.p50:.0f}",
                "" if is_ref else f"{result.p50 / ref.p50:.2f}",
                f"{result.p99:.0f}",
                "" if is_ref else f"{result.p99 / ref.p99:.2f}",
                f"{result.last:.0f}",
                f"{result.p99_from_201:.0f}",
                f"{result.post:.1f}",
                f"{result.connect_seconds:.1f}",
                str(result.missing),
            ]
        )
    _table(
        f"(b) {args.clients} Socket.IO clients subscribed to {SKU} at {LOCATION}: ms until each has stock:changed,\n"
        f"    median of {args.trials} trials (goal: p99 < 100 ms); clients: {CLIENTS[args.client]} in 2 processes",
        ["server", "p50", "÷ bare", "p99", "÷ bare", "last", "p99 from 201", "POST→201", "connect s", "missed"],
        table,
    )
    print(
        "  p50, p99 and last count from the event's `at`, stamped inside the transaction just before the commit\n"
        "  (the bare server stamps just before its emit); 'p99 from 201' counts from when the poster had the 201,\n"
        "  which the app sends after it has emitted. ÷ bare: against the bare python-socketio server on the same\n"
        "  stack in this run. With 2 processes, half the clients are on each and the movement goes to the first."
    )


def _load_average() -> str:
    one, five, _ = os.getloadavg()
    busy = "  (other work is running: expect noisier, slower numbers)" if one > 1.5 else ""
    return f"{one:.2f} (1 min), {five:.2f} (5 min){busy}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=1000, help="Socket.IO clients (default 1000)")
    parser.add_argument("--trials", type=int, default=9, help="fan-out trials per server (default 9)")
    parser.add_argument("--seconds", type=float, default=3.0, help="throughput measuring time (default 3 s)")
    parser.add_argument("--conns", type=int, default=32, help="load generator connections (default 32)")
    parser.add_argument("--no-modes", action="store_true", help="skip the async-mode comparison")
    parser.add_argument("--only", choices=["throughput", "fanout"], help="run one of the two parts")
    parser.add_argument(
        "--client",
        choices=["raw", "socketio"],
        default="raw",
        help="fan-out clients: raw Engine.IO over aiohttp websockets (default), or python-socketio AsyncClient",
    )
    parser.add_argument("--quick", action="store_true", help="fewer trials, shorter runs, no mode comparison")
    args = parser.parse_args(argv)
    if args.quick:
        args.trials, args.seconds, args.no_modes = 5, 2.0, True
    try:
        import aiohttp  # noqa: F401
        import gunicorn  # noqa: F401
    except ImportError as error:
        print(f"{error.name} is missing: .venv/bin/pip install -r requirements-dev.txt", file=sys.stderr)
        return 2
    pg_url, redis_url = os.environ.get("TEST_DATABASE_URL"), os.environ.get("TEST_REDIS_URL")
    started = time.monotonic()
    print(f"bench_stock.py on {os.cpu_count()} cores: servers, load generator and clients all on 127.0.0.1")
    print(f"  command: {' '.join(['python', 'bench/bench_stock.py', *(argv if argv is not None else sys.argv[1:])])}")
    print(
        f"  PostgreSQL rows: {'TEST_DATABASE_URL' if pg_url else 'skipped (set TEST_DATABASE_URL)'}; "
        f"2-process rows: {'TEST_REDIS_URL' if pg_url and redis_url else 'skipped (set both and TEST_REDIS_URL)'}"
    )
    print(f"  load average before: {_load_average()}")
    with tempfile.TemporaryDirectory(prefix="oneshelf-bench-") as tmp, contextlib.ExitStack() as stack:
        folder = Path(tmp)
        postgres = None
        if pg_url:
            postgres = prepare_database("PostgreSQL", folder / "pg", stack.enter_context(postgres_schema(pg_url)))
        setup = Setup(
            folder, prepare_database("SQLite", folder / "sqlite", None), base_env(folder / "bare"), postgres, redis_url
        )
        if args.only in (None, "throughput"):
            run_throughput(args, setup)
        if args.only in (None, "fanout"):
            run_fanout(args, setup)
    print(f"\n  total {time.monotonic() - started:.0f} s; load average after: {_load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
