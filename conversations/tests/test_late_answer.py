"""A message accepted by a request that died before deciding its reply is still answered, once."""

import time

import pytest
from asgiref.sync import sync_to_async

from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.models import Message
from conversations.tasks import journal_flush
from pricing.cache import version_key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


async def accept_then_die(clinic, text: str, *, age_s: float) -> str:
    """Stage A's acceptance only: the message is de-duplicated and journaled, nothing more."""
    key = message_key("smile-main", "DIED-1")
    conversation = conversation_key("smile-main", "79001234567")
    await hot_store().accept(
        message=key,
        conversation=conversation,
        prices_key=version_key(clinic.id),
        journal={
            "clinic_id": clinic.id,
            "instance": "smile-main",
            "message_id": "DIED-1",
            "conversation": conversation,
            "phone": "79001234567",
            "name": "",
            "text": text,
            "kind": "patient",
            "has_media": "",
            "received_at": time.time() - age_s,
            "reply_state": "",
        },
    )
    return key


async def test_a_message_left_undecided_is_answered_by_a_worker_once(clinic, outbox):
    await accept_then_die(clinic, "Сколько стоит пломба?", age_s=60)
    await sync_to_async(journal_flush.apply)()
    await sync_to_async(journal_flush.apply)()  # a second flush must not answer again
    assert len(outbox) == 1
    assert "3\xa0500" in outbox[0]["text"]
    inbound = await Message.objects.aget(wa_message_id="DIED-1")
    reply = await Message.objects.aget(reply_to=inbound)
    assert reply.delivery_status == Message.Delivery.SENT


async def test_a_message_still_being_answered_is_left_alone(clinic, outbox):
    await accept_then_die(clinic, "Сколько стоит пломба?", age_s=1)
    await sync_to_async(journal_flush.apply)()
    assert outbox == []
