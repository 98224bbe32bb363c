"""A message accepted by a request that died before deciding its reply is still answered, once."""

import time

import pytest
from asgiref.sync import sync_to_async

from conversations import tasks
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.models import Message
from conversations.tasks import journal_flush
from pricing.cache import version_key

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


async def accept_then_die(
    clinic, text: str, *, age_s: float, message_id="DIED-1", phone="79001234567", **fields
) -> str:
    """Stage A's acceptance only: the message is de-duplicated and journaled, nothing more."""
    key = message_key("smile-main", message_id)
    conversation = conversation_key("smile-main", phone)
    await hot_store().accept(
        message=key,
        conversation=conversation,
        prices_key=version_key(clinic.id),
        journal={
            "clinic_id": clinic.id,
            "instance": "smile-main",
            "message_id": message_id,
            "conversation": conversation,
            "phone": phone,
            "name": "",
            "text": text,
            "kind": "patient",
            "has_media": "",
            "received_at": time.time() - age_s,
            "reply_state": "",
            **fields,
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


async def test_a_message_left_undecided_is_asked_for_once_per_grace_period(
    clinic, outbox, monkeypatch
):
    """Under load a flush runs several times a second; asking again on each would flood the
    queue the answer waits in."""
    asked = []
    monkeypatch.setattr(tasks.late_answer, "delay", asked.append)
    key = await accept_then_die(clinic, "Сколько стоит пломба?", age_s=60)
    await sync_to_async(journal_flush.apply)()
    await sync_to_async(journal_flush.apply)()
    assert asked == [key]

    await hot_store().journal_update(key, late_asked_at=time.time() - 60)
    await sync_to_async(journal_flush.apply)()
    assert asked == [key, key]


async def test_journals_waiting_at_the_head_do_not_hide_newer_ones_from_the_flush(
    clinic, outbox, monkeypatch
):
    """A page of journals that cannot be final yet (LLM answers pending) is stepped over."""
    monkeypatch.setattr(tasks, "FLUSH_BATCH", 3)
    for n in range(3):
        await accept_then_die(clinic, "Больно ли ставить пломбу?", age_s=5,
                              message_id=f"WAIT-{n}", phone=f"7900123450{n}",
                              reply_state="pending", total_ms=3.0)  # fmt: skip
    await sync_to_async(journal_flush.apply)()  # stored as pending; they stay listed
    await accept_then_die(clinic, "Спасибо", age_s=1, message_id="NEWER-1", phone="79001234599",
                          reply_state="none", total_ms=2.0)  # fmt: skip

    await sync_to_async(journal_flush.apply)()

    assert await Message.objects.filter(wa_message_id="NEWER-1").aexists()
    assert await Message.objects.filter(wa_message_id__startswith="WAIT-").acount() == 3
