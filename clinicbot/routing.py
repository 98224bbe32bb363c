"""The ASGI application: Django, with the machine-to-machine routes served without threads.

The gateway's webhooks and the health check use no session, user, CSRF token or message, yet
Django's ASGI handler puts them through work that costs the event loop dearly:
- its middleware (MiddlewareMixin) runs each hook of each middleware in a thread when serving
  async views: about fourteen thread hops before our code runs;
- every request opens a ThreadSensitiveContext, whose first sync call starts a new thread, and
  sends `request_started` and `request_finished` through that thread (their receivers close
  stale database connections);
- a second task per request listens for the client going away.
Under load those threads take the CPU from the event loop and, worse, hold the GIL while the
loop waits for it. These routes go to a lean handler instead: same URLconf, same django-ninja
views, same error handling, no middleware, no signals, no threads. Our async views
never block the event loop on the database: a new conversation's session is looked up through
psycopg's async connections (clinicbot.runtime.async_db), and the rare clinic and price-list
lookups run in a worker thread that hands its connection back itself (conversations.directory,
pricing.cache).
Everything else (the admin) keeps the full stack.

Webhooks take turns: one at work at a time per process (clinicbot.runtime.admission). A
webhook's body is read whole before it queues for a turn, so a client that sends it slowly holds
up no one else (clinicbot.runtime.bodies).
"""

import logging

import django
from django.conf import settings
from django.core.exceptions import RequestAborted
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

from clinicbot.runtime import aio
from clinicbot.runtime.admission import admitted
from clinicbot.runtime.bodies import (
    BodyFile,
    ClientGone,
    Refused,
    answer,
    whole_body,
    within_limits,
)

logger = logging.getLogger(__name__)

WEBHOOK_PREFIX = "/webhooks/"  # lean, and admitted in turns
LEAN_PATHS = ("/health",)  # lean (the exact /health is answered before this)


class LeanASGIHandler(ASGIHandler):
    """Django's ASGI handler with no middleware, no request signals and no threads."""

    async def __call__(self, scope, receive, send):
        await self.handle(scope, receive, send)  # no ThreadSensitiveContext: no thread to share

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        await self.respond(scope, body_file, send)

    async def respond(self, scope, body_file, send):
        """Answer a request whose body has been read."""
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
            return await _webhook(lean, scope, receive, send)
        if scope["type"] != "http":
            return await full(scope, receive, send)
        handler = lean if scope["path"].startswith(LEAN_PATHS) else full
        return await within_limits(
            handler,
            scope,
            receive,
            send,
            limit=settings.REQUEST_MAX_BODY_BYTES,
            timeout=settings.REQUEST_BODY_READ_TIMEOUT,
        )

    return application


async def _webhook(lean: LeanASGIHandler, scope, receive, send) -> None:
    """Read the whole body first, then take a turn: a slow or stalled client holds no turn."""
    limit, timeout = settings.WEBHOOK_MAX_BODY_BYTES, settings.REQUEST_BODY_READ_TIMEOUT
    try:
        async with whole_body(scope, receive, limit=limit, timeout=timeout) as body, admitted():
            await lean.respond(scope, BodyFile(body), send)
    except ClientGone:
        return
    except Refused as refused:
        if refused.status in REFUSALS_WORTH_A_LOG:
            logger.warning(
                "webhook %s: answered %s", REFUSALS_WORTH_A_LOG[refused.status], refused.status
            )
        await answer(send, refused.status)


# A gateway on a slow link, or a process short of memory for bodies, is worth knowing about.
REFUSALS_WORTH_A_LOG = {
    408: "body not received within REQUEST_BODY_READ_TIMEOUT",
    503: "body over what this process may hold in memory now",
}


async def _lifespan(receive, send) -> None:
    """Starting needs nothing here (the warm-up runs in a thread of its own); stopping closes
    the event loop's connections."""
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await aio.close_loop_connections()
            await send({"type": "lifespan.shutdown.complete"})
            return


HEALTH_BODY = b'{"status": "ok"}'


async def _health(send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"16")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": HEALTH_BODY})
