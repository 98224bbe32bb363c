"""Hand-off to staff: asking for a person or a staff echo silences the bot; control comes back
after the clinic's release time, or at once when staff release the conversation in the admin."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from asgiref.sync import sync_to_async

from conversations.models import ConversationSession, Message
from conversations.services.control import conversation_set_control
from conversations.tests.conftest import fixture_body, post_webhook, text_message
from security.blind_index import blind_index

# Time travel moves the clock back and forth; cachalot orders cache entries by that clock.
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "no_cachalot"),
]
MONDAY = datetime(2026, 11, 16, 9, 0, tzinfo=UTC)


async def stored_session() -> ConversationSession:
    return await ConversationSession.objects.aget(patient_phone_index=blind_index("79001234567"))


async def test_asking_for_a_person_hands_the_conversation_to_staff_until_release_time(
    async_client, clinic, outbox
):
    with time_machine.travel(MONDAY, tick=True):
        await post_webhook(async_client, text_message("Хочу поговорить с администратором"))
        assert len(outbox) == 1  # the acknowledgement
        await post_webhook(async_client, text_message("Сколько стоит пломба?"))
        assert len(outbox) == 1  # staff are handling it: the bot is silent
        session = await stored_session()
        assert session.control == ConversationSession.Control.STAFF
    with time_machine.travel(MONDAY + timedelta(hours=23), tick=True):
        await post_webhook(async_client, text_message("Ау?"))
        assert len(outbox) == 1
    with time_machine.travel(MONDAY + timedelta(hours=25), tick=True):
        await post_webhook(async_client, text_message("Сколько стоит пломба?"))
        assert len(outbox) == 2
        assert "3\xa0500" in outbox[-1]["text"]
        session = await stored_session()
        assert session.control == ConversationSession.Control.BOT


async def test_a_clinic_can_keep_conversations_with_staff_longer(async_client, clinic, outbox):
    clinic.handoff_release_hours = 72
    await clinic.asave()
    with time_machine.travel(MONDAY, tick=True):
        await post_webhook(async_client, text_message("Позовите человека, пожалуйста"))
    with time_machine.travel(MONDAY + timedelta(hours=48), tick=True):
        await post_webhook(async_client, text_message("Сколько стоит пломба?"))
    assert len(outbox) == 1


async def test_staff_releasing_a_conversation_lets_the_bot_answer_at_once(
    async_client, clinic, outbox
):
    await post_webhook(async_client, fixture_body("v2_from_me_staff_echo"))
    await post_webhook(async_client, text_message("Сколько стоит пломба?"))
    assert outbox == []
    session = await ConversationSession.objects.select_related("clinic").aget()
    await sync_to_async(conversation_set_control)(
        session=session, control=ConversationSession.Control.BOT
    )
    await post_webhook(async_client, text_message("А чистка?"))
    assert len(outbox) == 1
    assert "4\xa0500" in outbox[0]["text"]


async def test_staff_taking_over_in_the_admin_silences_the_bot_at_once(
    async_client, clinic, outbox
):
    await post_webhook(async_client, text_message("Здравствуйте"))
    session = await ConversationSession.objects.select_related("clinic").aget()
    await sync_to_async(conversation_set_control)(
        session=session, control=ConversationSession.Control.STAFF
    )
    await post_webhook(async_client, text_message("Сколько стоит пломба?"))
    assert len(outbox) == 1


def media_without_text(fixture: str) -> dict:
    """A gateway body whose message is only media, from the staff echo's patient."""
    body = fixture_body(fixture)
    body["data"]["key"]["remoteJid"] = "79001234567@s.whatsapp.net"
    for media in body["data"]["message"].values():
        media.pop("caption", None)
    return body


@pytest.mark.parametrize("fixture", ["v2_audio_voice_note", "v2_image_with_caption"])
async def test_it_stays_silent_on_media_in_a_conversation_staff_have_taken_over(
    async_client, clinic, outbox, fixture
):
    await post_webhook(async_client, fixture_body("v2_from_me_staff_echo"))
    body = media_without_text(fixture)
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    assert outbox == []
    stored = await Message.objects.aget(wa_message_id=body["data"]["key"]["id"])
    assert stored.lane == "none"
    assert not await Message.objects.filter(reply_to=stored).aexists()


async def test_it_asks_for_text_again_once_staff_time_is_up(async_client, clinic, outbox):
    with time_machine.travel(MONDAY, tick=True):
        await post_webhook(async_client, fixture_body("v2_from_me_staff_echo"))
    with time_machine.travel(MONDAY + timedelta(hours=25), tick=True):
        await post_webhook(async_client, fixture_body("v2_audio_voice_note"))
        assert len(outbox) == 1
        assert (await stored_session()).control == ConversationSession.Control.BOT
