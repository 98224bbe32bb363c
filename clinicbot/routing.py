"""The ASGI application: Django, with the machine-to-machine routes served without middleware.

The gateway's webhooks and the health check use no session, user, CSRF token or message, yet
Django's middleware (MiddlewareMixin) runs each hook of each middleware in a thread when serving
async views: about fourteen thread hops and 2-3 ms of CPU per request before our code runs. Those
routes go to a second Django handler with an empty middleware stack instead: same URLconf, same
django-ninja views, same error handling, none of the hops. Everything else (the admin) keeps the
full stack.
"""

import django
from django.core.handlers.asgi import ASGIHandler
from django.core.handlers.exception import convert_exception_to_response

LEAN_PATHS = ("/webhooks/", "/health")


class LeanASGIHandler(ASGIHandler):
    """Django's ASGI handler with no middleware at all."""

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
        if scope["type"] == "http" and scope["path"] == "/health":
            # Answered before Django builds a request: Fly's check must pass however busy the
            # worker is (the same answer as the ninja route clinicbot.health.health).
            return await _health(send)
        if scope["type"] == "http" and scope["path"].startswith(LEAN_PATHS):
            return await lean(scope, receive, send)
        return await full(scope, receive, send)

    return application


HEALTH_BODY = b'{"status": "ok"}'


async def _health(send) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"16")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": HEALTH_BODY})
