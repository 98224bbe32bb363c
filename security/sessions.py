"""Staff sessions end after 15 idle minutes (SESSION_COOKIE_AGE, renewed by every request:
SESSION_SAVE_EVERY_REQUEST). A request a page makes by itself rather than its user (the open
inbox's poll, and the rows it fetches again) says so in the BACKGROUND_HEADER header and leaves
the session as it was: an inbox left open on an unattended screen still signs out, and then
shows the sign-in page instead of its rows (conversations/static/conversations/inbox.js).

A client that sends the header only keeps its own session from being renewed."""

from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.utils.cache import patch_vary_headers

BACKGROUND_HEADER = "X-Console-Background"


class SessionMiddleware(DjangoSessionMiddleware):
    def process_response(self, request, response):
        session = getattr(request, "session", None)
        if session is not None and not session.modified and is_background(request):
            patch_vary_headers(response, ("Cookie",))
            return response
        return super().process_response(request, response)


def is_background(request) -> bool:
    return request.headers.get(BACKGROUND_HEADER) == "1"
