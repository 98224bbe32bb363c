"""Every trigger besides the hand-off creates one notification per event, however often it is
seen: a cancel or reschedule request (per message), a reply the gateway refused for good, the
clinic's WhatsApp number disconnected (per drop), a reminder declined (per appointment)."""

import asyncio
import time

import pytest

from appointments.tests.test_quoted_reminders import (  # noqa: F401  (two_reminded: a fixture)
    quoted,
    reminder_id,
    two_reminded,
)
from channels.base import ConnectionChanged
from conversations import api, outbox
from conversations.decide import QUESTION_FOR_STAFF
from conversations.hotstore import conversation_key, hot_store
from conversations.journal import Journal, Kind, ReplyState
from conversations.models import ConversationSession
from conversations.services.storage import journals_store
from conversations.tasks import journal_flush
from conversations.tests.conftest import PATIENT, post_webhook, text_message
from notifications.models import StaffNotification

pytestmark = pytest.mark.django_db(transaction=True)


async def kinds() -> list[tuple[str, str]]:
    return [(n.kind, n.dedupe_key) async for n in StaffNotification.objects.order_by("pk")]


@pytest.mark.usefixtures("eager_tasks", "no_cachalot")
@pytest.mark.parametrize("text", ["Хочу отменить запись", "Можно перенести мою запись?"])
async def test_a_cancel_or_reschedule_request_notifies_once(
    async_client, clinic, on_duty, outbox, text
):
    body = text_message(text, message_id="CANCEL-1")
    await post_webhook(async_client, body)
    await post_webhook(async_client, body)  # redelivered
    await asyncio.to_thread(journal_flush)
    assert await kinds() == [("cancel_request", "cancel_request:CANCEL-1")]
    assert (await StaffNotification.objects.aget()).state == "sent"


async def test_a_reply_the_gateway_refuses_for_good_notifies_once(
    async_client, clinic, on_duty, gateway, monkeypatch
):
    monkeypatch.setattr(outbox, "retry_after", lambda attempts: 0)
    gateway.fail(400, times=outbox.MAX_SEND_ATTEMPTS)
    await post_webhook(async_client, text_message("Привет", message_id="REFUSED-1"))
    conversation = conversation_key("smile-main", PATIENT)
    for _ in range(30):
        try:
            await outbox.outbox_drain(hot_store(), conversation)
            break
        except (outbox.SendFailed, outbox.NotYet):
            continue
    await asyncio.to_thread(journal_flush)
    await asyncio.to_thread(journal_flush)
    assert await kinds() == [("send_refused", "send_refused:REFUSED-1")]


def connection(state: str, at: float) -> ConnectionChanged:
    return ConnectionChanged(
        channel="evolution", instance="smile-main", state=state, reason=401, at=at
    )


@pytest.mark.usefixtures("outbox")
async def test_the_clinic_number_disconnecting_notifies_once_per_drop(clinic, on_duty):
    now = time.time()
    assert await api._handle(connection("close", now), 0) == (200, {"status": "accepted"})
    await api._handle(connection("close", now), 0)  # the same report, redelivered
    await api._handle(connection("close", now + 5), 0)  # still down: the same drop
    await api._handle(connection("connecting", now + 10), 0)  # the gateway retries ...
    await api._handle(connection("close", now + 15), 0)  # ... in vain: the same drop
    assert [k for k, _ in await kinds()] == ["disconnected"]
    await api._handle(connection("open", now + 60), 0)
    await api._handle(connection("close", now + 120), 0)  # down again: a new drop
    assert [k for k, _ in await kinds()] == ["disconnected", "disconnected"]
    first = await StaffNotification.objects.order_by("pk").afirst()
    assert first.conversation_id is None


@pytest.fixture
def clinic_on_duty(clinic):
    from notifications.models import StaffNotify
    from notifications.spec import EVENTS

    StaffNotify.objects.create(clinic=clinic, whatsapp=["+972500000999"], on=list(EVENTS))
    return clinic


def test_a_declined_reminder_notifies_once_per_appointment(clinic_on_duty, request):
    first, _ = request.getfixturevalue("two_reminded")
    quoted("no", "decline", reminder_id(first), "2026-12-07T15:30", clinic_on_duty)
    quoted("no", "decline", reminder_id(first), "2026-12-07T15:40", clinic_on_duty)
    notification = StaffNotification.objects.get()
    assert notification.kind == "reminder_declined"
    assert notification.dedupe_key == f"reminder_declined:appointment:{first.pk}"
    assert notification.conversation_id == first.conversation_id


def test_a_question_for_staff_notifies_a_soft_hand_off(clinic, on_duty, outbox):
    """The bot keeps the conversation (no control change) but staff are asked."""
    journal = Journal(
        clinic_id=clinic.pk,
        instance="smile-main",
        message_id="SOFT-1",
        phone="79005550022",
        text="...",
        kind=Kind.PATIENT,
        received_at=time.time(),
        intent="other",
        lane="llm",
        language="en",
        session_changes={"attention": QUESTION_FOR_STAFF},
        reply_state=ReplyState.PENDING,
    )
    journals_store(journals=[journal])
    journals_store(journals=[journal])
    notification = StaffNotification.objects.get()
    assert (notification.kind, notification.urgent) == ("handoff", False)
    assert ConversationSession.objects.get().control == "bot"
