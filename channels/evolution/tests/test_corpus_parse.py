"""Every body of the corpus parses to what its INDEX.json entry expects."""

import base64

import pytest

from channels.evolution import EvolutionChannel
from channels.evolution.tests.corpus_index import CORPUS, INDEX, corpus_body


def test_the_corpus_is_indexed_whole_and_cites_its_sources():
    on_disk = {path.name for path in CORPUS.glob("*.json")} - {"INDEX.json"}
    assert on_disk == set(INDEX)
    assert len(INDEX) >= 50
    for entry in INDEX.values():
        assert entry["versions"]
        assert all(source["repo"] and source["file"] for source in entry["sources"])


def test_the_corpus_covers_every_version_that_differs():
    versions = {version for entry in INDEX.values() for version in entry["versions"]}
    assert {"1.8.2", "2.2.3", "2.3.1", "2.3.3", "2.3.5", "2.3.6"} <= versions


@pytest.mark.parametrize("name", sorted(INDEX))
def test_a_corpus_body_parses_to_what_its_index_expects(name):
    expect = INDEX[name]["expect"]
    (event,) = EvolutionChannel().parse(corpus_body(name, fresh=False), "")
    assert type(event).__name__ == expect["event"]
    assert event.instance == "smile-main"
    if expect["event"] == "Ignored":
        assert event.reason == expect["reason"]
    elif expect["event"] == "InboundMessage":
        _check_message(event, expect)
    elif expect["event"] == "ConnectionChanged":
        assert (event.state, event.reason) == (expect["state"], expect["reason"])
    else:  # MessageEdited, MessageDeleted
        assert event.message_id == expect["message_id"]
        assert getattr(event, "text", None) == expect.get("text")


def _check_message(message, expect):
    fields = ("message_id", "phone", "lid", "from_me", "automated", "text", "choice_id")
    assert {field: getattr(message, field) for field in fields} == {
        field: expect[field] for field in fields
    }
    assert message.quoted_id == expect["quoted_id"]
    media = expect["media"]
    assert message.has_media is (media is not None)
    if media is None:
        assert message.media is None
        return
    kept = message.media.base64
    assert {
        "kind": str(message.media.kind),
        "mime_type": message.media.mime_type,
        "size": message.media.size,
        "seconds": message.media.seconds,
        "content": message.media.content,
        "transcript": message.media.transcript,
        "base64": kept is not None,
    } == media
    if kept is not None:
        base64.b64decode(bytes(kept), validate=True)  # the body's base64 text, not decoded yet


def test_a_file_the_body_decoder_left_as_bytes_is_kept_as_it_is():
    body = corpus_body("v235_voice_base64.json")
    raw = body["data"]["message"]["base64"].encode()
    body["data"]["message"]["base64"] = memoryview(raw)
    (message,) = EvolutionChannel().parse(body, "")
    assert bytes(message.media.base64) == raw


def test_by_events_urls_name_the_event_in_the_last_segment():
    body = corpus_body("v236_connection_open.json")
    del body["event"]
    (event,) = EvolutionChannel().parse(body, "t/secret-in-path/connection-update")
    assert type(event).__name__ == "ConnectionChanged"
