"""A message from before the de-duplication window is stored for staff but not answered (a
captured request replayed later gets no second reply), and a journal the database refuses is
set aside once, visibly, instead of being retried and logged on every flush."""

import asyncio
import logging
import time

import pytest
import time_machine

from clinicbot.runtime.redis_client import sync_redis
from conversations.hotstore import SEEN_TTL_S, UNSTORED, conversation_key, hot_store, message_key
from conversations.journal import Kind, ReplyState
from conversations.models import Message
from conversations.tests.conftest import PATIENT, post_webhook, text_message

DASHBOARD = "/admin/conversations/messagemetric/dashboard/"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


async def test_a_message_older_than_the_dedup_window_is_stored_for_staff_and_not_answered(
    async_client, clinic, outbox
):
    body = text_message("Сколько стоит пломба?", message_id="STALE-1")
    body["data"]["messageTimestamp"] = int(time.time()) - SEEN_TTL_S - 60
    response = await post_webhook(async_client, body)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert "de-duplication window" in response.json()["reason"]
    assert outbox == []
    stored = await Message.objects.aget(wa_message_id="STALE-1")
    assert stored.text == "Сколько стоит пломба?"
    assert not await Message.objects.filter(reply_to=stored).aexists()
    assert not sync_redis().zcard(UNSTORED)  # stored in its final state


async def test_a_message_within_the_window_is_answered(async_client, clinic, outbox):
    body = text_message("Сколько стоит пломба?", message_id="FRESH-1")
    body["data"]["messageTimestamp"] = int(time.time()) - SEEN_TTL_S + 600
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 1


@pytest.mark.parametrize("journal_kept", [True, False], ids=["journal kept", "journal gone"])
async def test_a_request_replayed_after_the_window_gets_no_second_reply(
    async_client, clinic, outbox, journal_kept
):
    body = text_message("Сколько стоит пломба?", message_id="REPLAYED-1")
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 1
    # Two days later the de-duplication key has expired (and the journal, after its own TTL).
    key = message_key("smile-main", "REPLAYED-1")
    sync_redis().delete(f"cb:seen:{key}", *([] if journal_kept else [f"cb:j:{key}"]))
    with time_machine.travel(time.time() + SEEN_TTL_S + 3600, tick=True):
        response = await post_webhook(async_client, body)
    assert response.status_code == 200
    assert response.json()["status"] in ("duplicate", "ignored")
    assert len(outbox) == 1
    inbound = await Message.objects.aget(wa_message_id="REPLAYED-1")
    reply = await Message.objects.aget(reply_to=inbound)
    assert reply.delivery_status == Message.Delivery.SENT


async def _journal_accepted_unchecked(clinic, message_id: str) -> str:
    """A journal as an older version accepted it, with an id the database cannot hold."""
    key = message_key("smile-main", message_id)
    conversation = conversation_key("smile-main", PATIENT)
    journal = {
        "clinic_id": clinic.id,
        "instance": "smile-main",
        "message_id": message_id,
        "conversation": conversation,
        "phone": PATIENT,
        "text": "Привет",
        "kind": Kind.PATIENT,
        "received_at": time.time(),
        "reply_state": ReplyState.NONE,
        "total_ms": 1.0,
    }
    await hot_store().accept(
        message=key,
        conversation=conversation,
        journal=journal,
        prices_key="cb:test:prices",
        take_ticket=False,
    )
    return key


async def test_a_journal_the_database_refuses_is_set_aside_and_reported_once(
    async_client, admin_client, clinic, outbox, caplog
):
    from conversations.tasks import journal_flush

    poison = await _journal_accepted_unchecked(clinic, "P" * 200)
    response = await post_webhook(async_client, text_message("Привет", message_id="BESIDE-1"))
    assert response.json() == {"status": "accepted"}
    caplog.set_level(logging.WARNING, logger="conversations")
    for _ in range(3):  # beat's minute flush, and more webhooks' flushes
        await asyncio.to_thread(journal_flush)
    reports = [r for r in caplog.records if r.levelno >= logging.WARNING and "stored" in r.message]
    assert len(reports) == 1, [r.message for r in reports]
    assert "set aside" in reports[0].message
    assert await Message.objects.filter(wa_message_id="BESIDE-1").aexists()
    assert not sync_redis().zscore(UNSTORED, poison)  # no longer retried
    assert [key for key, _ in await hot_store().set_aside_since(0)] == [poison]
    # Staff see it on the dashboard, beside the replies that could not be delivered.
    page = (await asyncio.to_thread(admin_client.get, DASHBOARD)).content.decode()
    listed = page.split('id="unstorable"')[1].split('id="alerts"')[0]
    assert clinic.name in listed and "PPPPPPPP" in listed
