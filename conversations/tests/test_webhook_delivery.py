"""Exactly once, in order, without the database before the send, and nothing lost when the
database or the gateway misbehaves."""

import asyncio
import time

import pytest
from django.db import connection

from conversations.hotstore import hot_store, message_key
from conversations.models import Message, MessageMetric
from conversations.tests.conftest import (
    journal_seen,
    post_webhook,
    queries_in_any_thread,
    text_message,
    wait_until,
)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.usefixtures("eager_tasks")
async def test_ten_concurrent_redeliveries_give_one_reply_and_one_stored_row(
    async_client, clinic, outbox
):
    body = text_message("Сколько стоит пломба?", message_id="REDELIVERED-1")
    responses = await asyncio.gather(*(post_webhook(async_client, body) for _ in range(10)))
    statuses = sorted(r.json()["status"] for r in responses)
    assert statuses == ["accepted"] + ["duplicate"] * 9
    assert len(outbox) == 1
    assert await Message.objects.filter(wa_message_id="REDELIVERED-1").acount() == 1
    assert await Message.objects.filter(direction="out").acount() == 1


@pytest.mark.usefixtures("eager_tasks", "stored_journals")
async def test_a_burst_of_five_messages_is_answered_in_arrival_order(async_client, clinic, gateway):
    gateway.set_latency(0.05)  # sends overlap unless the conversation keeps its order
    questions = ["пломба", "чистка", "отбеливание", "имплант", "рентген"]
    bodies = [text_message(f"Сколько стоит {word}?") for word in questions]
    responses = await asyncio.gather(*(post_webhook(async_client, b) for b in bodies))
    assert all(r.json() == {"status": "accepted"} for r in responses)
    sent = gateway.wait_for(5, timeout=10)
    tickets = {}
    for body in bodies:
        journal = await journal_seen(message_key("smile-main", body["data"]["key"]["id"]))
        tickets[journal.ticket] = journal.reply_text
    arrival_order = [tickets[t] for t in sorted(tickets, key=int)]
    assert [s["text"] for s in sent] == arrival_order
    # Each reply left only after the previous one had reached the gateway.
    gaps = [b["monotonic_ns"] - a["monotonic_ns"] for a, b in zip(sent, sent[1:], strict=False)]
    assert min(gaps) >= 0.045e9


@pytest.mark.usefixtures("no_cachalot")  # an ORM read cannot hide in cachalot's cache
async def test_stage_a_makes_no_database_query_on_the_fast_lane(async_client, clinic, outbox):
    # Tasks go to the real broker and wait there: only stage A runs in this test.
    await post_webhook(async_client, text_message("Здравствуйте"))  # warms clinic, prices, session
    with queries_in_any_thread() as queries:
        response = await post_webhook(async_client, text_message("Сколько стоит чистка?"))
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 2
    assert "4\xa0500" in outbox[1]["text"]  # Babel's Russian grouping: a no-break space
    assert queries == []


@pytest.mark.usefixtures("eager_tasks")
async def test_the_metrics_row_points_at_the_stored_reply(async_client, clinic, outbox):
    await post_webhook(async_client, text_message("Сколько стоит пломба?", message_id="M-1"))
    inbound = await Message.objects.aget(wa_message_id="M-1")
    reply = await Message.objects.aget(reply_to=inbound)
    metric = await MessageMetric.objects.select_related("message").aget()
    assert metric.message_id == reply.id
    assert metric.lane == "fast" and metric.intent == "price_query"
    assert metric.total_ms > 0 and metric.send_ms >= 0 and metric.fast_lane_ms >= 0
    assert reply.delivery_status == Message.Delivery.SENT
    assert inbound.intent == "price_query"


@pytest.fixture
def failing_message_inserts():
    """A real Postgres error for the next two inserts into the message table: a trigger raises
    serialization_failure, counted with a sequence (sequences ignore rollbacks)."""
    statements = [
        "CREATE SEQUENCE test_insert_failures",
        """CREATE FUNCTION test_fail_twice() RETURNS trigger AS $$
           BEGIN
             IF nextval('test_insert_failures') <= 2 THEN
               RAISE EXCEPTION 'injected failure' USING ERRCODE = '40001';
             END IF;
             RETURN NEW;
           END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER test_fail_twice BEFORE INSERT ON conversations_message
           FOR EACH ROW EXECUTE FUNCTION test_fail_twice()""",
    ]
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    yield lambda: _sequence_value("test_insert_failures")
    with connection.cursor() as cursor:
        cursor.execute("DROP TRIGGER test_fail_twice ON conversations_message")
        cursor.execute("DROP FUNCTION test_fail_twice()")
        cursor.execute("DROP SEQUENCE test_insert_failures")


def _sequence_value(name: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT last_value FROM {name}")
        return cursor.fetchone()[0]


@pytest.mark.usefixtures("celery_worker_thread")
async def test_stage_b_is_retried_after_a_database_error_and_stores_each_row_once(
    async_client, clinic, outbox, failing_message_inserts
):
    response = await post_webhook(async_client, text_message("Привет", message_id="RETRIED-1"))
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 1  # the patient was answered while the database was failing

    def stored():
        return Message.objects.filter(wa_message_id="RETRIED-1").exists() and (
            MessageMetric.objects.exists()
        )

    await asyncio.to_thread(wait_until, stored, 20)
    assert await asyncio.to_thread(failing_message_inserts) >= 3  # two failures, then success
    assert await Message.objects.acount() == 2  # the message and its reply, once each
    assert await MessageMetric.objects.acount() == 1


@pytest.mark.usefixtures("eager_tasks", "stored_journals")
async def test_running_stage_b_again_changes_nothing(async_client, clinic, outbox):
    from conversations.services.storage import journals_store

    await post_webhook(async_client, text_message("Сколько стоит пломба?", message_id="TWICE"))
    before = [m async for m in Message.objects.order_by("id").values()]
    journal = await journal_seen(message_key("smile-main", "TWICE"))
    await asyncio.to_thread(journals_store, journals=[journal])
    after = [m async for m in Message.objects.order_by("id").values()]
    assert after == before
    assert await MessageMetric.objects.acount() == 1


@pytest.mark.usefixtures("celery_worker_thread")
async def test_a_slow_gateway_gets_the_reply_once_and_the_webhook_answers_within_a_second(
    async_client, clinic, gateway
):
    gateway.set_latency(1.8)
    started = time.monotonic()
    response = await post_webhook(async_client, text_message("Привет", message_id="SLOW-1"))
    answered_in = time.monotonic() - started
    assert response.json() == {"status": "accepted"}
    assert answered_in < 1.5
    await asyncio.to_thread(gateway.wait_for, 1, 10)
    await asyncio.sleep(2.5)  # time for any mistaken second send
    assert len(gateway.sent()) == 1

    def reply_stored_as_sent():
        return Message.objects.filter(direction="out", delivery_status="sent").exists()

    await asyncio.to_thread(wait_until, reply_stored_as_sent, 20)


@pytest.mark.usefixtures("celery_worker_thread")
async def test_a_gateway_answering_500_is_retried_by_the_task_and_sends_once(
    async_client, clinic, gateway
):
    gateway.fail(500, times=2)
    started = time.monotonic()
    response = await post_webhook(async_client, text_message("Привет", message_id="FAIL-1"))
    assert response.json() == {"status": "accepted"}
    assert time.monotonic() - started < 1.0
    await asyncio.to_thread(gateway.wait_for, 1, 20)
    await asyncio.sleep(1)
    assert len(gateway.sent()) == 1
    assert [a["status"] for a in gateway.attempts()] == [500, 500, 201]


async def test_the_webhook_answers_503_and_sends_nothing_when_redis_is_unreachable(
    async_client, clinic, outbox, settings
):
    from testing.servers import free_port

    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/9"
    response = await post_webhook(async_client, text_message("Привет"))
    assert response.status_code == 503
    assert outbox == []


async def test_one_flush_at_a_time_and_one_that_finds_another_asks_it_to_look_again(
    async_client, clinic, outbox
):
    """Concurrent flushes would store the same journals twice over and wait on each other's
    row locks: a flush that finds another running leaves a request and ends."""
    from conversations.tasks import journal_flush

    await post_webhook(async_client, text_message("Привет", message_id="LOCKED-1"))
    store = hot_store()
    running = await store.flush_lock()
    assert running is not None
    assert await asyncio.to_thread(journal_flush) == 0
    assert not await Message.objects.filter(wa_message_id="LOCKED-1").aexists()
    await store.flush_unlock(running)
    assert await store.flush_requested()  # what the running flush reads before it stops
    assert await asyncio.to_thread(journal_flush) == 1
    assert await Message.objects.filter(wa_message_id="LOCKED-1").aexists()


async def test_a_request_left_between_the_flushs_last_look_and_its_unlock_is_not_lost(
    async_client, clinic, outbox, monkeypatch
):
    """Another flush may find the lock taken just after the running flush's last look: its
    request must make the running flush look again, not wait for beat's minute flush."""
    from conversations import tasks

    await post_webhook(async_client, text_message("Привет", message_id="RACE-1"))
    passes = []
    real_pass, real_call = tasks._flush_until_empty, tasks._store_call

    def counted_pass():
        passes.append(1)
        return real_pass()

    async def racing_call(method, *args):
        if method == "flush_unlock" and len(passes) == 1:
            await hot_store().flush_request()  # a second flush, arriving in the window
        return await real_call(method, *args)

    monkeypatch.setattr(tasks, "_flush_until_empty", counted_pass)
    monkeypatch.setattr(tasks, "_store_call", racing_call)
    await asyncio.to_thread(tasks.journal_flush)

    assert len(passes) == 2
    assert not await hot_store().flush_requested()
    assert await Message.objects.filter(wa_message_id="RACE-1").aexists()
