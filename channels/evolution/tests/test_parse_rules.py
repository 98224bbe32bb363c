"""The parser's rules at their edges: bodies no gateway sends are refused naming the field (never
the text), or read with the bad part left out; nothing a patient wrote is refused for a field
the reply does not need."""

import copy
import json
from datetime import UTC, datetime

import pytest

from channels.base import AUDIO_UPLOAD_MAX, MalformedPayload
from channels.evolution import EvolutionChannel
from channels.evolution.tests.corpus_index import corpus_body


def _parse(body):
    (event,) = EvolutionChannel().parse(body, "")
    return event


def test_a_lid_in_digits_other_than_ascii_is_refused_naming_the_field():
    body = corpus_body("v236_text_lid_only.json")
    body["data"]["key"]["remoteJid"] = "٢٣٧٨١٢٥٠٧٥٠٠٠٣@lid"
    with pytest.raises(MalformedPayload, match=r"^data\.key\.remoteJid: digits other than 0-9$"):
        _parse(body)


def test_wrappers_nested_past_any_clients_depth_are_not_followed():
    body = corpus_body("v236_ephemeral_text.json")
    message = {"conversation": "Здравствуйте!"}
    for _ in range(2_000):
        message = {"ephemeralMessage": {"message": message}}
    body["data"]["message"] = message
    assert _parse(body).reason == "unsupported message type"


@pytest.mark.parametrize("choice", ["yes\x00", "y" * 129])
def test_a_choice_id_that_cannot_be_stored_is_left_out_and_the_text_kept(choice):
    # Refused, the whole message would be lost: Evolution does not retry a 4xx.
    body = corpus_body("v236_buttons_response.json")
    body["data"]["message"]["buttonsResponseMessage"]["selectedButtonId"] = choice
    message = _parse(body)
    assert message.choice_id == ""
    assert message.text == body["data"]["message"]["buttonsResponseMessage"]["selectedDisplayText"]


@pytest.mark.parametrize("stanza", ["3EB0\ud800", "3" * 129])
def test_a_quoted_id_that_cannot_be_stored_is_left_out_and_the_text_kept(stanza):
    body = corpus_body("v236_text_quoted_reply.json")
    body["data"]["contextInfo"]["stanzaId"] = stanza
    message = _parse(body)
    assert message.quoted_id == ""
    assert message.text == body["data"]["message"]["conversation"]


# The clinic's own number, as Baileys fills a fromMe message's sender-side fields with it.
OWN = "74950000000"


@pytest.mark.parametrize(
    "name",
    [
        "v236_staff_echo_own_alt.json",
        "v234_staff_echo_lid_chat_own_alt.json",
        "v232_staff_echo_lid_chat_own_sender_pn.json",
    ],
)
def test_a_staff_message_never_names_the_clinics_own_number_as_the_patient(name):
    # Without the envelope's `sender` the parser does not know the clinic's number: a fromMe
    # message's phone then comes only from a remoteJid that is the chat's own.
    body = corpus_body(name)
    del body["sender"]
    event = _parse(body)
    assert OWN not in (getattr(event, "phone", ""), getattr(event, "lid", ""))
    assert event == _parse(corpus_body(name))


def test_a_staff_message_in_a_phone_chat_is_still_read_without_the_sender():
    body = corpus_body("v18_staff_echo.json")
    del body["sender"]
    assert _parse(body).phone == "447700900003"


def test_a_native_flow_reply_with_unreadable_params_keeps_its_text():
    body = corpus_body("v236_interactive_native_flow.json")
    flow = body["data"]["message"]["interactiveResponseMessage"]["nativeFlowResponseMessage"]
    flow["paramsJson"] = "{not json"
    message = _parse(body)
    assert message.text == "כמה עולה סתימה?"
    assert message.choice_id == ""


@pytest.mark.parametrize(
    "length",
    [
        -1,
        "12 KB",
        {"low": "1"},
        True,
        1e999,
        1e300,
        2**63,
        {"low": 0, "high": 2**32},
        {"low": 0, "high": -1},
        {"low": 2**40, "high": 0},
    ],
)
def test_a_file_length_that_is_no_size_is_left_out(length):
    body = corpus_body("v236_image_no_caption.json")
    body["data"]["message"]["imageMessage"]["fileLength"] = length
    assert _parse(body).media.size is None


def test_a_long_past_32_bits_is_read_whole():
    body = corpus_body("v236_image_no_caption.json")
    body["data"]["message"]["imageMessage"]["fileLength"] = {"low": -2, "high": 1, "unsigned": True}
    assert _parse(body).media.size == 2**33 - 2


def test_a_file_that_is_not_base64_text_is_dropped_and_the_message_kept():
    body = corpus_body("v235_voice_base64.json")
    body["data"]["message"]["base64"] = "голос"
    message = _parse(body)
    assert message.media.base64 is None
    assert message.has_media


@pytest.mark.parametrize("said", ["[audio] null", "[audio] undefined", "[audio] ", "[audio]"])
def test_a_failed_gateway_transcription_is_no_transcript(said):
    # 2.3.x writes `[audio] ${transcript}` even when its speech-to-text gave null.
    body = corpus_body("v236_voice_stt_ru_greeting.json")
    body["data"]["message"]["speechToText"] = said
    message = _parse(body)
    assert (message.text, message.media.transcript) == ("", "")


@pytest.mark.parametrize(
    "quads, kept", [(AUDIO_UPLOAD_MAX // 3, True), (AUDIO_UPLOAD_MAX // 3 + 1, False)]
)
def test_an_audio_file_is_kept_only_within_the_transcriptions_upload_limit(quads, kept):
    # A file the transcription cannot take would only be held in memory and queued for nothing.
    body = corpus_body("v235_voice_base64.json")
    body["data"]["message"]["base64"] = "AAAA" * quads
    message = _parse(body)
    assert (message.media.base64 is not None) is kept
    assert message.has_media


def test_a_transcript_with_unstorable_characters_is_cleaned():
    body = corpus_body("v236_voice_stt_ru_greeting.json")
    body["data"]["message"]["speechToText"] = "[audio] Здравствуйте\x00!"
    message = _parse(body)
    assert message.text == message.media.transcript == "Здравствуйте\ufffd!"


def test_a_connection_update_without_a_state_is_refused():
    body = corpus_body("v236_connection_open.json")
    del body["data"]["state"]
    with pytest.raises(MalformedPayload, match=r"^data\.state: missing$"):
        _parse(body)


def test_a_connection_update_is_timed_by_the_gateways_date_time_as_written():
    # Evolution writes local time with a "Z"; only its own reports are compared with it.
    body = corpus_body("v236_connection_close.json")
    body["date_time"] = "2026-12-07T12:53:20.120Z"
    assert _parse(body).at == datetime(2026, 12, 7, 12, 53, 20, 120_000, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("date_time", [None, 1765111200, "", "yesterday", "2026-13-07T00:00:00Z"])
def test_a_connection_update_without_a_readable_date_time_has_no_time(date_time):
    body = corpus_body("v236_connection_close.json")
    body["date_time"] = date_time
    assert _parse(body).at is None


def test_a_delete_without_the_messages_id_is_refused():
    body = corpus_body("v236_messages_delete.json")
    del body["data"]["id"]
    with pytest.raises(MalformedPayload, match=r"^data\.key\.id: missing$"):
        _parse(body)


def test_a_body_holding_many_messages_gives_one_event_each():
    one = corpus_body("v22_text_pn.json")
    second = copy.deepcopy(one["data"])
    second["key"]["id"] = "3EB0SECOND0000000001"
    body = one | {"data": [one["data"], second]}
    events = EvolutionChannel().parse(body, "")
    assert [event.message_id for event in events] == [
        one["data"]["key"]["id"],
        "3EB0SECOND0000000001",
    ]


def test_a_list_longer_than_any_body_holds_is_refused():
    one = corpus_body("v22_text_pn.json")
    body = one | {"data": [one["data"]] * 101}
    with pytest.raises(MalformedPayload, match=r"^data: expected a message$"):
        EvolutionChannel().parse(body, "")


def test_refusals_never_quote_what_the_patient_wrote():
    body = corpus_body("v236_text_lid_chat_phone_alt.json")
    body["data"]["key"]["id"] = None
    with pytest.raises(MalformedPayload) as refused:
        _parse(body)
    assert "чистка" not in str(refused.value)
    assert json.dumps(body["data"]["message"]["conversation"]) not in str(refused.value)
