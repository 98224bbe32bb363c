"""A hand-off reaches the on-duty staff once: through the clinic's own WhatsApp channel (the
fake Evolution gateway, over real HTTP) and by e-mail, however often the webhook is redelivered,
stage B runs or the send task is retried; with no patient's phone, name or words in it."""

import asyncio

import pytest
from asgiref.sync import sync_to_async

from conversations.hotstore import message_key
from conversations.models import ConversationSession
from conversations.services.storage import journals_store
from conversations.tasks import journal_flush
from conversations.tests.conftest import PATIENT, post_webhook, text_message
from notifications.models import StaffNotification
from notifications.tasks import notification_send
from notifications.tests.conftest import DESK, staff_sends

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "no_cachalot"),
]
ASK_FOR_A_PERSON = "Позовите человека, пожалуйста"


async def wait_for_staff_sends(gateway, count: int) -> list[dict]:
    for _ in range(100):
        if len(sends := staff_sends(gateway)) >= count:
            return sends
        await asyncio.sleep(0.05)
    return staff_sends(gateway)


async def test_a_hand_off_notifies_the_on_duty_numbers_once(
    async_client, clinic, on_duty, gateway, stored_journals, mailoutbox, settings
):
    settings.PUBLIC_URL = "https://bot.example.com"
    body = text_message(ASK_FOR_A_PERSON, message_id="HANDOFF-1")
    assert (await post_webhook(async_client, body)).json() == {"status": "accepted"}
    sends = await wait_for_staff_sends(gateway, 2)
    assert sorted(s["number"] for s in sends) == ["972500000888", "972500000999"]
    assert {s["instance"] for s in sends} == {"smile-main"}  # the clinic's own number

    # The gateway delivers the message again; stage B stores its journal twice more; the send
    # task runs twice more (a retry, a redelivered task).
    assert (await post_webhook(async_client, body)).json() == {"status": "duplicate"}
    journal = stored_journals[message_key("smile-main", "HANDOFF-1")]
    await sync_to_async(journals_store)(journals=[journal])
    await sync_to_async(journals_store)(journals=[journal])
    await asyncio.to_thread(journal_flush)
    notification = await StaffNotification.objects.aget()
    assert await asyncio.to_thread(notification_send, notification.pk) is False
    assert await asyncio.to_thread(notification_send, notification.pk) is False
    await asyncio.sleep(0.2)

    assert len(staff_sends(gateway)) == 2
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [DESK]
    await notification.arefresh_from_db()
    session = await ConversationSession.objects.aget()
    assert (notification.kind, notification.state) == ("handoff", "sent")
    assert not notification.urgent
    assert notification.conversation_id == session.pk
    assert notification.detail == "whatsapp 2/2, email 1/1"
    link = f"https://bot.example.com/admin/conversations/conversationsession/{session.pk}/change/"
    for text in [s["text"] for s in sends] + [mailoutbox[0].body, mailoutbox[0].subject]:
        assert "Smile Dental" in text
        assert PATIENT not in text and PATIENT[-7:] not in text  # no phone
        assert "Иван" not in text  # no name (the message's pushName)
        assert "человек" not in text and "Позовите" not in text  # no words of the patient
    assert link in sends[0]["text"] and link in mailoutbox[0].body


async def test_an_event_the_clinic_does_not_want_sends_nothing(
    async_client, clinic, on_duty, gateway, mailoutbox
):
    on_duty.on = ["cancel_request", "disconnected"]
    await on_duty.asave()
    await post_webhook(async_client, text_message(ASK_FOR_A_PERSON, message_id="NOT-ON"))
    await asyncio.to_thread(journal_flush)
    await asyncio.sleep(0.2)
    assert await StaffNotification.objects.acount() == 0
    assert staff_sends(gateway) == [] and mailoutbox == []
    assert len(gateway.sent()) == 1  # the patient's own reply went out


async def test_a_clinic_without_on_duty_staff_is_not_notified(async_client, clinic, gateway):
    await post_webhook(async_client, text_message(ASK_FOR_A_PERSON, message_id="NOBODY"))
    await asyncio.to_thread(journal_flush)
    assert await StaffNotification.objects.acount() == 0


async def test_a_hand_off_in_one_clinic_tells_only_its_own_staff(
    async_client, clinic, other_clinic, on_duty, gateway
):
    body = text_message(ASK_FOR_A_PERSON, message_id="NORTH-1", instance="north-main")
    await post_webhook(async_client, body)
    await asyncio.to_thread(journal_flush)
    assert await StaffNotification.objects.acount() == 0  # the north clinic has nobody on duty
    assert staff_sends(gateway) == []


async def test_the_llm_lane_handing_over_notifies_staff(
    async_client, clinic, on_duty, gateway, settings
):
    settings.OPENAI_API_KEY = ""  # the LLM lane hands every question over
    body = text_message("Does a filling hurt?", message_id="LLM-HANDOFF")
    await post_webhook(async_client, body)
    await asyncio.to_thread(journal_flush)
    assert len(await wait_for_staff_sends(gateway, 2)) == 2
    notification = await StaffNotification.objects.aget()
    assert (notification.kind, notification.dedupe_key) == ("handoff", "handoff:LLM-HANDOFF")


async def test_the_gateway_echoing_a_notification_back_is_taken_for_our_own(
    async_client, clinic, on_duty, gateway
):
    """Evolution reports our send to an on-duty number as fromMe in the chat with that number:
    not staff taking a chat over, and no conversation stored for it."""
    await post_webhook(async_client, text_message(ASK_FOR_A_PERSON, message_id="ECHO-1"))
    sends = await wait_for_staff_sends(gateway, 2)
    for n, send in enumerate(sends):
        echo = text_message(
            send["text"], phone=send["number"], message_id=f"ECHO-BACK-{n}", from_me=True
        )
        answer = (await post_webhook(async_client, echo)).json()
        assert answer == {"status": "ignored", "reason": "own echo (fromMe)"}
    await asyncio.to_thread(journal_flush)
    assert await ConversationSession.objects.acount() == 1  # the patient's only
