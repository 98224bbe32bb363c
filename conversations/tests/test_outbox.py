"""The outbox gives a reply up after a bounded number of refusals, says so, and lets the
conversation's later replies go out; and stage B never brings back a journal that expired."""

import asyncio

import pytest

from channels.evolution.tests.helpers import PATIENT, post_webhook, text_message
from conversations import outbox
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.models import Message
from conversations.tasks import journal_flush

pytestmark = pytest.mark.django_db(transaction=True)


async def drain_until_empty(conversation: str, tries: int) -> None:
    """What the outbox task does over its retries, without waiting for their countdowns."""
    for _ in range(tries):
        try:
            await outbox.outbox_drain(hot_store(), conversation)
        except (outbox.SendFailed, outbox.NotYet):
            continue
        return


async def test_a_reply_the_gateway_keeps_refusing_is_given_up_and_the_next_one_goes_out(
    async_client, clinic, gateway, monkeypatch
):
    monkeypatch.setattr(outbox, "retry_after", lambda attempts: 0)  # no waiting out backoffs
    # Every send is refused until the reply has had all its tries; the next reply is accepted.
    gateway.fail(400, times=outbox.MAX_SEND_ATTEMPTS)
    for message_id, text in (("REFUSED-1", "Привет"), ("AFTER-1", "Сколько стоит пломба?")):
        response = await post_webhook(async_client, text_message(text, message_id=message_id))
        assert response.json() == {"status": "accepted"}

    await drain_until_empty(conversation_key("smile-main", PATIENT), tries=30)

    refused = [a for a in gateway.attempts() if a["status"] == 400]
    assert len(refused) == outbox.MAX_SEND_ATTEMPTS
    (sent,) = gateway.sent()
    assert "3" in sent["text"]  # the price reply, not the greeting
    await asyncio.to_thread(journal_flush)
    given_up = await Message.objects.aget(reply_to__wa_message_id="REFUSED-1")
    assert given_up.delivery_status == Message.Delivery.FAILED
    delivered = await Message.objects.aget(reply_to__wa_message_id="AFTER-1")
    assert delivered.delivery_status == Message.Delivery.SENT


async def test_a_refused_reply_waits_out_its_backoff_however_many_drains_ask(
    async_client, clinic, gateway, monkeypatch
):
    """Each queued reply has a task draining its conversation; the head's backoff holds for all
    of them, so its tries are not spent faster when more replies wait behind it."""
    monkeypatch.setattr(outbox, "retry_after", lambda attempts: 0.5)
    gateway.fail(400, times=2)
    for message_id in ("WAIT-1", "WAIT-2", "WAIT-3"):
        await post_webhook(async_client, text_message("Привет", message_id=message_id))
    conversation = conversation_key("smile-main", PATIENT)
    for _ in range(5):
        with pytest.raises(outbox.NotYet) as waiting:
            await outbox.outbox_drain(hot_store(), conversation)
    assert 0 < waiting.value.retry_in <= 0.5
    assert len(gateway.attempts()) == 1  # stage A's try only
    await asyncio.sleep(0.6)
    with pytest.raises(outbox.SendFailed):
        await outbox.outbox_drain(hot_store(), conversation)
    assert len(gateway.attempts()) == 2
    await asyncio.sleep(0.6)
    await outbox.outbox_drain(hot_store(), conversation)
    assert [a["status"] for a in gateway.attempts()] == [400, 400, 201, 201, 201]


async def test_a_journal_that_expired_before_it_was_stored_is_not_brought_back(clinic):
    """Its listing goes, and nothing is recorded for it (it was not stored, let alone sent)."""
    from conversations.hotstore import UNSTORED

    store = hot_store()
    key = message_key("smile-main", "EXPIRED-1")
    await store.redis.zadd(UNSTORED, {key: 1.0})

    assert await asyncio.to_thread(journal_flush) == 0

    assert await store.redis.zscore(UNSTORED, key) is None
    assert not await store.redis.exists(f"cb:j:{key}")


def test_the_tasks_the_outbox_enqueues_by_name_are_registered():
    from celery import current_app

    current_app.loader.import_default_modules()
    for name in (outbox.JOURNAL_FLUSH, outbox.OUTBOX_DELIVER, outbox.LLM_ANSWER):
        assert name in current_app.tasks, name
