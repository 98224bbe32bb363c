"""Every body of the Evolution corpus gets its answer, and each patient message its reply."""

import json

import pytest

from channels.evolution.tests.helpers import fixture_body, post_webhook
from conftest import EVOLUTION_FIXTURES
from conversations.models import ConversationSession, Message
from conversations.tests.conftest import wait_until
from security.blind_index import blind_index

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


@pytest.mark.parametrize(
    ("fixture", "number", "reply_contains"),
    [
        ("v2_text_greeting_ru", "79001234567", ""),
        ("v2_text_price_ru", "79001234567", "3"),
        ("v2_text_confirm_ru", "79001234567", ""),
        ("v1_extended_text", "34600111222", "4"),
        ("v2_text_lid_addressing", "447700900123", "15"),
        ("v2_image_with_caption", "5511987654321", "15"),
        ("v2_audio_voice_note", "79001234567", ""),
    ],
)
async def test_a_patient_message_is_accepted_answered_and_stored(
    async_client, clinic, outbox, fixture, number, reply_contains
):
    raw = (EVOLUTION_FIXTURES / f"{fixture}.json").read_bytes()  # as it is, sent days ago
    body = json.loads(raw)
    response = await post_webhook(async_client, raw)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    (sent,) = outbox
    assert sent["number"] == number
    assert sent["instance"] == "smile-main"
    assert reply_contains in sent["text"]
    stored = await Message.objects.aget(wa_message_id=body["data"]["key"]["id"])
    assert stored.direction == Message.Direction.INBOUND
    reply = await Message.objects.aget(reply_to=stored)
    assert reply.text == sent["text"]


async def test_a_voice_note_without_text_is_asked_to_write(async_client, clinic, outbox):
    await post_webhook(async_client, fixture_body("v2_audio_voice_note"))
    (sent,) = outbox
    assert sent["text"]
    stored = await Message.objects.aget(wa_message_id="3EB0C767D26A1D6A2A4F05")
    assert stored.text == ""


@pytest.mark.parametrize(
    ("fixture", "reason"),
    [
        ("v2_group_message", "group message"),
        ("v2_messages_update_status", "event messages.update"),
        # connection.update is read into the connection's state (test_corpus_webhook).
    ],
)
async def test_events_the_bot_does_not_answer_are_ignored(
    async_client, clinic, outbox, fixture, reason
):
    response = await post_webhook(async_client, fixture_body(fixture))
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "reason": reason}
    assert outbox == []
    assert not await Message.objects.aexists()


async def test_a_staff_echo_is_ignored_and_puts_the_conversation_under_staff(
    async_client, clinic, outbox
):
    response = await post_webhook(async_client, fixture_body("v2_from_me_staff_echo"))
    assert response.json()["status"] == "ignored"
    assert "staff" in response.json()["reason"]
    session = await ConversationSession.objects.aget(patient_phone_index=blind_index("79001234567"))
    assert session.control == ConversationSession.Control.STAFF
    echo = await Message.objects.aget(wa_message_id="4DA1D8D1B5B0139AC8C44B44B8CF5A93")
    assert echo.from_staff and echo.direction == Message.Direction.OUTBOUND
    # The patient writes next: the bot stays silent, and the message is still stored.
    response = await post_webhook(async_client, fixture_body("v2_text_price_ru"))
    assert response.json() == {"status": "accepted"}
    assert outbox == []
    stored = await Message.objects.aget(wa_message_id="3EB0C767D26A1D6A2A4F01")
    assert stored.lane == "none"


async def test_the_by_events_route_takes_the_same_body(async_client, clinic, outbox):
    response = await post_webhook(
        async_client,
        fixture_body("v2_text_greeting_ru"),
        path="/webhooks/evolution/messages-upsert",
    )
    assert response.json() == {"status": "accepted"}
    wait_until(lambda: len(outbox) == 1)
