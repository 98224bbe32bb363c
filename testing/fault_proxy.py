"""A TCP proxy on 127.0.0.1 that makes the service behind it slow, silent or broken.

Put it in front of Postgres, Redis or a fake HTTP gateway and point the code under test at
`proxy.port`. It runs its own asyncio loop in a background thread; the control methods are
synchronous and take effect, for open and new connections, before they return.

    with FaultProxy("127.0.0.1", 6379) as proxy:
        client = redis.Redis(host="127.0.0.1", port=proxy.port, socket_timeout=1)
        proxy.set_latency(0.2)   # every request/response round trip gains ~0.2 s
        proxy.hang()             # bytes stop flowing both ways; connections stay open
        proxy.resume()           # held bytes are delivered, traffic flows again
        proxy.reset_all()        # every open connection is reset (RST) on both sides
        proxy.refuse(True)       # new connections are reset at once; refuse(False) undoes
        proxy.heal()             # no latency, no hang, no refusing
        proxy.stats()            # connection and byte counters

Latency is applied per chunk, half on the way to the target and half on the way back, so a
request/response exchange is delayed by `seconds`; chunks keep their order and do not queue
behind each other's delay.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

from testing import STAND_IN_NICENESS, thread_niceness_set

CONTROL_TIMEOUT = 5.0
CONNECT_TIMEOUT = 5.0
READ_SIZE = 65536

Result = TypeVar("Result")


@dataclass
class ProxyStats:
    connections_accepted: int = 0
    connections_open: int = 0
    connections_refused: int = 0
    connections_reset: int = 0
    upstream_failures: int = 0
    bytes_to_target: int = 0
    bytes_to_client: int = 0


def abort_with_reset(writer: asyncio.StreamWriter) -> None:
    """Close so the peer sees a reset (RST), not an orderly end of stream."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            # SO_LINGER on with a zero timeout turns close() into a RST.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


async def run_until_first_failure(coroutines: list[Awaitable[None]]) -> None:
    """Run all; when one fails, or the caller is cancelled, cancel the rest."""
    tasks = [asyncio.ensure_future(coroutine) for coroutine in coroutines]
    try:
        await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


class _Pipe:
    """One direction of one connection: reads chunks, delivers them late and in order."""

    def __init__(self, proxy: FaultProxy, reader, writer, counter: str) -> None:
        self._proxy = proxy
        self._reader = reader
        self._writer = writer
        self._counter = counter
        self._chunks: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    def jobs(self) -> list[Awaitable[None]]:
        # Reading and delivering run apart so a chunk's delay never holds up reading the next.
        return [self._read(), self._deliver()]

    async def _read(self) -> None:
        while data := await self._reader.read(READ_SIZE):
            due = time.monotonic() + self._proxy.latency / 2
            self._chunks.put_nowait((due, data))
        self._chunks.put_nowait((0.0, b""))  # end of stream

    async def _deliver(self) -> None:
        while True:
            due, data = await self._chunks.get()
            await asyncio.sleep(max(0.0, due - time.monotonic()))
            await self._proxy.flowing.wait()
            if not data:
                self._send_end_of_stream()
                return
            self._proxy.count(self._counter, len(data))
            self._writer.write(data)
            await self._writer.drain()

    def _send_end_of_stream(self) -> None:
        if self._writer.can_write_eof():
            with contextlib.suppress(OSError):
                self._writer.write_eof()


class _Connection:
    def __init__(self, client_writer, target_writer) -> None:
        self.client_writer = client_writer
        self.target_writer = target_writer
        self.relay: asyncio.Task | None = None
        self.was_reset = False

    def reset(self) -> None:
        self.was_reset = True
        abort_with_reset(self.client_writer)
        abort_with_reset(self.target_writer)
        if self.relay is not None:
            self.relay.cancel()  # its pipes may be parked on a hang, waiting for nothing

    def close(self) -> None:
        self.client_writer.close()
        self.target_writer.close()


class FaultProxy:
    """TCP proxy from 127.0.0.1:`listen_port` (0 picks one) to `target_host`:`target_port`."""

    def __init__(
        self,
        target_host: str,
        target_port: int,
        listen_host: str = "127.0.0.1",
        listen_port: int = 0,
    ) -> None:
        self.target = (target_host, target_port)
        self._listen = (listen_host, listen_port)
        self.latency = 0.0
        self._refusing = False
        self._stats = ProxyStats()
        self._stats_lock = threading.Lock()
        self._connections: set[_Connection] = set()
        self._handlers: set[asyncio.Task] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self.flowing: asyncio.Event | None = None
        self.port: int | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> int:
        """Start listening in a background thread; return the port."""
        if self._thread is not None:
            return self.port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="FaultProxy-loop", daemon=True
        )
        self._thread.start()
        try:
            self.port = self._call(self._open_listener)
        except BaseException:
            self._stop_loop(CONTROL_TIMEOUT)  # e.g. the port is taken: leave no thread behind
            raise
        return self.port

    def yield_cpu(self, niceness: int = STAND_IN_NICENESS) -> None:
        """Relay at a lower CPU priority from now on (see testing.thread_niceness_set)."""
        if self._thread is not None and self._thread.native_id is not None:
            thread_niceness_set(self._thread.native_id, niceness)

    def stop(self, timeout: float = CONTROL_TIMEOUT) -> None:
        if self._thread is None:
            return
        try:
            self._call(self._shut_down, timeout=timeout)
        finally:
            self._stop_loop(timeout)

    def _stop_loop(self, timeout: float) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout)
        if not self._thread.is_alive():
            self._loop.close()
        self._thread = None

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def address(self) -> tuple[str, int]:
        return (self._listen[0], self.port)

    # -- faults ----------------------------------------------------------------------------

    def set_latency(self, seconds: float) -> None:
        """Delay every request/response round trip by `seconds` (new chunks onwards)."""
        self.latency = seconds

    def hang(self) -> None:
        """Stop forwarding bytes both ways; connections stay open and new ones are accepted."""
        self._call(self._set_flowing, False)

    def resume(self) -> None:
        """Undo hang(): bytes held meanwhile are delivered, then traffic flows normally."""
        self._call(self._set_flowing, True)

    def reset_all(self) -> int:
        """Reset every open connection on both sides; return how many there were."""
        return self._call(self._reset_all)

    def refuse(self, enabled: bool = True) -> None:
        """While enabled, reset each new connection as soon as it is accepted."""
        self._refusing = enabled

    def heal(self) -> None:
        """Back to a transparent proxy: no latency, no hang, no refusing."""
        self.set_latency(0.0)
        self.refuse(False)
        self.resume()

    def stats(self) -> dict[str, int]:
        with self._stats_lock:
            return asdict(self._stats)

    def count(self, counter: str, amount: int = 1) -> None:
        with self._stats_lock:
            setattr(self._stats, counter, getattr(self._stats, counter) + amount)

    # -- inside the loop -------------------------------------------------------------------

    def _call(
        self,
        function: Callable[..., Awaitable[Result]],
        *args: Any,
        timeout: float = CONTROL_TIMEOUT,
    ) -> Result:
        future = asyncio.run_coroutine_threadsafe(function(*args), self._loop)
        return future.result(timeout)

    async def _open_listener(self) -> int:
        self.flowing = asyncio.Event()
        self.flowing.set()
        self._server = await asyncio.start_server(self._serve, *self._listen)
        return self._server.sockets[0].getsockname()[1]

    async def _set_flowing(self, flowing: bool) -> None:
        if flowing:
            self.flowing.set()
        else:
            self.flowing.clear()

    async def _reset_all(self) -> int:
        connections = list(self._connections)
        for connection in connections:
            connection.reset()
        return len(connections)

    async def _shut_down(self) -> None:
        self._server.close()
        await self._reset_all()
        handlers = list(self._handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await self._server.wait_closed()

    async def _serve(self, client_reader, client_writer) -> None:
        handler = asyncio.current_task()
        self._handlers.add(handler)
        try:
            await self._proxy_connection(client_reader, client_writer)
        finally:
            self._handlers.discard(handler)

    async def _proxy_connection(self, client_reader, client_writer) -> None:
        self.count("connections_accepted")
        if self._refusing:
            self.count("connections_refused")
            abort_with_reset(client_writer)
            return
        try:
            target_reader, target_writer = await asyncio.wait_for(
                asyncio.open_connection(*self.target), CONNECT_TIMEOUT
            )
        except (OSError, TimeoutError):
            self.count("upstream_failures")
            abort_with_reset(client_writer)
            return
        connection = _Connection(client_writer, target_writer)
        await self._relay(connection, client_reader, target_reader)

    async def _relay(self, connection: _Connection, client_reader, target_reader) -> None:
        connection.relay = asyncio.current_task()
        self._connections.add(connection)
        self.count("connections_open")
        to_target = _Pipe(self, client_reader, connection.target_writer, "bytes_to_target")
        to_client = _Pipe(self, target_reader, connection.client_writer, "bytes_to_client")
        try:
            await run_until_first_failure(to_target.jobs() + to_client.jobs())
        except asyncio.CancelledError:
            if not connection.was_reset:
                raise  # cancelled from outside, not by our own reset
        finally:
            self._connections.discard(connection)
            self.count("connections_open", -1)
            if connection.was_reset:
                self.count("connections_reset")
            else:
                connection.close()


# -- from another process ------------------------------------------------------------------------
# python -m testing.fault_proxy --target 127.0.0.1:5432
# prints {"port": N} once listening, then reads one command per line on stdin and answers each
# with one JSON line: `latency SECONDS`, `hang`, `resume`, `reset`, `refuse on|off`, `heal`,
# `stats`. It stops at the end of its input.

COMMANDS: dict[str, Callable[[FaultProxy, list[str]], Any]] = {
    "latency": lambda proxy, args: proxy.set_latency(float(args[0])),
    "hang": lambda proxy, args: proxy.hang(),
    "resume": lambda proxy, args: proxy.resume(),
    "reset": lambda proxy, args: proxy.reset_all(),
    "refuse": lambda proxy, args: proxy.refuse(args[0] == "on"),
    "heal": lambda proxy, args: proxy.heal(),
    "stats": lambda proxy, args: proxy.stats(),
}


def main() -> None:
    import argparse
    import json
    import sys

    parser = argparse.ArgumentParser(description="a TCP fault proxy on 127.0.0.1")
    parser.add_argument("--target", required=True, help="host:port to forward to")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    arguments = parser.parse_args()
    host, port = arguments.target.rsplit(":", 1)
    with FaultProxy(host, int(port), listen_port=arguments.port) as proxy:
        print(json.dumps({"port": proxy.port}), flush=True)
        for line in sys.stdin:
            name, *args = line.split() or [""]
            try:
                answer = {"ok": True, "result": COMMANDS[name](proxy, args)}
            except (KeyError, IndexError, ValueError) as error:
                answer = {"ok": False, "error": f"{line.strip()!r}: {error!r}"}
            print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
