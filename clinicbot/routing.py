"""The ASGI application: Django, with the machine-to-machine routes served without threads.

The gateway's webhooks and the health check use no session, user, CSRF token or message, yet
Django's ASGI handler spends more on them than our code does:
- its middleware (MiddlewareMixin) runs each hook of each middleware in a thread when serving
  async views: about fourteen thread hops before our code runs;
- every request opens a ThreadSensitiveContext, whose first sync call starts a new thread, and
  sends `request_started` and `request_finished` through that thread (their receivers close
  stale database connections);
- a second task per request listens for the client going away.
Measured under load, those threads cost more CPU than the webhook itself and, worse, hold the GIL
while the event loop waits for it. These routes go to a lean handler instead: same URLconf, same
django-ninja views, same error handling, no middleware, no signals, no threads. Our async views
never touch the database on the event loop's thread; the few lookups that do run in a worker
thread hand their connection back themselves (conversations.directory, pricing.cache).
Everything else (the admin) keeps the full stack.

Webhooks are admitted WEBHOOKS_AT_ONCE at a time per process; the rest wait their turn in
arrival order before any work is done for them. Without a bound, a slow moment piles hundreds of
half-done requests onto one event loop: each turn of the loop then takes longer, every Redis reply
and gateway answer waits for it, and past the Redis client's connection limit messages are
refused with 503 and accepted ones lose their turn (seen on this machine: hundreds of requests
in flight at 200 messages per second, replies seconds late long after the moment had passed).
Waiting here costs nothing and holds no connection.
"""

import asyncio
import weakref

import django
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

WEBHOOK_PREFIX = "/webhooks/"  # lean, and admitted a few at a time
LEAN_PATHS = ("/health",)  # lean (the exact /health is answered before this)
# Under the Redis client's 100 connections (clinicbot.redis_client), so a pile-up waits here
# instead of failing there with 503s; above what a busy worker needs. Measured: 16 held back
# the open-loop warm-up (slots held by first messages waiting up to 600 ms on the database for
# their session: p50 555 ms against 3.75 ms with 64).
WEBHOOKS_AT_ONCE = 64


class LeanASGIHandler(ASGIHandler):
    """Django's ASGI handler with no middleware, no request signals and no threads."""

    async def __call__(self, scope, receive, send):
        await self.handle(scope, receive, send)  # no ThreadSensitiveContext: no thread to share

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        try:
            request, response = self.create_request(scope, body_file)
            if request is not None:
                response = await self.run_get_response(request)
            await self.send_response(response, send)
        finally:
            # Not response.close(): it sends request_finished, whose receivers would close
            # database connections this thread never opens.
            body_file.close()

    def load_middleware(self, is_async=False):
        self._view_middleware = []
        self._template_response_middleware = []
        self._exception_middleware = []
        get_response = self._get_response_async if is_async else self._get_response
        self._middleware_chain = convert_exception_to_response(get_response)


def build_application():
    django.setup(set_prefix=False)
    full, lean = ASGIHandler(), LeanASGIHandler()

    async def application(scope, receive, send):
        if scope["type"] == "lifespan":
            return await _lifespan(receive, send)
        if scope["type"] == "http" and scope["path"] == "/health":
            # Answered before Django builds a request: Fly's check must pass however busy the
            # worker is (the same answer as the ninja route clinicbot.health.health).
            return await _health(send)
        if scope["type"] == "http" and scope["path"].startswith(WEBHOOK_PREFIX):
            async with _admission():
                return await lean(scope, receive, send)
        if scope["type"] == "http" and scope["path"].startswith(LEAN_PATHS):
            return await lean(scope, receive, send)
        return await full(scope, receive, send)

    return application


_admissions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _admission() -> asyncio.Semaphore:
    """The running event loop's webhook admission (a semaphore belongs to one loop)."""
    loop = asyncio.get_running_loop()
    admission = _admissions.get(loop)
    if admission is None:
        admission = _admissions[loop] = asyncio.Semaphore(WEBHOOKS_AT_ONCE)
    return admission


async def _lifespan(receive, send) -> None:
    """Starting needs nothing here (the warm-up runs in a thread of its own). Stopping closes
    the gateway's keep-alive connections, which belong to this event loop."""
    from conversations.sending import get_backend

    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            close = getattr(get_backend(), "aclose", None)  # only the gateway has connections
            if close is not None:
                await close()
            await send({"type": "lifespan.shutdown.complete"})
            return


HEALTH_BODY = b'{"status": "ok"}'


async def _health(send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"16")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": HEALTH_BODY})
