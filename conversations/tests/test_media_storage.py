"""A message's media kept for staff: posted through the webhook (real Redis and Postgres), each
message's row holds its kind, type, size and caption, a location's or contact card's content
(encrypted like text, sealed in Redis), and the message it quotes and the choice it tapped.

The channel here hands the pipeline a channels.base.Media as any channel's parser does, so these
tests hold whatever the channel; Evolution's bodies are read into one by its parser."""

import dataclasses
import json

import pytest
from asgiref.sync import sync_to_async
from django.db import connection

from channels import registry
from channels.base import Media, MediaKind
from channels.tests.toy import ToyChannel, ToySender
from conftest import import_clinic_data, load_demo_clinic_data
from conversations.models import Message
from conversations.tests.conftest import fixture_body, post_webhook

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

TOKEN = "toy-token"
LOCATION = "32.0853, 34.7818: Dental Center, 5 Rothschild Blvd"
CONTACT = "Dr. Levi: +972 50 123 4567"


class MediaToyChannel(ToyChannel):
    """The toy channel, whose body may also carry `media` (channels.base.Media's fields),
    `quoted`, `choice` and `lid`."""

    kind = "mediatoy"
    webhook = "mediatoy"

    def parse(self, payload, subpath):
        (message,) = super().parse(payload, subpath)
        media = payload.get("media")
        return [
            dataclasses.replace(
                message,
                channel=self.kind,
                has_media=media is not None,
                lid=payload.get("lid", ""),
                media=Media(**media | {"kind": MediaKind(media["kind"])}) if media else None,
                quoted_id=payload.get("quoted", ""),
                choice_id=payload.get("choice", ""),
            )
        ]


@pytest.fixture
def media_clinic(monkeypatch):
    monkeypatch.setitem(registry.CHANNELS, "mediatoy", f"{__name__}.MediaToyChannel")
    ToySender.sent.clear()
    data = load_demo_clinic_data() | {
        "slug": "media-dental",
        "whatsapp_instance": "media-number-1",
        "channel": {"kind": "mediatoy"},
    }
    yield import_clinic_data(data)
    ToySender.sent.clear()


async def post_media(client, message_id: str, text: str = "", **fields):
    body = {"number": "media-number-1", "from": "79005550011", "id": message_id, "text": text}
    response = await client.post(
        "/webhooks/mediatoy",
        data=json.dumps(body | fields),
        content_type="application/json",
        headers={"X-Toy-Token": TOKEN},
    )
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    return await Message.objects.aget(wa_message_id=message_id)


@sync_to_async
def raw_column(column: str, message_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM conversations_message WHERE wa_message_id = %s", [message_id]
        )
        return cursor.fetchone()[0]


async def test_an_image_keeps_its_kind_type_size_and_caption(async_client, media_clinic):
    image = {"kind": "image", "mime_type": "image/jpeg", "size": 183_467}
    stored = await post_media(
        async_client, "img-1", "Is this swelling normal?", media=image, quoted="3EB0QUOTED01"
    )
    assert (stored.media_kind, stored.media_mime, stored.media_size) == (
        "image",
        "image/jpeg",
        183_467,
    )
    assert stored.text == "Is this swelling normal?"  # the caption is the patient's text
    assert stored.media_content == ""
    assert stored.quoted_wa_id == "3EB0QUOTED01"
    assert stored.direction == Message.Direction.INBOUND


async def test_a_document_keeps_its_name_encrypted(async_client, media_clinic):
    document = {
        "kind": "document",
        "mime_type": "application/pdf",
        "size": 52_113,
        "content": "Ivanov blood test.pdf",
    }
    stored = await post_media(async_client, "doc-1", media=document)
    assert (stored.media_kind, stored.media_mime, stored.media_size) == (
        "document",
        "application/pdf",
        52_113,
    )
    assert stored.media_content == "Ivanov blood test.pdf"
    assert (await raw_column("media_content", "doc-1")).startswith("enc1:")


@pytest.mark.parametrize(("kind", "content"), [("location", LOCATION), ("contact", CONTACT)])
async def test_a_location_or_contact_keeps_its_content_encrypted(
    async_client, media_clinic, kind, content
):
    stored = await post_media(async_client, f"{kind}-1", media={"kind": kind, "content": content})
    assert (stored.media_kind, stored.media_content) == (kind, content)
    assert (stored.media_mime, stored.media_size, stored.text) == ("", None, "")
    raw = await raw_column("media_content", f"{kind}-1")
    assert raw.startswith("enc1:") and content not in raw and "32.0853" not in raw


async def test_a_tapped_choice_keeps_its_id(async_client, media_clinic):
    stored = await post_media(async_client, "tap-1", "Yes, I confirm", choice="confirm_yes")
    assert (stored.text, stored.choice_id, stored.media_kind) == (
        "Yes, I confirm",
        "confirm_yes",
        "",
    )


async def test_a_text_message_has_no_media(async_client, media_clinic):
    stored = await post_media(async_client, "text-1", "Hello")
    assert (stored.media_kind, stored.media_mime, stored.media_size) == ("", "", None)
    assert (stored.media_content, stored.quoted_wa_id, stored.choice_id) == ("", "", "")
    assert stored.is_transcript is False


async def test_stage_a_journals_the_media_and_the_lid(async_client, media_clinic, stored_journals):
    from conversations.hotstore import message_key
    from conversations.tests.conftest import journal_seen

    await post_media(
        async_client,
        "loc-2",
        media={"kind": "location", "content": LOCATION},
        lid="123456789012345@lid",
    )
    journal = await journal_seen(message_key("media-number-1", "loc-2"))
    assert journal.media_kind == "location" and journal.media_content == LOCATION
    assert journal.lid == "123456789012345@lid"
    assert journal.media_mime == "" and journal.media_size is None


async def test_an_evolution_image_keeps_its_caption_as_the_patient_s_text(
    async_client, clinic, outbox
):
    body = fixture_body("v2_image_with_caption")
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    stored = await Message.objects.aget(wa_message_id=body["data"]["key"]["id"])
    assert stored.text == "Quanto custa um clareamento?"
