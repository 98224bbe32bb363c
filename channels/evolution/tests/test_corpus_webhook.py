"""The corpus through the webhook, with real Redis and Postgres: each answerable message gets
exactly one reply, sent to the right address, and is stored; each ignored body gets none; an
edit, a delete and a connection change reach what they change."""

import copy

import pytest

from channels.evolution.tests.corpus_index import INDEX, corpus_body, names
from channels.evolution.tests.helpers import post_webhook
from conftest import digits
from conversations.models import Clinic, ConversationSession, Message
from conversations.tests.conftest import wait_until

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


def _cases(selected: list[str]):
    return [pytest.param(name, id=name.removesuffix(".json")) for name in selected]


PATIENT_MESSAGES = names(event="InboundMessage", answer="accepted")
FROM_CLINIC = names(event="InboundMessage", answer="ignored")


@pytest.mark.parametrize("name", _cases(PATIENT_MESSAGES))
async def test_a_patient_message_gets_one_reply_at_its_address_and_is_stored(
    async_client, clinic, outbox, name
):
    expect = INDEX[name]["expect"]
    response = await post_webhook(async_client, corpus_body(name))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    wait_until(lambda: len(outbox) >= 1)
    (sent,) = outbox
    assert (sent["instance"], sent["number"]) == ("smile-main", expect["reply_to"])
    assert sent["text"]
    if expect.get("reply_digits"):
        assert expect["reply_digits"] in digits(sent["text"])
    stored = await Message.objects.aget(wa_message_id=expect["message_id"])
    assert stored.direction == Message.Direction.INBOUND


@pytest.mark.parametrize("name", _cases(FROM_CLINIC))
async def test_a_message_from_the_clinics_number_gets_no_reply(async_client, clinic, outbox, name):
    expect = INDEX[name]["expect"]
    response = await post_webhook(async_client, corpus_body(name))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "ignored"
    assert outbox == []
    session = await ConversationSession.objects.aget()
    # A person at the clinic takes the conversation over; the gateway's own message does not.
    taken = (
        ConversationSession.Control.BOT
        if expect["automated"]
        else ConversationSession.Control.STAFF
    )
    assert session.control == taken


@pytest.mark.parametrize("name", _cases(names(event="Ignored")))
async def test_a_body_the_bot_does_not_answer_is_ignored(async_client, clinic, outbox, name):
    response = await post_webhook(async_client, corpus_body(name))
    assert response.status_code == 200
    assert response.json() == {"status": "ignored", "reason": INDEX[name]["expect"]["reason"]}
    assert outbox == []
    assert not await Message.objects.aexists()


@pytest.mark.parametrize("name", _cases(names(event="MessageEdited")))
async def test_an_edit_changes_the_stored_text_and_sends_nothing_more(
    async_client, clinic, outbox, name
):
    expect = INDEX[name]["expect"]
    await _original_answered(async_client, outbox, expect["original"])
    response = await post_webhook(async_client, corpus_body(name))
    assert response.status_code == 200, response.content
    assert len(outbox) == 1
    stored = await Message.objects.aget(wa_message_id=expect["message_id"])
    assert stored.text == expect["text"]
    assert stored.edited_at is not None


@pytest.mark.parametrize("name", _cases(names(event="MessageDeleted")))
async def test_a_delete_for_everyone_marks_the_stored_message(async_client, clinic, outbox, name):
    expect = INDEX[name]["expect"]
    await _original_answered(async_client, outbox, expect["original"])
    response = await post_webhook(async_client, corpus_body(name))
    assert response.status_code == 200, response.content
    assert len(outbox) == 1
    stored = await Message.objects.aget(wa_message_id=expect["message_id"])
    assert stored.deleted_at is not None


async def _original_answered(async_client, outbox, original: str) -> None:
    response = await post_webhook(async_client, corpus_body(original))
    assert response.json() == {"status": "accepted"}
    wait_until(lambda: len(outbox) == 1)


@pytest.mark.parametrize("name", _cases(names(event="ConnectionChanged")))
async def test_the_connections_state_is_recorded_for_the_clinic(async_client, clinic, outbox, name):
    expect = INDEX[name]["expect"]
    response = await post_webhook(async_client, corpus_body(name))
    assert response.status_code == 200, response.content
    assert outbox == []
    stored = await Clinic.objects.aget(pk=clinic.pk)
    assert (stored.connection_state, stored.connection_reason) == (
        expect["state"],
        expect["reason"],
    )


def _same_lid(name: str, template: str, message_id: str) -> dict:
    """`template`'s body, in the LID chat of corpus body `name`, as a new message."""
    lid = INDEX[name]["expect"]["lid"]
    body = copy.deepcopy(corpus_body(template))
    body["data"]["key"]["remoteJid"] = lid
    body["data"]["key"]["id"] = message_id
    return body


async def test_a_staff_echo_in_a_lid_only_chat_takes_that_conversation_over(
    async_client, clinic, outbox
):
    patient = "v236_text_lid_only.json"
    await post_webhook(async_client, corpus_body(patient))
    wait_until(lambda: len(outbox) == 1)
    echo = _same_lid(patient, "v236_staff_echo_lid_only.json", "3A0STAFFECHO0LID0001")
    response = await post_webhook(async_client, echo)
    assert response.json()["status"] == "ignored"
    session = await ConversationSession.objects.aget()
    assert session.control == ConversationSession.Control.STAFF


async def test_a_lid_only_message_after_the_pair_was_learned_joins_the_phones_conversation(
    async_client, clinic, outbox
):
    paired = "v236_text_lid_chat_phone_alt.json"
    await post_webhook(async_client, corpus_body(paired))
    wait_until(lambda: len(outbox) == 1)
    later = _same_lid(paired, "v236_text_lid_only.json", "3EB0LIDONLYAFTERPAIR01")
    response = await post_webhook(async_client, later)
    assert response.json() == {"status": "accepted"}
    wait_until(lambda: len(outbox) == 2)
    assert outbox[1]["number"] == INDEX[paired]["expect"]["phone"]
    assert await ConversationSession.objects.acount() == 1


TRANSCRIBED = sorted(name for name in PATIENT_MESSAGES if "_voice_stt_" in name)


@pytest.mark.parametrize("name", _cases(TRANSCRIBED))
async def test_a_voice_note_evolution_transcribed_is_answered_as_its_text_typed(
    async_client, clinic, outbox, name
):
    expect = INDEX[name]["expect"]
    voice = corpus_body(name)
    await post_webhook(async_client, voice)
    wait_until(lambda: len(outbox) == 1)
    typed = copy.deepcopy(voice)  # the same words typed by another patient
    typed["data"]["key"] |= {
        "remoteJid": "79005559999@s.whatsapp.net",
        "id": "3EB0TYPED00000000001",
    }
    typed["data"]["message"] = {"conversation": expect["text"]}
    typed["data"]["messageType"] = "conversation"
    await post_webhook(async_client, typed)
    wait_until(lambda: len(outbox) == 2)
    assert outbox[0]["text"] == outbox[1]["text"]
