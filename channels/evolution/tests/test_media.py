"""Fetching a message's file from the gateway (channels.evolution.media) against real loopback
servers: Evolution's request and answer, and every failure a None with nothing of the file in the
log."""

import json
import logging

import pytest

from channels import registry
from channels.base import MEDIA_FETCH_MAX_S, FetchedMedia
from channels.evolution import media as fetching
from channels.evolution.media import EvolutionMedia, file_name, mime_type
from channels.evolution.tests.test_sender import TinyServer
from testing.fake_evolution import FakeEvolution

KEY = "gateway-key"
PHOTO = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 40  # a JPEG's start, then anything
MESSAGE_ID = "3EB0C0BD05DCA97A7C09CB"


@pytest.fixture
def fake():
    with FakeEvolution(api_key=KEY, instances={"smile-main"}) as server:
        yield server


async def test_the_file_comes_back_with_its_type_and_name(fake):
    fake.add_media(MESSAGE_ID, PHOTO, mimetype="image/jpeg", file_name="IMG-20251002.jpg")
    fetched = await EvolutionMedia(fake.url, KEY).fetch_media(
        instance="smile-main", message_id=MESSAGE_ID
    )
    assert fetched == FetchedMedia(data=PHOTO, mime_type="image/jpeg", file_name="IMG-20251002.jpg")
    (request,) = fake.media_requests()
    assert request["headers"]["apikey"] == KEY
    assert request["body"] == {"message": {"key": {"id": MESSAGE_ID}}, "convertToMp4": False}
    assert request["status"] == 201


async def test_the_channel_fetches_through_the_configured_gateway(fake, settings):
    settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY = fake.url, KEY
    fake.add_media(MESSAGE_ID, b"OggS voice", mimetype="audio/ogg; codecs=opus")
    fetched = await registry.channel("evolution").fetch_media(
        instance="smile-main", message_id=MESSAGE_ID
    )
    # Evolution names a file without a name after the message.
    assert fetched == FetchedMedia(b"OggS voice", "audio/ogg", f"{MESSAGE_ID}.ogg")


async def test_without_a_gateway_there_is_no_file(settings, caplog):
    settings.EVOLUTION_API_URL = ""
    fetched = await registry.channel("evolution").fetch_media(
        instance="smile-main", message_id=MESSAGE_ID
    )
    assert fetched is None
    assert "no EVOLUTION_API_URL" in caplog.text


@pytest.mark.parametrize(
    ("fault", "logged"),
    [
        ({}, "HTTP 400"),  # Evolution: "Message not found"
        ({"status": 500}, "HTTP 500"),
        ({"drop": True}, "ServerDisconnectedError"),
    ],
)
async def test_a_gateway_that_cannot_give_the_file_gives_none(fake, caplog, fault, logged):
    fake.configure(**fault)
    caplog.set_level(logging.WARNING, logger="channels.evolution.media")
    fetched = await EvolutionMedia(fake.url, KEY).fetch_media(
        instance="smile-main", message_id=MESSAGE_ID
    )
    assert fetched is None
    assert f"media of message {MESSAGE_ID} not fetched: {logged}" in caplog.text


async def test_a_wrong_key_or_instance_gives_none(fake):
    fake.add_media(MESSAGE_ID, PHOTO, mimetype="image/jpeg")
    assert (
        await EvolutionMedia(fake.url, "wrong").fetch_media(
            instance="smile-main", message_id=MESSAGE_ID
        )
        is None
    )
    assert (
        await EvolutionMedia(fake.url, KEY).fetch_media(
            instance="north-main", message_id=MESSAGE_ID
        )
        is None
    )
    assert [r["status"] for r in fake.media_requests()] == [401, 404]


async def test_a_gateway_that_never_answers_is_given_up(fake, monkeypatch, caplog):
    monkeypatch.setattr(fetching, "READ_S", 0.2)
    fake.add_media(MESSAGE_ID, PHOTO, mimetype="image/jpeg")
    fake.hang()
    try:
        fetched = await EvolutionMedia(fake.url, KEY).fetch_media(
            instance="smile-main", message_id=MESSAGE_ID
        )
    finally:
        fake.reset_faults()
    assert fetched is None
    assert "not fetched: SocketTimeoutError" in caplog.text


async def test_a_file_over_the_limit_is_not_read_to_the_end(fake, monkeypatch, caplog):
    monkeypatch.setattr(fetching, "MEDIA_MAX", 3000)
    monkeypatch.setattr(fetching, "ANSWER_MAX", 6000)
    fake.add_media(MESSAGE_ID, PHOTO, mimetype="image/jpeg")  # 10 KB: 14 KB of base64
    fetched = await EvolutionMedia(fake.url, KEY).fetch_media(
        instance="smile-main", message_id=MESSAGE_ID
    )
    assert fetched is None
    assert "over the size limit" in caplog.text


async def test_a_decoded_file_over_the_limit_is_refused(fake, monkeypatch):
    monkeypatch.setattr(fetching, "MEDIA_MAX", len(PHOTO) - 1)
    fake.add_media(MESSAGE_ID, PHOTO, mimetype="image/jpeg")
    assert (
        await EvolutionMedia(fake.url, KEY).fetch_media(
            instance="smile-main", message_id=MESSAGE_ID
        )
        is None
    )


@pytest.mark.parametrize(
    ("answer", "logged"),
    [
        (b"<html>proxy error</html>", "the answer is not JSON"),
        (b'{"mimetype": "image/jpeg"}', "the answer has no base64"),
        (b'{"base64": "not base64!"}', "the answer's base64 is not valid"),
        (b"[]", "the answer has no base64"),
        (b"[" * 100_000 + b"]" * 100_000, "the answer is not JSON"),  # too deep for json.loads
    ],
)
async def test_an_answer_without_a_usable_file_gives_none(caplog, answer, logged):
    async with TinyServer(answer, status=201) as server:
        fetched = await EvolutionMedia(f"http://127.0.0.1:{server.port}", KEY).fetch_media(
            instance="smile-main", message_id=MESSAGE_ID
        )
    assert fetched is None
    assert logged in caplog.text


async def test_nothing_of_the_file_reaches_the_log(caplog):
    caplog.set_level(logging.DEBUG)
    secret_name = "Ivanov-blood-test.pdf"
    answer = json.dumps({"fileName": secret_name, "mimetype": "application/pdf", "base64": "%%"})
    async with TinyServer(answer.encode(), status=201) as server:
        url = f"http://127.0.0.1:{server.port}"
        assert await EvolutionMedia(url, KEY).fetch_media(instance="i", message_id="m") is None
    assert secret_name not in caplog.text and KEY not in caplog.text


async def test_the_instance_is_one_path_segment(fake):
    await EvolutionMedia(fake.url, KEY).fetch_media(instance="a/../b?x", message_id=MESSAGE_ID)
    (request,) = fake.media_requests()
    assert request["instance"] == "a%2F..%2Fb%3Fx"


@pytest.mark.parametrize(
    ("declared", "kept"),
    [
        ("image/jpeg", "image/jpeg"),
        ("audio/ogg; codecs=opus", "audio/ogg"),
        ("Application/PDF", "application/pdf"),
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", None),
        ("text/html\r\nSet-Cookie: x=1", "application/octet-stream"),
        ("image", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_the_declared_type_becomes_a_safe_header_value(declared, kept):
    assert mime_type(declared) == (kept or declared)


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\x\\scan.png", "scan.png"),
        ("a\x00b\nc.txt", "a\ufffdbc.txt"),
        (42, ""),
    ],
)
def test_the_file_name_is_a_plain_name(given, kept):
    assert file_name(given) == kept


async def test_every_fetch_is_bounded_in_time():
    session = fetching._media_session({}, ssl_context=None)
    try:
        timeout = session.timeout
    finally:
        await session.close()
    assert (timeout.sock_connect, timeout.sock_read, timeout.total) == (1.5, 30.0, 60.0)
    # The admin waits for a fetch this long at most (conversations.admin).
    assert timeout.total + fetching.QUEUE_S < MEDIA_FETCH_MAX_S


async def test_a_fetch_waits_for_a_free_slot_and_gives_up_after_a_while(fake, monkeypatch, caplog):
    # Each fetch may hold ~90 MB: a process fetches only a couple at once.
    fake.add_media(MESSAGE_ID, PHOTO, mimetype="image/jpeg")
    monkeypatch.setattr(fetching, "QUEUE_S", 0.05)
    slots = fetching._slot()
    for _ in range(fetching.CONCURRENT_FETCHES):
        await slots.acquire()
    media = EvolutionMedia(fake.url, KEY)
    assert await media.fetch_media(instance="smile-main", message_id=MESSAGE_ID) is None
    assert "too many fetches at once" in caplog.text
    assert fake.media_requests() == []
    slots.release()
    fetched = await media.fetch_media(instance="smile-main", message_id=MESSAGE_ID)
    assert fetched is not None and fetched.data == PHOTO
