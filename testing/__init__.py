"""Test doubles of clinicbot's outside services, plus the plumbing they share.

- `testing.fake_evolution.FakeEvolution`: the Evolution API v2 gateway (sendText).
- `testing.fake_openai.FakeOpenAI`: an OpenAI-compatible chat completions server.
- `testing.fault_proxy.FaultProxy`: a TCP proxy that adds latency, hangs and resets.

This module holds what both HTTP fakes share and needs nothing beyond the standard library,
so it imports without Django: a threaded HTTP/1.1 server that runs in a background thread
(`BackgroundHTTPServer`), a JSON request handler base (`JsonRequestHandler`), run-time fault
settings (`Faults`), a thread-safe request log (`RequestLog`) and the command line runner.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

LOOPBACK = "127.0.0.1"
STOP_TIMEOUT = 5.0
# The niceness of what stands in for another machine while a test measures the service.
STAND_IN_NICENESS = 10


def thread_niceness_set(native_id: int, niceness: int) -> None:
    """Set one thread's CPU priority (Linux schedules each thread on its own).

    A fake stands in for a machine of its own (the gateway, a database in another region): in a
    test that measures how promptly a process under test answers while busy, the fake must not
    take that process's CPU as no real gateway would."""
    with contextlib.suppress(OSError):  # not permitted, or the thread has ended
        os.setpriority(os.PRIO_PROCESS, native_id, niceness)


# An idle keep-alive connection is closed after this long, so a forgotten client
# cannot pin a handler thread forever.
IDLE_CONNECTION_TIMEOUT = 30.0


class ConnectionDropped(Exception):
    """Raised inside a handler to close the connection without answering."""


@dataclass
class Faults:
    """Run-time misbehaviour of a fake server; every field can be changed while it runs.

    - `latency`: seconds to wait before answering each request.
    - `status`: answer this status instead of the real answer. With `fail_next` > 0 only the
      next `fail_next` requests get it; with `fail_next` == 0 every request does.
    - `hang`: hold every request open without answering until hang is switched off.
    - `drop`: close the connection without answering.
    """

    latency: float = 0.0
    status: int | None = None
    fail_next: int = 0
    hang: bool = False
    drop: bool = False

    def update(self, changes: dict[str, Any]) -> None:
        unknown = set(changes) - set(FAULT_TYPES)
        if unknown:
            raise ValueError(f"unknown fault setting(s): {sorted(unknown)}")
        for name, value in changes.items():
            # Values may come from JSON; a wrong type should fail here, not in a handler.
            cleared = name == "status" and value is None
            setattr(self, name, None if cleared else FAULT_TYPES[name](value))
        if "fail_next" in changes and self.fail_next and self.status is None:
            self.status = 500

    def take_status_override(self) -> int | None:
        """The status to force on this request, consuming one of `fail_next` if counted."""
        if self.status is None:
            return None
        status = self.status
        if self.fail_next > 0:
            self.fail_next -= 1
            if self.fail_next == 0:
                self.status = None
        return status


FAULT_TYPES = {"latency": float, "status": int, "fail_next": int, "hang": bool, "drop": bool}


class RequestLog:
    """A thread-safe, append-only list of records with waiting and incremental reads."""

    def __init__(self) -> None:
        self._records: list[dict[str, Any]] = []
        self._changed = threading.Condition()

    def append(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._changed:
            record["index"] = len(self._records)
            self._records.append(record)
            self._changed.notify_all()
        return record

    def items(self, since: int = 0) -> list[dict[str, Any]]:
        with self._changed:
            return [dict(record) for record in self._records[since:]]

    def clear(self) -> None:
        with self._changed:
            self._records.clear()
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> list[dict[str, Any]]:
        """Block until at least `count` records exist; raise TimeoutError after `timeout` s."""
        with self._changed:
            if not self._changed.wait_for(lambda: len(self._records) >= count, timeout):
                raise TimeoutError(
                    f"expected {count} record(s) within {timeout} s, got {len(self._records)}"
                )
            return [dict(record) for record in self._records]


def arrival_times() -> dict[str, int]:
    # Both clocks: monotonic for measuring delays, wall clock for matching other logs.
    return {"monotonic_ns": time.monotonic_ns(), "time_ns": time.time_ns()}


class _TrackingHTTPServer(ThreadingHTTPServer):
    """ThreadingHTTPServer that knows its open connections so it can stop without hanging."""

    daemon_threads = True
    block_on_close = False  # stop() joins the handler threads itself, with a timeout
    # The default backlog of 5 resets clients when a benchmark opens dozens of connections.
    request_queue_size = 1024

    def __init__(self, address: tuple[str, int], handler: type, owner: Any) -> None:
        self.owner = owner
        self.stopping = threading.Event()
        self._connections: dict[socket.socket, threading.Thread] = {}
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def process_request(self, request, client_address) -> None:
        thread = threading.Thread(
            target=self._process_request_niced,
            args=(request, client_address),
            name=f"{type(self.owner).__name__}-conn",
            daemon=True,
        )
        with self._connections_lock:
            self._connections[request] = thread
        thread.start()

    def _process_request_niced(self, request, client_address) -> None:
        if self.owner.niceness:
            thread_niceness_set(threading.get_native_id(), self.owner.niceness)
        self.process_request_thread(request, client_address)

    def shutdown_request(self, request) -> None:
        with self._connections_lock:
            self._connections.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request, client_address) -> None:
        # Clients that reset or vanish are what fault tests do on purpose; stay quiet then.
        if not isinstance(sys.exc_info()[1], ConnectionError | TimeoutError):
            super().handle_error(request, client_address)

    def close_connections(self, timeout: float) -> None:
        """Unblock every handler (idle keep-alive reads, sleeps, hangs) and wait for it."""
        self.stopping.set()
        with self._connections_lock:
            connections = list(self._connections.items())
        for sock, _ in connections:
            with contextlib.suppress(OSError):  # the client may have closed it already
                sock.shutdown(socket.SHUT_RDWR)
        deadline = time.monotonic() + timeout
        for _, thread in connections:
            thread.join(max(0.0, deadline - time.monotonic()))


class JsonRequestHandler(BaseHTTPRequestHandler):
    """HTTP/1.1 keep-alive handler with JSON helpers, fault injection and `/_fake/*` routing.

    Subclasses implement `handle_api(method, path, query)` and may add control actions in
    `handle_fake_action`; `self.owner` is the fake server object.
    """

    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; Nagle plus delayed ACK would add ~40 ms.
    disable_nagle_algorithm = True
    timeout = IDLE_CONNECTION_TIMEOUT

    @property
    def owner(self) -> Any:
        return self.server.owner

    def log_message(self, format: str, *args: Any) -> None:
        pass  # thousands of requests per benchmark: keep stderr quiet

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def _dispatch(self, method: str) -> None:
        parts = urlsplit(self.path)
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        try:
            if parts.path.startswith("/_fake/"):
                self._handle_control(method, parts.path.removeprefix("/_fake/"), query)
            else:
                self.handle_api(method, parts.path, query)
        except ConnectionDropped:
            self.close_connection = True
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    # -- reading and answering -------------------------------------------------------------

    def read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def read_json(self) -> Any:
        """The request body parsed as JSON, or None when it is empty or not JSON."""
        try:
            return json.loads(self.read_body() or b"null")
        except ValueError:
            return None

    def send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload, ensure_ascii=False).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def start_chunked(self, status: int, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Transfer-Encoding", "chunked")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()

    def write_chunk(self, data: bytes) -> None:
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def end_chunked(self) -> None:
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    # -- faults ----------------------------------------------------------------------------

    def apply_faults(self) -> int | None:
        """Sleep, hang or drop as configured; return a status to force, or None."""
        faults = self.owner.faults_snapshot()
        stopping = self.server.stopping
        if faults.latency > 0 and stopping.wait(faults.latency):
            raise ConnectionDropped
        if faults.drop:
            raise ConnectionDropped
        if faults.hang:
            self._wait_until_released()
        return self.owner.take_status_override()

    def _wait_until_released(self) -> None:
        # Poll in short steps: the hang ends when the fault is cleared or the server stops.
        while self.owner.faults_snapshot().hang:
            if self.server.stopping.wait(0.05):
                raise ConnectionDropped

    # -- control surface -------------------------------------------------------------------

    def _handle_control(self, method: str, action: str, query: dict[str, str]) -> None:
        if method == "GET" and action == "health":
            self.send_json(200, {"status": "ok"})
        elif method == "GET" and action == "config":
            self.send_json(200, self.owner.config())
        elif method == "POST" and action == "config":
            self._post_config()
        elif method == "POST" and action == "clear":
            self.read_body()
            self.owner.clear()
            self.send_json(200, {"status": "cleared"})
        elif not self.handle_fake_action(method, action, query):
            self.send_json(404, {"error": f"no control action {method} /_fake/{action}"})

    def _post_config(self) -> None:
        changes = self.read_json()
        if not isinstance(changes, dict):
            self.send_json(400, {"error": "config must be a JSON object"})
            return
        try:
            self.owner.configure(**changes)
        except (TypeError, ValueError) as error:
            self.send_json(400, {"error": str(error)})
            return
        self.send_json(200, self.owner.config())

    def handle_fake_action(self, method: str, action: str, query: dict[str, str]) -> bool:
        """Serve a fake-specific control action; return False when it is unknown."""
        return False

    def handle_api(self, method: str, path: str, query: dict[str, str]) -> None:
        raise NotImplementedError


class BackgroundHTTPServer:
    """A fake HTTP service on 127.0.0.1 running in a background thread.

    Use as a context manager (`with Fake() as fake: fake.url`) or call start()/stop().
    Subclasses set `handler_class` and may override `clear()` and `configure()`.
    """

    handler_class: type[JsonRequestHandler] = JsonRequestHandler

    def __init__(self, host: str = LOOPBACK, port: int = 0, latency: float = 0.0) -> None:
        self._address = (host, port)
        self._faults = Faults(latency=latency)
        self._faults_lock = threading.Lock()
        self._server: _TrackingHTTPServer | None = None
        self._serve_thread: threading.Thread | None = None
        self.niceness = 0

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Start serving in a background thread; return the port."""
        if self._server is not None:
            return self.port
        self._server = _TrackingHTTPServer(self._address, self.handler_class, owner=self)
        self._serve_thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"{type(self).__name__}-serve",
            daemon=True,
        )
        self._serve_thread.start()
        return self.port

    def yield_cpu(self, niceness: int = STAND_IN_NICENESS) -> None:
        """Serve at a lower CPU priority from now on (see thread_niceness_set)."""
        self.niceness = niceness
        threads = [self._serve_thread]
        if self._server is not None:
            with self._server._connections_lock:
                threads += list(self._server._connections.values())
        for thread in threads:
            if thread is not None and thread.native_id is not None:
                thread_niceness_set(thread.native_id, niceness)

    def stop(self, timeout: float = STOP_TIMEOUT) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()  # returns within poll_interval once serve_forever notices
        server.close_connections(timeout)
        server.server_close()
        if self._serve_thread is not None:
            self._serve_thread.join(timeout)
            self._serve_thread = None

    def __enter__(self):
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError(f"{type(self).__name__} is not running")
        return self._server.server_address[1]

    @property
    def url(self) -> str:
        return f"http://{self._address[0]}:{self.port}"

    # -- faults ----------------------------------------------------------------------------

    def configure(self, **changes: Any) -> None:
        """Change faults at run time: latency, status, fail_next, hang, drop."""
        with self._faults_lock:
            self._faults.update(changes)

    def config(self) -> dict[str, Any]:
        return asdict(self.faults_snapshot())

    def faults_snapshot(self) -> Faults:
        with self._faults_lock:
            return replace(self._faults)

    def take_status_override(self) -> int | None:
        with self._faults_lock:
            return self._faults.take_status_override()

    def set_latency(self, seconds: float) -> None:
        self.configure(latency=seconds)

    def fail(self, status: int = 500, times: int = 0) -> None:
        """Answer `status` to the next `times` requests, or to every request when 0."""
        self.configure(status=status, fail_next=times)

    def hang(self) -> None:
        self.configure(hang=True)

    def drop(self) -> None:
        self.configure(drop=True)

    def reset_faults(self) -> None:
        """Back to healthy; requests held by hang() are released and answered."""
        with self._faults_lock:
            self._faults = Faults()

    def clear(self) -> None:
        raise NotImplementedError


def run_from_command_line(
    description: str, build: Callable[[argparse.Namespace], BackgroundHTTPServer], add_arguments
) -> None:
    """Serve until SIGINT/SIGTERM; print one JSON line with the URL once listening."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds before each answer")
    add_arguments(parser)
    arguments = parser.parse_args()
    fake = build(arguments)
    stop_requested = threading.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signal_number, lambda *_: stop_requested.set())
    with fake:
        print(json.dumps({"url": fake.url, "port": fake.port}), flush=True)
        while not stop_requested.wait(1.0):
            pass
