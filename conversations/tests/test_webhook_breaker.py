"""While the database circuit is open, the fast lane answers from its caches without waiting."""

import time

import pytest

from clinicbot.runtime.breaker import OPEN, database_breaker
from conversations.tests.conftest import post_webhook, queries_in_any_thread, text_message

pytestmark = pytest.mark.django_db(transaction=True)


def open_the_circuit():
    for _ in range(database_breaker.failure_threshold):
        database_breaker.record_failure()
    assert database_breaker.state == OPEN


@pytest.mark.usefixtures("no_cachalot")
async def test_an_open_circuit_still_answers_price_questions_from_the_caches(
    async_client, clinic, outbox
):
    await post_webhook(async_client, text_message("Здравствуйте"))  # warms the caches
    open_the_circuit()
    with queries_in_any_thread() as queries:
        response = await post_webhook(async_client, text_message("Сколько стоит чистка?"))
    assert response.json() == {"status": "accepted"}
    assert "4\xa0500" in outbox[-1]["text"]
    assert queries == []


async def test_a_new_conversation_is_accepted_at_once_and_not_answered_on_a_guess(
    async_client, clinic, outbox
):
    """Whether staff have the conversation is unknown: the reply waits for the database (the
    sweep decides it then: test_control_through_outage)."""
    await post_webhook(async_client, text_message("Здравствуйте"))  # the clinic is cached
    open_the_circuit()
    started = time.monotonic()
    response = await post_webhook(async_client, text_message("Привет", phone="79990000001"))
    assert response.json() == {"status": "accepted"}
    assert time.monotonic() - started < 0.3  # no 600 ms lookup cap to sit out
    assert len(outbox) == 1


async def test_an_unknown_clinic_gets_503_at_once_when_the_circuit_is_open(async_client, clinic):
    open_the_circuit()
    started = time.monotonic()
    response = await post_webhook(async_client, text_message("Привет"))  # nothing cached yet
    assert response.status_code == 503
    assert time.monotonic() - started < 0.3
