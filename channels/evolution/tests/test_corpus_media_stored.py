"""Every media message of the Evolution corpus (corpus/INDEX.json) through the webhook, with real
Redis and Postgres: its row keeps what staff see of it, as the parser read it (kind, type, size,
a document's name, a location or the contact cards, the caption as its text, the message it
quotes). Voice notes and audio are left to the voice notes' tests: their text is a transcript."""

import pytest

from channels.base import MediaKind
from channels.evolution.tests import corpus_index as corpus
from channels.evolution.tests.helpers import post_webhook
from conversations.models import Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

HEARD = (MediaKind.VOICE, MediaKind.AUDIO)
MEDIA_MESSAGES = [
    name
    for name in corpus.names(event="InboundMessage", answer="accepted")
    if (media := corpus.INDEX[name]["expect"]["media"]) and media["kind"] not in HEARD
]


def test_the_corpus_has_every_kind_staff_open_or_read():
    kinds = {corpus.INDEX[name]["expect"]["media"]["kind"] for name in MEDIA_MESSAGES}
    assert set(MediaKind) - set(HEARD) <= kinds


@pytest.mark.parametrize("name", MEDIA_MESSAGES, ids=lambda name: name.removesuffix(".json"))
async def test_a_media_message_is_stored_with_what_staff_see(async_client, clinic, outbox, name):
    expect = corpus.INDEX[name]["expect"]
    response = await post_webhook(async_client, corpus.corpus_body(name))
    assert response.json() == {"status": "accepted"}, response.content
    stored = await Message.objects.aget(wa_message_id=expect["message_id"])
    media = expect["media"]
    assert (stored.media_kind, stored.media_mime, stored.media_size) == (
        media["kind"],
        media["mime_type"],
        media["size"],
    )
    assert stored.media_content == media["content"]
    assert stored.text == expect["text"]  # the caption
    assert (stored.quoted_wa_id, stored.choice_id) == (expect["quoted_id"], expect["choice_id"])
    assert stored.is_transcript is False


@pytest.mark.parametrize("length", [{"low": 0, "high": 2**40}, 1e300, 2**63])
async def test_a_size_the_database_cannot_hold_is_left_out_and_the_message_stored(
    async_client, clinic, outbox, length
):
    # Kept, the size would be answered and then never stored (a bigint holds less).
    body = corpus.corpus_body("v236_image_no_caption.json")
    body["data"]["message"]["imageMessage"]["fileLength"] = length
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}, response.content
    stored = await Message.objects.aget(wa_message_id=body["data"]["key"]["id"])
    assert (stored.media_kind, stored.media_size) == (MediaKind.IMAGE, None)
