"""Request paths in log records: the access log keeps the path without its query string or the
segment after `/t/` (a webhook secret), Django's path-naming loggers lose that segment too, and
other paths stay as they were. Through the real server: conversations'
test_phone_search_stays_out_of_logs and channels.evolution's test_path_secret_stays_out_of_logs."""

import logging

import pytest

from clinicbot.runtime.logs import (
    ACCESS_LOGGER,
    DJANGO_PATH_LOGGERS,
    AccessPathsCleaned,
    PathSecretsRedacted,
    configure_logging,
)


def access_record(path: str) -> logging.LogRecord:
    """A record as uvicorn's access logger makes it."""
    args = ("127.0.0.1:5000", "POST", path, "1.1", 200)
    return logging.LogRecord(
        ACCESS_LOGGER, logging.INFO, "h11_impl.py", 1, '%s - "%s %s HTTP/%s" %d', args, None
    )


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/webhooks/evolution/t/s3cr3t-Value_1", "/webhooks/evolution/t/[redacted]"),
        (
            "/webhooks/evolution/t/s3cr3t%20x/messages-upsert",
            "/webhooks/evolution/t/[redacted]/messages-upsert",
        ),
        ("/webhooks/evolution/t/s3cr3t?x=1", "/webhooks/evolution/t/[redacted]"),
        ("/webhooks/evolution/t/", "/webhooks/evolution/t/[redacted]"),
        ("/admin/conversations/?q=%2B79123456789", "/admin/conversations/"),
        ("/webhooks/evolution/messages-upsert", "/webhooks/evolution/messages-upsert"),
        ("/webhooks/evolution/test/x", "/webhooks/evolution/test/x"),
    ],
)
def test_an_access_record_keeps_the_path_without_query_or_secret(path, logged):
    record = access_record(path)
    AccessPathsCleaned().filter(record)
    assert record.getMessage() == f'127.0.0.1:5000 - "POST {logged} HTTP/1.1" 200'


def test_djangos_records_lose_the_secret_in_their_arguments_and_message():
    refusal = logging.LogRecord(
        "django.request",
        logging.WARNING,
        "log.py",
        1,
        "%s: %s",
        ("Unauthorized", "/webhooks/evolution/t/s3cr3t/messages-upsert"),
        None,
    )
    runserver = logging.LogRecord(
        "django.server",
        logging.INFO,
        "basehttp.py",
        1,
        '"%s" %s %s',
        ("POST /webhooks/evolution/t/s3cr3t HTTP/1.1", 401, 0),
        None,
    )
    written_in = logging.LogRecord(
        "django.request",
        logging.WARNING,
        "x.py",
        1,
        "refused /webhooks/evolution/t/s3cr3t",
        (),
        None,
    )
    for record in (refusal, runserver, written_in):
        PathSecretsRedacted().filter(record)
    assert refusal.getMessage() == "Unauthorized: /webhooks/evolution/t/[redacted]/messages-upsert"
    assert runserver.getMessage() == '"POST /webhooks/evolution/t/[redacted] HTTP/1.1" 401 0'
    assert written_in.getMessage() == "refused /webhooks/evolution/t/[redacted]"


def test_configuring_again_keeps_one_filter_on_each_logger(settings):
    configure_logging(settings.LOGGING)
    configure_logging(settings.LOGGING)
    for name in (ACCESS_LOGGER, *DJANGO_PATH_LOGGERS):
        kinds = [type(item) for item in logging.getLogger(name).filters]
        assert len(kinds) == 1, name
        assert kinds[0] in (AccessPathsCleaned, PathSecretsRedacted)
