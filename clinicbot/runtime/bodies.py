"""Request bodies, bounded in size and in time, and webhooks' in memory too.

    async with whole_body(scope, receive, limit=..., timeout=...) as body:       # webhooks
        ...
    await within_limits(handler, scope, receive, send, limit=..., timeout=...)  # the others

A webhook's body is read whole into memory before the webhook queues for its turn
(clinicbot.runtime.admission), within a deadline for the whole read, into one buffer that the
view reads without a copy (BodyFile): a 64 MiB media body is held once. A client that sends
slowly, or stops, holds its own connection and nothing else: no turn, so every other webhook
goes on, and it is answered 408 and dropped when the deadline passes.
The body is never spooled to a temporary file (Django's own reader does that past 2.5 MiB): one
declared over the limit is refused with 413 before a byte of it is read, and one without a
Content-Length (chunked) as soon as it passes the limit, so an unauthenticated client can fill
no disk. Memory is bounded instead: the bodies a process holds at once, read or being read, stay
within settings.WEBHOOK_BODIES_IN_MEMORY_BYTES; past that a webhook is answered 503, which the
gateway retries.

Every other request (the staff console) keeps Django's own reader, held to the same deadline and
to a limit the same way (413 from its Content-Length, or once a chunked body passes it); Django
keeps a body that size in memory (FILE_UPLOAD_MAX_MEMORY_SIZE), so it spools none either.
"""

import asyncio
import io
from contextlib import asynccontextmanager

from django.conf import settings


class Refused(Exception):
    """The request is answered with this status, its body unread or read only in part."""

    def __init__(self, status: int):
        super().__init__(status)
        self.status = status


class ClientGone(Exception):
    """The client closed the connection before its body was complete: nobody to answer."""


class _Held:
    """Bytes of webhook bodies this process holds in memory (one event loop per process)."""

    bytes = 0


def declared_length(scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:  # the server refuses such a request before it reaches us
                return None
    return None


@asynccontextmanager
async def whole_body(scope, receive, *, limit: int, timeout: float):
    """The whole body (a bytearray), read within `timeout` seconds, and held (counted against
    the memory budget) until the block ends. Raises Refused(413 | 408 | 503) or ClientGone."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise Refused(413)
    # One buffer, grown in place as chunks arrive (a large one is grown by remapping its pages,
    # not copied): joining the chunks at the end would hold the body twice at that moment.
    # Not allocated at the declared size up front: a client that stops early would hold it all.
    body = bytearray()
    try:
        async with asyncio.timeout(timeout):
            await _read(receive, body, limit)
    except TimeoutError:
        _release(body)
        raise Refused(408) from None
    except BaseException:
        _release(body)
        raise
    try:
        yield body
    finally:
        _release(body)


async def _read(receive, body: bytearray, limit: int) -> None:
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        if len(body) + len(chunk) > limit:
            raise Refused(413)
        if _Held.bytes + len(chunk) > settings.WEBHOOK_BODIES_IN_MEMORY_BYTES:
            raise Refused(503)
        _Held.bytes += len(chunk)
        body += chunk
        if not message.get("more_body", False):
            return


def _release(body: bytearray) -> None:
    _Held.bytes -= len(body)


class BodyFile(io.RawIOBase):
    """A whole body as the request's stream: a read of all of it hands the buffer itself over
    (io.BytesIO would copy a bytearray); a partial read copies only what it returns."""

    def __init__(self, body: bytearray):
        super().__init__()
        self._body = body
        self._at = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int | None = -1) -> bytes | bytearray:
        if self._at == 0 and (size is None or size < 0 or size >= len(self._body)):
            self._at = len(self._body)
            return self._body
        return super().read(size)

    def readinto(self, buffer) -> int:
        view = memoryview(self._body)[self._at : self._at + len(buffer)]
        buffer[: len(view)] = view
        self._at += len(view)
        return len(view)


async def within_limits(handler, scope, receive, send, *, limit: int, timeout: float) -> None:
    """Run an ASGI handler that reads the body itself (Django's), refusing a body over `limit`
    (413: from its Content-Length before it is read, else once that much has arrived) or not
    received within `timeout` seconds (408). The handler is told the client went away, and
    stops reading."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        return await answer(send, 413)
    deadline = asyncio.get_running_loop().time() + timeout
    received, complete, refusal = 0, False, None

    async def receive_within_limits():
        nonlocal received, complete, refusal
        if complete:  # past the body: Django listening for the client going away
            return await receive()
        try:
            async with asyncio.timeout_at(deadline):
                message = await receive()
        except TimeoutError:
            refusal = 408
            return {"type": "http.disconnect"}
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                refusal = 413
                return {"type": "http.disconnect"}
            complete = not message.get("more_body", False)
        return message

    await handler(scope, receive_within_limits, send)
    if refusal:
        await answer(send, refusal)


async def answer(send, status: int) -> None:
    """An empty answer that closes the connection: what is left of the body is never read."""
    headers = [(b"content-length", b"0"), (b"connection", b"close")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b""})
