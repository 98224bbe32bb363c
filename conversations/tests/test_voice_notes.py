"""Voice notes answered: a voice note gets the reply its words would get, transcribed by a fake
OpenAI-compatible speech-to-text server on loopback (FakeOpenAI, which "hears" the audio's bytes
as the text they spell); the gateway's own transcript makes no call; without a transcript the
patient is asked to type, in their language, and staff see the conversation flagged.

Voice notes come through the webhook as Evolution posts them
(channels/evolution/tests/fixtures/v2_audio_voice_note.json: an audioMessage with ptt, its
base64 in `data.message` when the instance's webhook_base64 is on, Evolution's speechToText
there when its OpenAI integration transcribed it), or, for the cases the body cannot set up, as
the message the Evolution parser makes of one, handed to stage A; real Redis and PostgreSQL.
"""

import asyncio
import base64
import dataclasses
import itertools
import json
import logging
import time

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from channels.base import InboundMessage, Media, MediaKind
from conversations.decide import VOICE_NOT_TRANSCRIBED
from conversations.inbound import inbound_handle
from conversations.models import ConversationSession, Message
from conversations.tasks import journal_flush
from conversations.tests.conftest import fixture_body, post_webhook, text_message
from conversations.tests.test_late_answer import accept_then_die
from nlu import text_required_reply
from testing.fake_evolution import FakeEvolution
from testing.fake_openai import FakeOpenAI

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

API_KEY = "speech-key"
PATIENT = "79001234567"
OTHER = "79007654321"
NAME = "Иван Петров"
# A price question in each language the clinic speaks: the fast lane answers it.
SPOKEN = {
    "ru": "Сколько стоит пломба?",
    "en": "How much is a filling?",
    "es": "¿Cuánto cuesta un empaste?",
    "pt": "Quanto custa uma obturação?",
    "uk": "Скільки коштує пломба?",
    "he": "כמה עולה סתימה?",
}
_ids = itertools.count(1)


@pytest.fixture
def speech(settings):
    """The speech-to-text model: a real HTTP server on loopback."""
    with FakeOpenAI(api_key=API_KEY, echo_audio=True) as fake:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = f"{fake.url}/v1"
        settings.TRANSCRIPTION_DEADLINE_S = 2.0
        yield fake


def message(
    text: str = "",
    *,
    phone: str = PATIENT,
    media: Media | None = None,
) -> InboundMessage:
    return InboundMessage(
        channel="evolution",
        instance="smile-main",
        message_id=f"VOICE{next(_ids):06d}{time.monotonic_ns() % 10**6:06d}",
        phone=phone,
        push_name=NAME,
        text=text,
        from_me=False,
        has_media=media is not None,
        timestamp=int(time.time()),
        media=media,
    )


def voice_note(
    spoken: str, *, phone: str = PATIENT, in_body: bool = True, transcript: str = ""
) -> InboundMessage:
    """A push-to-talk note whose "audio" is the words' bytes (the fake hears them); in the
    body as base64 (webhook_base64 on) or left on the gateway. With `transcript`, the gateway
    transcribed it: the parser gives its speechToText as the text."""
    audio = base64.b64encode(spoken.encode()) if in_body else None
    media = Media(
        MediaKind.VOICE,
        mime_type="audio/ogg; codecs=opus",
        size=len(spoken.encode()),
        seconds=7,
        transcript=transcript,
        base64=audio,
    )
    return message(transcript, phone=phone, media=media)


def voice_note_body(spoken: str, *, phone: str = PATIENT, speech_to_text: str = "") -> dict:
    """Evolution's webhook body for a voice note saying `spoken`, its "audio" in base64."""
    body = fixture_body("v2_audio_voice_note")
    body["data"]["key"].update(
        remoteJid=f"{phone}@s.whatsapp.net", id=f"3EB0VOICE{next(_ids):011d}"
    )
    body["data"]["message"]["base64"] = base64.b64encode(spoken.encode()).decode()
    if speech_to_text:
        body["data"]["message"]["speechToText"] = f"[audio] {speech_to_text}"
    return body


async def handle(inbound: InboundMessage):
    return await inbound_handle(inbound, started_ns=time.perf_counter_ns())


async def stored(inbound: InboundMessage) -> Message:
    return await Message.objects.aget(wa_message_id=inbound.message_id)


async def session_of(phone: str) -> ConversationSession:
    sessions = [s async for s in ConversationSession.objects.all() if s.patient_phone == phone]
    assert len(sessions) == 1
    return sessions[0]


@pytest.mark.parametrize("language", list(SPOKEN))
async def test_a_voice_note_gets_the_reply_its_words_would_get(
    speech, async_client, clinic, outbox, language
):
    spoken = SPOKEN[language]
    voice = voice_note_body(spoken)
    assert (await post_webhook(async_client, voice)).json() == {"status": "accepted"}
    await post_webhook(async_client, text_message(spoken, phone=OTHER))  # a fresh conversation
    voice_reply, typed_reply = (sent["text"] for sent in outbox)
    assert voice_reply == typed_reply
    assert voice_reply != text_required_reply(language)
    (call,) = speech.transcriptions()
    assert call["body"]["model"] == "gpt-transcribe"
    assert call["body"]["file"]["filename"] == "voice.ogg"
    assert call["body"]["file"]["size"] == len(spoken.encode())
    assert "language" not in call["body"]  # a new conversation: no hint


async def test_a_message_after_a_voice_note_waits_for_its_transcription(
    speech, clinic, outbox, monkeypatch
):
    # A transcription longer than a turn is usually waited for: the next message must still be
    # answered after the voice note, not overtake it.
    monkeypatch.setattr("conversations.inbound.ORDER_WAIT_S", 0.2)
    speech.set_latency(1.0)
    voice = asyncio.ensure_future(inbound_handle(voice_note(SPOKEN["en"]), started_ns=0))
    await asyncio.sleep(0.1)  # the voice note has its turn and is being transcribed
    await inbound_handle(message("Where are you located?"), started_ns=0)
    await voice
    speech.set_latency(0)
    await inbound_handle(message(SPOKEN["en"], phone=OTHER), started_ns=0)
    await inbound_handle(message("Where are you located?", phone=OTHER), started_ns=0)
    voice_reply, location_reply, price, location = (sent["text"] for sent in outbox)
    assert (voice_reply, location_reply) == (price, location)


@pytest.mark.parametrize("change", ["edited", "deleted"])
async def test_a_message_changed_while_it_waited_for_its_turn(
    speech, clinic, outbox, monkeypatch, change
):
    from channels.base import MessageDeleted, MessageEdited
    from conversations.events import event_handle

    speech.set_latency(1.0)
    voice = asyncio.ensure_future(handle(voice_note(SPOKEN["en"])))
    await asyncio.sleep(0.1)  # the voice note holds the turn while it is transcribed
    waiting = message("How much is a filling?")
    answering = asyncio.ensure_future(handle(waiting))
    await asyncio.sleep(0.1)  # accepted, journaled, waiting for its turn
    if change == "edited":
        new = MessageEdited("evolution", "smile-main", waiting.message_id, "Where are you located?")
    else:
        new = MessageDeleted("evolution", "smile-main", waiting.message_id)
    await event_handle(new)
    await asyncio.gather(voice, answering)
    speech.set_latency(0)
    await handle(message("Where are you located?", phone=OTHER))
    replies = [sent["text"] for sent in outbox]
    if change == "edited":  # answered as it stands: the location, not the price
        assert replies[1] == replies[2]
    else:
        assert len(replies) == 2  # the voice note's and the other patient's only


async def test_only_the_audio_model_and_language_are_sent(speech, clinic, outbox):
    await handle(message("Hello!"))  # the conversation is in English from now on
    await handle(voice_note(SPOKEN["en"]))
    (call,) = speech.transcriptions()
    assert set(call["body"]) == {"model", "file", "language"}
    assert call["body"]["language"] == "en"
    sent = json.dumps(call, ensure_ascii=False)
    assert PATIENT not in sent and NAME not in sent and "Ivan" not in sent


async def test_a_clinic_may_choose_its_transcription_model(speech, clinic, outbox):
    clinic.transcription_model = "whisper-large-v3"
    await clinic.asave(update_fields=["transcription_model"])
    await handle(voice_note(SPOKEN["ru"]))
    assert speech.transcriptions()[0]["body"]["model"] == "whisper-large-v3"


async def test_evolutions_speech_to_text_makes_no_transcription_call(
    speech, async_client, clinic, outbox
):
    spoken = SPOKEN["he"]
    await post_webhook(async_client, voice_note_body("other words", speech_to_text=spoken))
    await post_webhook(async_client, text_message(spoken, phone=OTHER))
    assert outbox[0]["text"] == outbox[1]["text"]
    assert speech.transcriptions() == []
    row = await Message.objects.filter(direction="in").order_by("id").afirst()
    assert row.is_transcript and row.text == spoken


@pytest.mark.parametrize("failed", ["null", "undefined"])
async def test_a_failed_gateway_transcription_is_transcribed_here(
    speech, async_client, clinic, outbox, failed
):
    # 2.3.x writes `[audio] ${transcript}` even when its speech-to-text gave null.
    spoken = SPOKEN["en"]
    await post_webhook(async_client, voice_note_body(spoken, speech_to_text=failed))
    await post_webhook(async_client, text_message(spoken, phone=OTHER))
    assert outbox[0]["text"] == outbox[1]["text"]
    assert len(speech.transcriptions()) == 1
    row = await Message.objects.filter(direction="in").order_by("id").afirst()
    assert row.is_transcript and row.text == spoken


@pytest.mark.parametrize("as_text", [True, False], ids=["as its text", "on its media only"])
async def test_the_gateways_transcript_makes_no_transcription_call(speech, clinic, outbox, as_text):
    spoken = SPOKEN["uk"]
    voice = voice_note(spoken, transcript=spoken)
    if not as_text:
        voice = dataclasses.replace(voice, text="")
    await handle(voice)
    await handle(message(spoken, phone=OTHER))
    assert outbox[0]["text"] == outbox[1]["text"]
    assert speech.transcriptions() == []
    row = await stored(voice)
    assert row.is_transcript and row.text == spoken


async def test_the_transcript_is_stored_encrypted_and_marked(speech, clinic, outbox):
    spoken = SPOKEN["pt"]
    voice = voice_note(spoken)
    await handle(voice)
    row = await stored(voice)
    assert row.is_transcript
    assert row.text == spoken
    assert row.intent == "price_query"

    def raw_text() -> str:
        with connection.cursor() as cursor:
            cursor.execute("SELECT text FROM conversations_message WHERE id = %s", [row.pk])
            return cursor.fetchone()[0]

    raw = await sync_to_async(raw_text)()
    assert spoken not in raw and "obturação" not in raw
    typed = message(spoken, phone=OTHER)
    await handle(typed)
    assert not (await stored(typed)).is_transcript


async def test_a_transcript_reaches_a_row_stored_while_it_was_being_transcribed(
    speech, clinic, outbox
):
    speech.set_latency(0.5)
    voice = voice_note(SPOKEN["ru"])
    hearing = asyncio.ensure_future(handle(voice))
    await asyncio.sleep(0.25)  # accepted, journaled, being transcribed: stage B runs now
    await sync_to_async(journal_flush.apply)()
    assert (await stored(voice)).text == ""
    await hearing
    await sync_to_async(journal_flush.apply)()
    row = await stored(voice)
    assert (row.text, row.is_transcript) == (SPOKEN["ru"], True)


async def test_a_transcript_is_cut_and_cleaned_like_typed_text(speech, clinic, outbox):
    speech.transcripts = {b"note": "Сколько стоит пломба?\x00"}
    voice = voice_note("note")
    await handle(voice)
    assert (await stored(voice)).text == "Сколько стоит пломба?\ufffd"
    assert outbox[0]["text"] != text_required_reply("ru")


@pytest.fixture
def gateway_files(settings):
    """The gateway keeps the messages' files (Evolution's getBase64FromMediaMessage): a fake on
    loopback. Replies still go to the in-memory outbox."""
    with FakeEvolution(api_key="gateway-key") as fake:
        settings.EVOLUTION_API_URL = fake.url
        settings.EVOLUTION_API_KEY = "gateway-key"
        yield fake


async def test_audio_left_on_the_gateway_is_fetched_by_message_id(
    speech, gateway_files, clinic, outbox
):
    voice = voice_note(SPOKEN["es"], in_body=False)
    gateway_files.add_media(
        voice.message_id, SPOKEN["es"].encode(), mimetype="audio/ogg", media_type="audioMessage"
    )
    await handle(voice)
    await handle(message(SPOKEN["es"], phone=OTHER))
    (asked,) = gateway_files.media_requests()
    assert (asked["instance"], asked["message_id"]) == ("smile-main", voice.message_id)
    assert outbox[0]["text"] == outbox[1]["text"]
    assert len(speech.transcriptions()) == 1


async def ask_to_type_in_english(voice: InboundMessage, outbox) -> ConversationSession:
    """The voice note, after a typed hello made the conversation English (the clinic's own
    language is Russian): it is answered with the request to type, in English, and the
    conversation is flagged for staff."""
    await handle(message("Hello!"))
    await handle(voice)
    assert outbox[-1]["text"] == text_required_reply("en")
    assert len(outbox) == 2
    session = await session_of(PATIENT)
    assert session.attention == VOICE_NOT_TRANSCRIBED
    assert session.attention_at is not None
    row = await stored(voice)
    assert row.text == "" and not row.is_transcript
    return session


async def test_a_failed_transcription_asks_to_type_and_flags_the_conversation(
    speech, clinic, outbox
):
    speech.fail(500)
    await ask_to_type_in_english(voice_note(SPOKEN["en"]), outbox)
    assert len(speech.transcriptions()) == 1  # no retry


async def test_a_transcription_past_its_deadline_asks_to_type(speech, clinic, outbox, settings):
    settings.TRANSCRIPTION_DEADLINE_S = 0.3
    speech.hang()
    try:
        await ask_to_type_in_english(voice_note(SPOKEN["en"]), outbox)
    finally:
        speech.reset_faults()
    assert len(speech.transcriptions()) == 1


async def test_without_an_api_key_nothing_is_sent_and_the_patient_is_asked_to_type(
    speech, clinic, outbox, settings
):
    settings.OPENAI_API_KEY = ""
    await ask_to_type_in_english(voice_note(SPOKEN["en"]), outbox)
    assert speech.transcriptions() == []


async def test_audio_the_gateway_cannot_give_asks_to_type(speech, gateway_files, clinic, outbox):
    await ask_to_type_in_english(voice_note(SPOKEN["en"], in_body=False), outbox)
    assert len(gateway_files.media_requests()) == 1  # Evolution: 400 "Message not found"
    assert speech.transcriptions() == []


async def test_a_new_patients_unheard_note_is_answered_in_the_clinics_language(
    speech, clinic, outbox
):
    speech.fail(503)
    await handle(voice_note(SPOKEN["he"]))
    assert outbox[0]["text"] == text_required_reply(clinic.default_language)
    assert (await session_of(PATIENT)).attention == VOICE_NOT_TRANSCRIBED


async def test_a_voice_note_left_undecided_by_a_dead_request_asks_to_type_later(clinic, outbox):
    # The web process died before deciding: its worker does not transcribe (the audio left
    # with the request), it asks the patient to type and flags the conversation.
    await accept_then_die(
        clinic, "", age_s=60, message_id="DIED-VOICE", has_media="1", media_kind="voice"
    )
    await sync_to_async(journal_flush.apply)()
    assert [sent["text"] for sent in outbox] == [text_required_reply(clinic.default_language)]
    assert (await session_of(PATIENT)).attention == VOICE_NOT_TRANSCRIBED


async def test_neither_the_transcript_nor_the_phone_is_logged(speech, clinic, outbox, caplog):
    caplog.set_level(logging.DEBUG)
    spoken = "Болит зуб мудрости, можно сегодня?"
    await handle(voice_note(spoken))
    speech.fail(500)
    await handle(voice_note("Второе сообщение", phone=OTHER))
    assert len(speech.transcriptions()) == 2
    logged = caplog.text + "".join(str(record.args) for record in caplog.records)
    for secret in (spoken, "Болит", "Второе", PATIENT, OTHER, NAME):
        assert secret not in logged
    assert "not transcribed (InternalServerError:500)" in caplog.text


async def test_staff_see_the_flag_in_the_conversation_list(speech, clinic, outbox, admin_client):
    speech.fail(500)
    await handle(voice_note(SPOKEN["ru"]))
    session = await session_of(PATIENT)
    url = "/admin/conversations/conversationsession/"
    flagged = await sync_to_async(admin_client.get)(url, {"attention": "yes"})
    assert flagged.status_code == 200
    assert VOICE_NOT_TRANSCRIBED in flagged.content.decode()
    calm = await sync_to_async(admin_client.get)(url, {"attention": "no"})
    assert f"/{session.pk}/change/" not in calm.content.decode()
    cleared = await sync_to_async(admin_client.post)(
        url, {"action": "attention_clear", "_selected_action": [session.pk]}
    )
    assert cleared.status_code == 302
    await session.arefresh_from_db()
    assert session.attention == "" and session.attention_at is None
    from security.models import AuditEvent

    (cleared_entry,) = [e async for e in AuditEvent.objects.filter(action="clear_attention")]
    assert cleared_entry.object_id == str(session.pk)
