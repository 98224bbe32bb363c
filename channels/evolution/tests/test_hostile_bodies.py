"""Bodies no gateway sends, from someone holding the webhook's credentials or a gateway gone
wrong: each is refused with a 4xx naming the field, or accepted with the bad part cleaned; none
gets a 500, and nothing accepted is lost."""

import json

import pytest

from channels.evolution.tests.helpers import post_webhook, text_message
from conversations.hotstore import UNSTORED
from conversations.models import ConversationSession, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]


def _with_id(message_id: str) -> dict:
    body = text_message("Привет")
    body["data"]["key"]["id"] = message_id
    return body


async def _nothing_accepted(outbox) -> bool:
    from clinicbot.runtime.redis_client import sync_redis

    return outbox == [] and not sync_redis().zcard(UNSTORED) and not await Message.objects.aexists()


@pytest.mark.parametrize(
    "message_id",
    ["A" * 129, "3EB0C767\x00D26A", "3EB0\ud800C767"],
    ids=["129 chars", "NUL", "surrogate"],
)
async def test_a_message_id_the_database_cannot_hold_is_refused_before_it_is_accepted(
    async_client, clinic, outbox, message_id
):
    response = await post_webhook(async_client, _with_id(message_id))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("data.key.id:")
    assert await _nothing_accepted(outbox)


async def test_a_message_id_of_128_characters_is_accepted_and_stored(async_client, clinic, outbox):
    response = await post_webhook(async_client, _with_id("A" * 128))
    assert response.json() == {"status": "accepted"}
    assert await Message.objects.filter(wa_message_id="A" * 128).aexists()


async def test_json_nested_ten_thousand_deep_is_refused_as_malformed(async_client, clinic, outbox):
    raw = b'{"instance": "smile-main", "data": ' + b"[" * 10_000 + b"]" * 10_000 + b"}"
    response = await post_webhook(async_client, raw)
    assert response.status_code == 422
    assert "body" in response.json()["detail"]


@pytest.mark.parametrize("timestamp", ["1e999", "-1e999", "NaN"])
async def test_a_timestamp_out_of_range_is_read_as_none_and_the_message_answered(
    async_client, clinic, outbox, timestamp
):
    body = text_message("Привет", message_id=f"TS-{timestamp}")
    # JSON's own spelling of a number no float holds, which json.dumps would not write.
    raw = json.dumps(body).replace('"messageTimestamp"', f'"messageTimestamp": {timestamp}, "x"')
    response = await post_webhook(async_client, raw.encode())
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 1
    assert await Message.objects.filter(wa_message_id=f"TS-{timestamp}").aexists()


@pytest.mark.parametrize("bad", ["\ud800", "\x00"], ids=["lone surrogate", "NUL"])
async def test_unstorable_characters_in_text_and_name_are_replaced_and_the_message_stored(
    async_client, clinic, outbox, bad
):
    body = text_message(f"Привет {bad} доктор", message_id="BADCHAR-1")
    body["data"]["pushName"] = f"Ivan {bad}"
    # json.dumps writes them as \\u escapes, as a hostile sender would.
    response = await post_webhook(async_client, json.dumps(body).encode())
    assert response.json() == {"status": "accepted"}
    assert len(outbox) == 1
    stored = await Message.objects.select_related("session").aget(wa_message_id="BADCHAR-1")
    assert stored.text == "Привет \ufffd доктор"
    assert stored.session.patient_name == "Ivan \ufffd"


async def test_a_text_over_whatsapps_limit_is_cut_to_it_before_the_language_layer(
    async_client, clinic, outbox
):
    body = text_message("Сколько стоит пломба? " + "а" * 70_000, message_id="LONG-1")
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    stored = await Message.objects.aget(wa_message_id="LONG-1")
    assert len(stored.text) == 65_536
    assert stored.text.startswith("Сколько стоит пломба?")


@pytest.mark.parametrize(
    "jid",
    ["٧٩٠٠١٢٣٤٥٦٧@s.whatsapp.net", "７９００１２３４５６７@s.whatsapp.net"],
    ids=["arabic-indic", "fullwidth"],
)
async def test_a_jid_with_digits_other_than_ascii_is_refused_and_merges_no_patients(
    async_client, clinic, outbox, jid
):
    body = text_message("Привет")
    body["data"]["key"]["remoteJid"] = jid
    response = await post_webhook(async_client, body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith("data.key.remoteJid:")
    assert await _nothing_accepted(outbox)
    assert not await ConversationSession.objects.filter(patient_phone_index="").aexists()


@pytest.mark.parametrize("instance", ["smile\x00main", "smile-main\x00", "smile\ud800"])
async def test_an_instance_name_no_clinic_can_have_is_refused_and_logged_safely(
    async_client, clinic, outbox, caplog, instance
):
    response = await post_webhook(async_client, text_message("Привет", instance=instance))
    assert response.status_code == 422
    assert response.json()["detail"].startswith("instance:")
    assert "\x00" not in caplog.text
    assert await _nothing_accepted(outbox)
    # The next, well-formed message is answered: nothing was left broken.
    response = await post_webhook(async_client, text_message("Привет"))
    assert response.json() == {"status": "accepted"}


def test_the_limits_checked_at_the_webhook_are_the_databases():
    from channels.base import INSTANCE_MAX, MESSAGE_ID_MAX
    from conversations.models import Clinic

    assert Message._meta.get_field("wa_message_id").max_length == MESSAGE_ID_MAX
    assert Clinic._meta.get_field("whatsapp_instance").max_length == INSTANCE_MAX
