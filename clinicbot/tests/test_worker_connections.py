"""A prefork Celery worker, as deployed, keeps its PostgreSQL connections between tasks.

Celery's Django fixup closes Django's connection pool around every task in a prefork worker,
so each stage B flush opened a new connection: a few milliseconds on loopback, a TLS handshake
to Supabase. The connections are counted at the fault proxy in front of Postgres."""

import json
import time

import pytest

from conversations.models import Message
from conversations.tests.conftest import SECRET, text_message
from testing.servers import clean_environment
from testing.stack import running_stack

pytestmark = pytest.mark.django_db(transaction=True)
MESSAGES = 10


def wait_until_stored(message_ids: list[str], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while Message.objects.filter(wa_message_id__in=message_ids).count() < len(message_ids):
        assert time.monotonic() < deadline, "stage B did not store the messages"
        time.sleep(0.2)


@pytest.mark.timeout(120)
def test_a_prefork_worker_reuses_its_database_connections_between_tasks(settings, clinic):
    database = settings.DATABASES["default"]["NAME"]
    url = settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}"
    environment = clean_environment()
    with running_stack(database_url=url, redis_url=settings.REDIS_URL, secret=SECRET,
                       environment=environment, worker_pool="prefork") as stack:  # fmt: skip
        stack.post(json.dumps(text_message("Здравствуйте", message_id="CONN-0")).encode())
        wait_until_stored(["CONN-0"])  # the worker's child has connected once
        before = stack.postgres.stats()["connections_accepted"]

        ids = [f"CONN-{n}" for n in range(1, MESSAGES + 1)]
        for message_id in ids:
            stack.post(json.dumps(text_message("Спасибо", message_id=message_id)).encode())
            wait_until_stored([message_id])  # one flush task per message
        opened = stack.postgres.stats()["connections_accepted"] - before

    assert opened <= 1, f"{opened} new connections for {MESSAGES} flush tasks"
