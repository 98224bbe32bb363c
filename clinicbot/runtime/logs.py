"""Logging set-up (settings.LOGGING_CONFIG): Django's LOGGING, and access logs without query
strings.

A query string can carry PHI: the admin's conversation search takes a patient's phone number
(`?q=+7 912 ...`), and its filters and pages keep it in their links. The web server's access log
(uvicorn's, under gunicorn's uvicorn workers or on its own) records each request line; here every
record of it keeps the path and drops the query. The filter sits on the access logger itself, so
it holds whichever handlers the server gives it (gunicorn's --access-logfile, uvicorn's console).
"""

import logging
import logging.config

ACCESS_LOGGER = "uvicorn.access"
# uvicorn's access record: (client address, method, path with query string, HTTP version, status).
PATH_ARG = 2
ACCESS_ARGS = 5


class QueryStringsOmitted(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) == ACCESS_ARGS and isinstance(args[PATH_ARG], str):
            path = args[PATH_ARG].split("?", 1)[0]
            record.args = (*args[:PATH_ARG], path, *args[PATH_ARG + 1 :])
        return True


QUERY_STRINGS_OMITTED = QueryStringsOmitted()


def configure_logging(logging_settings: dict) -> None:
    logging.config.dictConfig(logging_settings)
    # Added once (the same filter object): Django configures logging again in some commands.
    logging.getLogger(ACCESS_LOGGER).addFilter(QUERY_STRINGS_OMITTED)
