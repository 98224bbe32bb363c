"""Request bodies, bounded in size and in time, and webhooks' in memory too.

    async with whole_body(scope, receive, limit=..., timeout=...) as body:       # webhooks
        ...
    await within_limits(handler, scope, receive, send, limit=..., timeout=...)  # the others

A webhook's body is read whole into memory before the webhook queues for its turn
(clinicbot.runtime.admission), within a deadline for the whole read. A client that sends
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
    """The whole body, read within `timeout` seconds, and held (counted against the memory
    budget) until the block ends. Raises Refused(413 | 408 | 503) or ClientGone."""
    declared = declared_length(scope)
    if declared is not None and declared > limit:
        raise Refused(413)
    chunks: list[bytes] = []
    try:
        async with asyncio.timeout(timeout):
            await _read(receive, chunks, limit)
    except TimeoutError:
        _release(chunks)
        raise Refused(408) from None
    except BaseException:
        _release(chunks)
        raise
    # One copy only, the joined body: the chunks go at once, their bytes still counted.
    body = b"".join(chunks)
    chunks.clear()
    try:
        yield body
    finally:
        _Held.bytes -= len(body)


async def _read(receive, chunks: list[bytes], limit: int) -> None:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise Refused(413)
        if _Held.bytes + len(chunk) > settings.WEBHOOK_BODIES_IN_MEMORY_BYTES:
            raise Refused(503)
        _Held.bytes += len(chunk)
        chunks.append(chunk)
        if not message.get("more_body", False):
            return


def _release(chunks: list[bytes]) -> None:
    _Held.bytes -= sum(len(chunk) for chunk in chunks)
    chunks.clear()


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
