"""A message from before the de-duplication window is stored for staff but not answered (a
captured request replayed later gets no second reply)."""

import time

import pytest
import time_machine

from clinicbot.runtime.redis_client import sync_redis
from conversations.hotstore import SEEN_TTL_S, UNSTORED, message_key
from conversations.models import Message
from conversations.tests.conftest import post_webhook, text_message

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
