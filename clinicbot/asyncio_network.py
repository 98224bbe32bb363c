"""A lean asyncio network backend for httpcore (the engine under httpx), for the gateway sends.

httpcore's default backend on asyncio goes through anyio: every write takes a cancellation
checkpoint and a second loop turn, and every idle connection in the pool is polled with a
system call before each request. On the webhook's hot path that was about a sixth of the web
worker's CPU (py-spy, under saturation). This backend keeps httpcore's pooling, HTTP/1.1 and
timeouts, and does the socket part with a plain asyncio Protocol: a write is one
`transport.write`, and whether an idle connection was closed by the gateway is a flag the event
loop already set.

It raises httpcore's own exceptions (ConnectError/ConnectTimeout, ReadError/ReadTimeout,
WriteError/WriteTimeout), which httpx maps to its own, so the send's outcome (NOT_SENT only
when nothing can have reached the gateway) is classified exactly as with the default backend.
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

import httpcore

# Past this much unread data the socket stops being read until the reader catches up.
READ_HIGH_WATER = 256 * 1024


class _StreamProtocol(asyncio.Protocol):
    """Collects what arrives and wakes whoever waits for it; tracks the write buffer's state."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.eof = False
        self.error: BaseException | None = None
        self.writing_paused = False
        self._data_waiter: asyncio.Future | None = None
        self._drain_waiter: asyncio.Future | None = None

    def connection_made(self, transport) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > READ_HIGH_WATER:
            self.transport.pause_reading()
        _wake(self._data_waiter)

    def eof_received(self) -> bool:
        self.eof = True
        _wake(self._data_waiter)
        return False  # close our side too: an HTTP/1.1 connection is not used half-open

    def connection_lost(self, exc: BaseException | None) -> None:
        self.eof = True
        self.error = exc
        _wake(self._data_waiter)
        _wake(self._drain_waiter)

    def pause_writing(self) -> None:
        self.writing_paused = True

    def resume_writing(self) -> None:
        self.writing_paused = False
        _wake(self._drain_waiter)

    def data_waiter(self) -> asyncio.Future:
        self._data_waiter = asyncio.get_running_loop().create_future()
        return self._data_waiter

    def drain_waiter(self) -> asyncio.Future:
        self._drain_waiter = asyncio.get_running_loop().create_future()
        return self._drain_waiter


def _wake(waiter: asyncio.Future | None) -> None:
    if waiter is not None and not waiter.done():
        waiter.set_result(None)


class AsyncioStream(httpcore.AsyncNetworkStream):
    def __init__(self, transport: asyncio.Transport, protocol: _StreamProtocol) -> None:
        self._transport = transport
        self._protocol = protocol

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        protocol = self._protocol
        if not protocol.buffer and not protocol.eof:
            try:
                async with asyncio.timeout(timeout):
                    await protocol.data_waiter()
            except TimeoutError as exc:
                raise httpcore.ReadTimeout("no data from the server in time") from exc
        if protocol.buffer:
            data = bytes(protocol.buffer[:max_bytes])
            del protocol.buffer[:max_bytes]
            if len(protocol.buffer) <= READ_HIGH_WATER and not self._transport.is_closing():
                self._transport.resume_reading()
            return data
        if protocol.error is not None:
            raise httpcore.ReadError(f"connection lost: {type(protocol.error).__name__}")
        return b""  # the server closed the connection

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        if self._transport.is_closing():
            raise httpcore.WriteError("the connection is closed")
        self._transport.write(buffer)
        if self._protocol.writing_paused:
            try:
                async with asyncio.timeout(timeout):
                    await self._protocol.drain_waiter()
            except TimeoutError as exc:
                raise httpcore.WriteTimeout("the server did not take the data in time") from exc
            if self._protocol.error is not None:
                raise httpcore.WriteError("connection lost while writing")

    async def aclose(self) -> None:
        self._transport.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(timeout):
                transport = await loop.start_tls(
                    self._transport, self._protocol, ssl_context, server_hostname=server_hostname
                )
        except TimeoutError as exc:
            self._transport.abort()
            raise httpcore.ConnectTimeout("TLS handshake timed out") from exc
        except (OSError, ssl.SSLError, ConnectionError) as exc:
            self._transport.abort()
            raise httpcore.ConnectError(f"TLS handshake failed: {exc}") from exc
        self._protocol.transport = transport
        return AsyncioStream(transport, self._protocol)

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":
            # An idle keep-alive connection is readable only if the server closed it (or sent
            # something unasked): the event loop has already recorded either.
            return bool(self._protocol.buffer) or self._protocol.eof
        if info == "ssl_object":
            return self._transport.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._transport.get_extra_info("sockname")
        if info == "server_addr":
            return self._transport.get_extra_info("peername")
        if info == "socket":
            return self._transport.get_extra_info("socket")
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options=None,
    ) -> httpcore.AsyncNetworkStream:
        loop = asyncio.get_running_loop()
        local = (local_address, 0) if local_address else None
        try:
            async with asyncio.timeout(timeout):
                # asyncio sets TCP_NODELAY on TCP connections it opens.
                transport, protocol = await loop.create_connection(
                    _StreamProtocol, host, port, local_addr=local
                )
        except TimeoutError as exc:  # before OSError: TimeoutError is one
            raise httpcore.ConnectTimeout(f"no connection to {host}:{port} in time") from exc
        except OSError as exc:
            raise httpcore.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        sock = transport.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(transport, protocol)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)
