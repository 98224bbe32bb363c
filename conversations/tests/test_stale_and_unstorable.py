"""A message sent before the de-duplication window is answered like any other unless the
database already holds it (a captured request replayed later gets no second reply, a phone that
was offline for days gets its answer), and a journal the database refuses is set aside once,
visibly, instead of being retried and logged on every flush."""

import asyncio
import logging
import time

import pytest
import time_machine
from django.db import connections

from clinicbot.runtime import async_db
from clinicbot.runtime.breaker import database_breaker
from clinicbot.runtime.redis_client import sync_redis
from conversations.directory import MESSAGE_STORED_SQL
from conversations.hotstore import SEEN_TTL_S, UNSTORED, conversation_key, hot_store, message_key
from conversations.journal import Kind, ReplyState
from conversations.models import Message
from conversations.tests.conftest import PATIENT, post_webhook, text_message
from testing.servers import free_port

DASHBOARD = "/admin/conversations/messagemetric/dashboard/"
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


def sent_days_ago(body: dict) -> dict:
    body["data"]["messageTimestamp"] = int(time.time()) - SEEN_TTL_S - 3 * 24 * 3600
    return body


async def test_a_message_sent_before_the_window_and_never_seen_is_answered(
    async_client, clinic, outbox
):
    # The patient's phone was offline for days: the message reaches us long after it was sent.
    body = sent_days_ago(text_message("Сколько стоит пломба?", message_id="DELAYED-1"))
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 1
    stored = await Message.objects.aget(wa_message_id="DELAYED-1")
    reply = await Message.objects.aget(reply_to=stored)
    assert reply.text == outbox[0]["text"]


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
    journal_before = sync_redis().hgetall(f"cb:j:{key}")
    with time_machine.travel(time.time() + SEEN_TTL_S + 3600, tick=True):
        response = await post_webhook(async_client, body)
    assert response.status_code == 200
    assert response.json() == {"status": "duplicate"}
    assert len(outbox) == 1
    assert sync_redis().hgetall(f"cb:j:{key}") == journal_before  # not journaled again
    inbound = await Message.objects.aget(wa_message_id="REPLAYED-1")
    reply = await Message.objects.aget(reply_to=inbound)
    assert reply.delivery_status == Message.Delivery.SENT


async def test_a_staff_echo_replayed_after_the_window_is_a_duplicate(async_client, clinic, outbox):
    """Played again, a staff member's old message would hand the conversation back to staff."""
    body = text_message("Перезвоню вам завтра", message_id="ECHO-REPLAYED", from_me=True)
    first = await post_webhook(async_client, body)
    assert first.status_code == 200
    assert await Message.objects.filter(wa_message_id="ECHO-REPLAYED").aexists()
    key = message_key("smile-main", "ECHO-REPLAYED")
    sync_redis().delete(f"cb:seen:{key}", f"cb:j:{key}")
    with time_machine.travel(time.time() + SEEN_TTL_S + 3600, tick=True):
        response = await post_webhook(async_client, body)
    assert response.json() == {"status": "duplicate"}
    assert sync_redis().exists(f"cb:j:{key}") == 0  # not journaled again


async def test_a_journal_still_in_redis_counts_as_seen_before_it_is_stored(
    async_client, clinic, outbox
):
    # Accepted and journaled, not yet stored (stage B behind), its de-duplication key expired.
    key = await _journal_accepted_unchecked(clinic, "UNFLUSHED-1")
    sync_redis().delete(f"cb:seen:{key}")
    body = sent_days_ago(text_message("Привет", message_id="UNFLUSHED-1"))
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "duplicate"}
    assert outbox == []


async def test_a_message_sent_before_the_window_gets_503_while_the_database_is_unreachable(
    async_client, clinic, outbox, monkeypatch, caplog
):
    await post_webhook(async_client, text_message("Здравствуйте"))  # the clinic is cached
    assert len(outbox) == 1
    body = sent_days_ago(text_message("Сколько стоит пломба?", message_id="DELAYED-2"))
    caplog.set_level(logging.WARNING)
    database = connections["default"]
    await async_db.close()  # the next lookup connects again, to where nothing listens
    monkeypatch.setitem(database.settings_dict, "PORT", free_port())
    monkeypatch.setitem(database.settings_dict["OPTIONS"], "pool", {"max_size": 2, "timeout": 0.5})
    try:
        response = await post_webhook(async_client, body)
    finally:
        await async_db.close()
        monkeypatch.undo()
    assert response.status_code == 503
    assert len(outbox) == 1  # nothing sent
    key = message_key("smile-main", "DELAYED-2")
    assert not sync_redis().exists(f"cb:seen:{key}", f"cb:j:{key}")  # nothing accepted
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "not accepted" in logged
    assert "пломба" not in logged and PATIENT not in logged and "DELAYED-2" not in logged
    # The database is back: the gateway's retry is answered once.
    database_breaker.reset()
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 2


def test_the_stored_lookup_is_read_from_the_unique_index(clinic):
    # A generic plan, as a prepared statement may get: its parameters prove nothing about the
    # index's condition, the query's own text must.
    sql = MESSAGE_STORED_SQL.replace("%s", "$1", 1).replace("%s", "$2", 1)
    with connections["default"].cursor() as cursor:
        cursor.execute("SET enable_seqscan = off; SET plan_cache_mode = force_generic_plan")
        cursor.execute(f"PREPARE stored_lookup(bigint, text) AS {sql}")
        cursor.execute("EXPLAIN EXECUTE stored_lookup(1, 'X')")
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("DEALLOCATE stored_lookup; RESET enable_seqscan; RESET plan_cache_mode")
    assert "Index" in plan and "message_unique_per_instance" in plan, plan


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
