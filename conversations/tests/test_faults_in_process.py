"""Fault scenarios 3 and 5 of the resilience issue, against real servers behind a fault proxy.

3. Redis unreachable: the webhook answers 503 and sends nothing; after Redis returns, the
   gateway's redeliveries are answered exactly once.
5. The gateway slow (3 s) or answering 500: the webhook still answers within about 1 s, and the
   reply arrives once (through the retry task).
"""

import asyncio
import time
from urllib.parse import urlsplit

import pytest

from conversations.tests.conftest import post_webhook, text_message
from testing.fault_proxy import FaultProxy

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_behind_proxy(settings):
    target = urlsplit(settings.REDIS_URL)
    with FaultProxy(target.hostname, target.port) as proxy:
        # The request path's Redis clients are made per event loop from this setting.
        settings.REDIS_URL = f"redis://127.0.0.1:{proxy.port}{target.path}"
        yield proxy


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("eager_tasks")
async def test_redis_unreachable_gets_503_then_redeliveries_are_answered_once(
    async_client, clinic, outbox, redis_behind_proxy
):
    body = text_message("Сколько стоит пломба?", message_id="WHILE-REDIS-DOWN")
    await post_webhook(async_client, text_message("Здравствуйте"))  # a warm connection
    redis_behind_proxy.refuse(True)
    redis_behind_proxy.reset_all()
    for _ in range(3):  # Evolution retries while we answer 503
        response = await post_webhook(async_client, body)
        assert response.status_code == 503
    assert len(outbox) == 1  # only the greeting, sent before Redis went away
    redis_behind_proxy.refuse(False)
    answers = [(await post_webhook(async_client, body)).json()["status"] for _ in range(3)]
    assert answers == ["accepted", "duplicate", "duplicate"]
    assert len(outbox) == 2
    assert "3\xa0500" in outbox[-1]["text"]


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("celery_worker_thread")
async def test_a_gateway_taking_3_seconds_still_gets_each_reply_once(async_client, clinic, gateway):
    gateway.set_latency(3.0)  # longer than our 2.5 s read timeout: we never see its answer
    started = time.monotonic()
    response = await post_webhook(async_client, text_message("Привет", message_id="SLOW-3S"))
    assert response.json() == {"status": "accepted"}
    assert time.monotonic() - started < 1.3
    await asyncio.to_thread(gateway.wait_for, 1, 10)
    await asyncio.sleep(8)  # past the lease and the outbox task's countdown: no second send
    assert len(gateway.sent()) == 1


@pytest.mark.timeout(60)
@pytest.mark.usefixtures("celery_worker_thread")
async def test_a_gateway_answering_500_gets_the_reply_once_through_the_retry_task(
    async_client, clinic, gateway
):
    gateway.fail(500, times=3)
    started = time.monotonic()
    response = await post_webhook(async_client, text_message("Привет", message_id="GW-500"))
    assert response.json() == {"status": "accepted"}
    assert time.monotonic() - started < 1.3
    await asyncio.to_thread(gateway.wait_for, 1, 30)
    await asyncio.sleep(1)
    assert len(gateway.sent()) == 1
    assert [a["status"] for a in gateway.attempts()] == [500, 500, 500, 201]
