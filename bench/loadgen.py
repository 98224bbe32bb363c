"""A lean HTTP/1.1 load generator on asyncio streams: keep-alive connections, an open loop
(requests leave on schedule whether or not earlier ones finished) and a closed loop (N clients
each send the next request as soon as the last one is answered, to find the saturation rate).

Why not httpx: on this 2-core machine httpx.AsyncClient costs ~1 ms of CPU per request, so the
generator itself would be the bottleneck and steal the CPU the server needs. This client does
only what the benchmark needs: Content-Length or chunked bodies, no redirects, no TLS, no chunking.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

# uvicorn closes a keep-alive connection after 5 s idle; reusing one that old races the close.
IDLE_LIMIT_NS = 3_000_000_000
READ_TIMEOUT_S = 10.0
# The closed loop opens its connections this far apart. Every worker of a pre-fork server
# accepts from one shared socket, and asyncio accepts every pending connection in one go: 64
# connections opened at once could all land on one worker and leave the other idle (seen: a
# run at 1.0 core busy of 2, 40% below the next run of the same server).
CONNECT_GAP_S = 0.002


class HttpError(Exception):
    """The connection broke or the answer was not HTTP/1.1 we can read."""


def build_request(
    method: str, path: str, host: str, body: bytes = b"", headers: dict | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", f"Host: {host}", f"Content-Length: {len(body)}"]
    lines += [f"{name}: {value}" for name, value in (headers or {}).items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


@dataclass(slots=True)
class Connection:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    last_used_ns: int = 0

    def close(self) -> None:
        self.writer.close()


async def connect(host: str, port: int) -> Connection:
    reader, writer = await asyncio.open_connection(host, port)
    return Connection(reader, writer, time.monotonic_ns())


def _header(head: bytes, wanted: bytes) -> bytes | None:
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == wanted:
            return value.strip()
    return None


async def _read_body(reader: asyncio.StreamReader, head: bytes) -> bytes:
    length = _header(head, b"content-length")
    if length is not None:
        return await reader.readexactly(int(length))
    if (_header(head, b"transfer-encoding") or b"").lower() != b"chunked":
        raise HttpError("answer with neither Content-Length nor chunked encoding")
    chunks = []
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        chunks.append((await reader.readexactly(size + 2))[:-2])
    await reader.readuntil(b"\r\n")  # the empty trailer
    return b"".join(chunks)


async def exchange(conn: Connection, request: bytes) -> tuple[int, int, bytes]:
    """Send one request and read its answer: (start monotonic_ns, status, body).

    The start is taken immediately before the write: it is the moment the gateway would have
    started its webhook request, comparable with the fake gateway's arrival stamps because
    CLOCK_MONOTONIC is system-wide on Linux."""
    start_ns = time.monotonic_ns()
    conn.writer.write(request)
    try:
        head = await asyncio.wait_for(conn.reader.readuntil(b"\r\n\r\n"), READ_TIMEOUT_S)
        body = await _read_body(conn.reader, head)
    except (
        OSError,
        ValueError,
        asyncio.IncompleteReadError,
        asyncio.LimitOverrunError,
        TimeoutError,
    ) as exc:
        raise HttpError(type(exc).__name__) from exc
    conn.last_used_ns = time.monotonic_ns()
    return start_ns, int(head[9:12]), body


class Pool:
    """Keep-alive connections to one server. The most recently used idle connection is reused
    first (LIFO), so the rest age out and are closed here before the server closes them."""

    def __init__(self, host: str, port: int):
        self.host, self.port = host, port
        self._idle: list[Connection] = []
        self.opened = 0

    async def acquire(self) -> Connection:
        now = time.monotonic_ns()
        while self._idle:
            conn = self._idle.pop()
            if now - conn.last_used_ns < IDLE_LIMIT_NS and not conn.reader.at_eof():
                return conn
            conn.close()
        self.opened += 1
        return await connect(self.host, self.port)

    def release(self, conn: Connection) -> None:
        self._idle.append(conn)

    async def prefill(self, count: int) -> None:
        conns = await asyncio.gather(*(connect(self.host, self.port) for _ in range(count)))
        self.opened += count
        self._idle.extend(conns)

    def close(self) -> None:
        for conn in self._idle:
            conn.close()
        self._idle.clear()

    async def request(self, request: bytes) -> tuple[int, int, bytes]:
        """(start ns, status, body); status 0 when the connection failed."""
        conn = await self.acquire()
        try:
            result = await exchange(conn, request)
        except HttpError:
            conn.close()
            return time.monotonic_ns(), 0, b""
        self.release(conn)
        return result


async def open_loop(rate: float, duration_s: float, fire: Callable[[int], Awaitable]) -> int:
    """Call `fire(due_ns)` as a new task every 1/rate s for duration_s, never waiting for the
    earlier ones (an open loop, so a slow server cannot slow the arrivals down and hide its
    own latency); then wait for all of them. Returns how many were fired."""
    interval_ns = 1e9 / rate
    start_ns = time.monotonic_ns()
    end_ns = start_ns + int(duration_s * 1e9)
    tasks: set[asyncio.Task] = set()
    fired = 0
    while (due_ns := start_ns + int(fired * interval_ns)) < end_ns:
        delay = (due_ns - time.monotonic_ns()) / 1e9
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(fire(due_ns))
        tasks.add(task)
        task.add_done_callback(tasks.discard)
        fired += 1
    if tasks:
        await asyncio.wait(set(tasks), timeout=READ_TIMEOUT_S + 5)
    return fired


@dataclass
class ClosedResult:
    concurrency: int
    duration_s: float
    completed: int = 0  # answered within the measured window
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ns: list[int] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return self.completed / self.duration_s


async def closed_loop(
    host: str,
    port: int,
    *,
    concurrency: int,
    warmup_s: float,
    duration_s: float,
    next_request: Callable[[int], bytes],
) -> ClosedResult:
    """`concurrency` clients, each on its own keep-alive connection, each sending
    `next_request(client)` as soon as its previous answer arrived. Only answers that arrive
    inside [warm-up end, warm-up end + duration] count."""
    result = ClosedResult(concurrency, duration_s)
    connections = []
    for _ in range(concurrency):
        connections.append(await connect(host, port))
        await asyncio.sleep(CONNECT_GAP_S)
    begin_ns = time.monotonic_ns() + int(warmup_s * 1e9)
    end_ns = begin_ns + int(duration_s * 1e9)

    async def client(index: int) -> None:
        conn = connections[index]
        try:
            while time.monotonic_ns() < end_ns:
                try:
                    start_ns, status, _ = await exchange(conn, next_request(index))
                except HttpError:
                    conn.close()
                    conn, status, start_ns = await connect(host, port), 0, time.monotonic_ns()
                done_ns = time.monotonic_ns()
                if begin_ns <= done_ns <= end_ns:
                    result.completed += 1
                    result.statuses[status] = result.statuses.get(status, 0) + 1
                    result.latencies_ns.append(done_ns - start_ns)
        finally:
            conn.close()

    await asyncio.gather(*(client(i) for i in range(concurrency)))
    return result
