"""channels.evolution.body: the webhook's JSON with `data.message.base64` (where Evolution's
webhook base64 puts a media message's file) as a memoryview of the body, never copied."""

import base64
import copy
import gc
import json
import os
import tracemalloc

import pytest

from channels.evolution.body import decode
from channels.evolution.tests.helpers import fixture_body

MiB = 1024 * 1024
FILE = base64.b64encode(b"\xff\xd8\xff\xe0 a small jpeg, or so it says").decode()


def image_body(file: str = FILE, caption: str = "Сколько стоит чистка?") -> dict:
    """An image message as Evolution 2.3.6 posts it with webhook base64 on: the file last in
    `message` (messageRaw.message.base64 = buffer.toString('base64')), a thumbnail before it
    (a Uint8Array, which JSON.stringify writes as an object of numbered keys)."""
    body = fixture_body("v2_image_with_caption")
    image = body["data"]["message"]["imageMessage"]
    image["caption"] = caption
    image["jpegThumbnail"] = {str(n): n % 256 for n in range(2000)}
    body["data"]["message"]["base64"] = file
    return body


def as_json_loads_would(raw: bytes) -> object:
    """What json.loads gives, each string at data.message.base64 (data or message an object, or
    a list of them) as bytes: what decode must equal."""
    payload = json.loads(raw)
    datas = payload.get("data") if isinstance(payload, dict) else None
    for data in datas if isinstance(datas, list) else [datas]:
        messages = data.get("message") if isinstance(data, dict) else None
        for message in messages if isinstance(messages, list) else [messages]:
            if isinstance(message, dict) and isinstance(message.get("base64"), str):
                message["base64"] = message["base64"].encode()
    return payload


def comparable(payload: object) -> object:
    """The payload with its memoryviews as bytes, to compare with ==."""
    if isinstance(payload, dict):
        return {key: comparable(value) for key, value in payload.items()}
    if isinstance(payload, list):
        return [comparable(value) for value in payload]
    return bytes(payload) if isinstance(payload, memoryview) else payload


def file_of(payload: dict) -> memoryview:
    return payload["data"]["message"]["base64"]


def test_the_file_is_a_view_of_the_body_and_the_rest_is_json_loads():
    raw = json.dumps(image_body(), ensure_ascii=False).encode()
    payload = decode(raw)
    assert isinstance(file_of(payload), memoryview)
    assert file_of(payload).obj is raw  # a view into the body: no copy
    assert bytes(file_of(payload)) == FILE.encode()
    assert comparable(payload) == as_json_loads_would(raw)


def tricky_bodies() -> dict[str, bytes]:
    def dumped(body, **options) -> bytes:
        return json.dumps(body, **options).encode()

    in_caption = image_body(caption='she wrote {"data": {"message": {"base64": "QUFB"}}} [')
    quotes_before = image_body(caption='a \\"quote\\" and a backslash at the end \\')
    quotes_before["data"]["pushName"] = 'x\\\\"base64\\":"'
    text_only = copy.deepcopy(image_body())
    del text_only["data"]["message"]["base64"]
    text_only["data"]["message"]["imageMessage"]["caption"] = '"base64":"QUFB"'
    elsewhere = image_body()
    elsewhere["base64"] = "QUJD"  # the same key, not where the file goes
    elsewhere["data"]["message"]["imageMessage"]["base64"] = "QUJD"
    elsewhere["data"]["qrcode"] = {"base64": "data:image/png;base64,iVBORw0KGgo="}
    two = image_body()
    two["data"] = [image_body()["data"], image_body(file="QkJC")["data"]]
    not_a_string = image_body()
    not_a_string["data"]["message"]["base64"] = None
    return {
        "compact": dumped(image_body(), separators=(",", ":")),
        "indented": dumped(image_body(), indent=2),
        "whitespace everywhere": (
            b' \r\n\t{ "data" :\n{ "message" :\t{ "base64" :\r\n "QUJD" } } } '
        ),
        "the key inside a caption": dumped(in_caption),
        "escaped quotes and backslashes before it": dumped(quotes_before),
        "the key in a text, no file": dumped(text_only),
        "the key elsewhere": dumped(elsewhere),
        "data as a list of two messages": dumped(two),
        "not a string": dumped(not_a_string),
        "the key spelt with an escape": b'{"data": {"message": {"b\\u0061se64": "QUJD"}}}',
        "a duplicate key, the last one kept": (
            b'{"data": {"message": {"base64": "QUFB", "x": 1, "base64": "QkJC"}}}'
        ),
        "a duplicate data, the last one kept": (
            b'{"data": {"message": {"base64": "QUFB"}}, "data": {"message": {}}}'
        ),
        "an escaped value": b'{"data": {"message": {"base64": "QU\\/B"}}}',
        "a bracket in a skipped string": b'{"a": ["]", {"}": "{"}], "data": {"message": '
        b'{"x": [[], {}], "base64": "QUJD"}}}',
        "a list at the root": b'[{"data": {"message": {"base64": "QUJD"}}}]',
        "no data": b'{"event": "connection.update", "data": "open"}',
        "a number": b"42",
        "an empty object": b"{}",
        "unicode around it": dumped(image_body(caption="שלום 😀"), ensure_ascii=False),
        "text that is not base64 in it": dumped(image_body(file="голос 😀"), ensure_ascii=False),
        "a data URL in it": dumped(image_body(file="data:audio/ogg;base64,QUJD")),
    }


@pytest.mark.parametrize("raw", tricky_bodies().values(), ids=tricky_bodies().keys())
def test_a_tricky_body_decodes_as_json_loads_would(raw):
    assert comparable(decode(raw)) == as_json_loads_would(raw)


FOLLOWED = [
    "compact",
    "indented",
    "whitespace everywhere",
    "the key inside a caption",
    "escaped quotes and backslashes before it",
    "the key elsewhere",
    "the key spelt with an escape",
    "a duplicate key, the last one kept",
    "a bracket in a skipped string",
    "unicode around it",
]


@pytest.mark.parametrize("name", FOLLOWED)
def test_in_a_body_the_scanner_follows_the_file_is_a_view_of_the_body(name):
    raw = tricky_bodies()[name]
    assert file_of(decode(raw)).obj is raw


def test_the_key_inside_a_caption_is_not_the_file():
    raw = json.dumps(image_body(caption='{"base64": "QUFB"}')).encode()
    payload = decode(raw)
    assert payload["data"]["message"]["imageMessage"]["caption"] == '{"base64": "QUFB"}'
    assert bytes(file_of(payload)) == FILE.encode()


def test_each_message_of_a_list_gets_its_own_file():
    raw = json.dumps({"data": [image_body()["data"], image_body(file="QkJC")["data"]]}).encode()
    first, second = decode(raw)["data"]
    assert (bytes(first["message"]["base64"]), bytes(second["message"]["base64"])) == (
        FILE.encode(),
        b"QkJC",
    )
    assert first["message"]["base64"].obj is raw


@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b"",
        b'{"data": {"message": {"base64": "QUJD',  # cut inside the file
        b'{"data": {"message": {"base64": "QUJD"}}',  # a bracket short
        b'{"data": {"message": {"base64": "QUJD"}}} trailing',
        b'{"data": {"message": {"base64": "QUJD"}}, "x": tru}',
        b'{"data": {"message": {"base64": "QUJD" "x"}}}',
        b'{"data" {"message": {"base64": "QUJD"}}}',
        b'{"data": {"message": {"base64": "QUJD"}]}',
        b'\xff{"data": {}}',
        b'{"data": {"message": {"base64": "QU\nJD"}}}',  # a control character in the file
        b'{"data": {"message": {"base64": "QU\x00JD"}}}',
        b'{"data": {"message": {"base64": "QU\xffJD"}}}',  # not UTF-8 in the file
        b'{"data": {"message": {"base64": "QU\xc3"}}}',  # a UTF-8 sequence cut short
    ],
)
def test_a_body_that_is_not_json_raises_as_json_loads_does(raw):
    with pytest.raises(ValueError):
        json.loads(raw)
    with pytest.raises(ValueError):
        decode(raw)


def test_a_body_nested_too_deeply_raises_recursion_error_as_json_loads_does():
    raw = b'{"data": {"message": {"base64": "QUJD"}}, "x": ' + b"[" * 100_000 + b"]" * 100_000
    with pytest.raises(RecursionError):
        decode(raw + b"}")


def peak_while(work) -> int:
    """The most Python memory allocated at once while `work` runs, in bytes."""
    gc.collect()
    tracemalloc.start()
    try:
        result = work()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del result
    return peak


def test_decoding_a_40_mib_media_body_copies_nothing_of_the_file():
    file = base64.b64encode(os.urandom(30 * MiB)).decode()
    raw = json.dumps(image_body(file=file)).encode()
    del file
    assert len(raw) > 40 * MiB
    decoded = peak_while(lambda: decode(raw))
    whole = peak_while(lambda: json.loads(raw))  # what the measure sees of a copy
    assert decoded < MiB  # the rest of the body: well under 1 MiB here
    assert whole > 2 * len(raw)  # the body as a str, and the file's str again
