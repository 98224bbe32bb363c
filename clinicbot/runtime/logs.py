"""Logging set-up (settings.LOGGING_CONFIG): Django's LOGGING, and request paths in logs without
query strings or secrets.

A query string can carry PHI: the admin's conversation search takes a patient's phone number
(`?q=+7 912 ...`), and its filters and pages keep it in their links. A path can carry a
credential: a gateway that cannot send headers puts the webhook secret in its URL
(`/webhooks/evolution/t/<secret>`). Two kinds of log line name a request's path:
- the web server's access log (uvicorn's, under gunicorn's uvicorn workers or on its own), which
  records each request line; here it keeps the path, drops the query and hides the segment after
  every `/t/`;
- Django's own: an answer of 400 or more is logged with its path by `django.request` (the
  webhook's 401 to a wrong secret too), runserver logs every request line on `django.server`,
  and a CSRF refusal on `django.security.csrf`; the segment after `/t/` is hidden there too.
Each filter sits on the logger itself, so it holds whichever handlers the server or Django gives
it (gunicorn's --access-logfile, uvicorn's console, Django's defaults and ours).
"""

import logging
import logging.config
import re

ACCESS_LOGGER = "uvicorn.access"
# uvicorn's access record: (client address, method, path with query string, HTTP version, status).
PATH_ARG = 2
ACCESS_ARGS = 5
# Django's loggers whose records name a request's path in their arguments.
DJANGO_PATH_LOGGERS = ("django.request", "django.server", "django.security.csrf")

# The segment after `/t/`, wherever it is: a secret the URL carries, as written by the sender (a
# URL-safe secret never holds a slash, so one segment is all of it).
PATH_SECRET = re.compile(r"/t/[^/?#\s]*")
REDACTED = "/t/[redacted]"


def redacted(text: str) -> str:
    return PATH_SECRET.sub(REDACTED, text)


class AccessPathsCleaned(logging.Filter):
    """An access record's path without its query string or a secret segment."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == ACCESS_ARGS and isinstance(args[PATH_ARG], str):
            path = redacted(args[PATH_ARG].split("?", 1)[0])
            record.args = (*args[:PATH_ARG], path, *args[PATH_ARG + 1 :])
        return True


class PathSecretsRedacted(logging.Filter):
    """A Django record with no secret segment: in its arguments (the path, or runserver's
    request line), and in its message in case a path was put there rather than passed."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str):
            record.msg = redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(
                redacted(arg) if isinstance(arg, str) else arg for arg in record.args
            )
        return True


ACCESS_PATHS_CLEANED = AccessPathsCleaned()
PATH_SECRETS_REDACTED = PathSecretsRedacted()


def configure_logging(logging_settings: dict) -> None:
    logging.config.dictConfig(logging_settings)
    # Added once (the same filter objects): Django configures logging again in some commands.
    logging.getLogger(ACCESS_LOGGER).addFilter(ACCESS_PATHS_CLEANED)
    for name in DJANGO_PATH_LOGGERS:
        logging.getLogger(name).addFilter(PATH_SECRETS_REDACTED)
