"""The journal's schema: its fields come back with their types, an unknown field is refused, and
a reply moves from one state to another exactly once, in Redis and in the embedded store."""

import time

import pytest

from conversations.hotstore import MemoryHotStore, hot_store
from conversations.journal import Journal, Kind, ReplyState, changes, decode, values_of


def test_a_journal_comes_back_with_its_types():
    journal = Journal(
        clinic_id=7,
        message_id="m7",
        kind=Kind.STAFF,
        has_media=True,
        received_at=1765000000.25,
        reply_state=ReplyState.GAVE_UP,
        reply_attempts=8,
        total_ms=None,
        llm_handoff=True,
        session_changes={"control": "staff", "control_at": "1765000001.5"},
    )
    raw = changes(**values_of(journal))
    assert all(isinstance(value, str) for value in raw.values())
    assert decode(raw) == journal


def test_what_identifies_the_patient_or_was_written_is_sealed_in_the_hash():
    values = {"phone": "79001234567", "name": "Иван", "text": "Болит зуб", "reply_text": "Ой"}
    raw = changes(message_id="m1", **values)
    for name, plaintext in values.items():
        assert raw[name].startswith("enc1:") and plaintext not in raw[name]
    journal = decode(raw)
    assert {name: getattr(journal, name) for name in values} == values
    assert changes(text="")["text"] == ""  # nothing to hide


def test_a_sealed_value_copied_into_another_field_does_not_open(caplog):
    raw = changes(message_id="m1", phone="79001234567", text="Болит зуб")
    journal = decode(raw | {"reply_text": raw["text"]})
    assert journal.reply_text == "" and journal.text == "Болит зуб"
    assert "journal field reply_text unreadable" in caplog.text
    assert "Болит" not in caplog.text


def test_a_plaintext_field_an_older_version_wrote_still_reads():
    assert decode({"message_id": "m1", "text": "Болит зуб"}).text == "Болит зуб"


def test_an_unknown_field_is_refused_before_anything_is_written():
    with pytest.raises(TypeError, match="no field 'reply_stat'"):
        changes(reply_stat="sent")
    with pytest.raises(TypeError, match="cannot change the session's"):
        changes(session_changes={"phone": "1"})


def test_a_hash_that_is_gone_reads_as_no_journal():
    assert decode({}) is None
    # Fields written after it expired (a late update) do not make a journal either.
    assert decode({b"stored_state": b"sent", b"outbox_due_at": b"1765000000"}) is None


def test_a_value_this_version_cannot_read_does_not_stop_the_reading(caplog):
    journal = decode(
        {"message_id": "m1", "reply_state": "snoozed", "kind": "bot", "total_ms": "fast"}
    )
    assert (journal.reply_state, journal.kind, journal.total_ms) == ("snoozed", "bot", None)
    assert "journal field total_ms unreadable" in caplog.text
    assert journal.reply_state not in {ReplyState.READY, ReplyState.FAILED}


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "redis"])
@pytest.mark.django_db
async def test_an_answer_is_written_only_while_its_reply_is_pending(embedded):
    store = MemoryHotStore() if embedded else hot_store()
    await store.accept(
        message="i:m1",
        conversation="i:c",
        journal={"message_id": "m1", "reply_state": ReplyState.PENDING, "text": "kept"},
        prices_key="p",
    )
    ready = {"reply_state": ReplyState.READY}
    assert await store.transition("i:m1", {ReplyState.PENDING}, reply_text="one", **ready)
    assert not await store.transition("i:m1", {ReplyState.PENDING}, reply_text="two", **ready)
    journal = await store.journal("i:m1")
    assert (journal.reply_text, journal.reply_state, journal.text) == ("one", "ready", "kept")
    # A journal that is gone (expired) is never brought back by a transition.
    assert not await store.transition("i:gone", {ReplyState.UNDECIDED}, **ready)
    assert await store.journal("i:gone") is None


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "redis"])
@pytest.mark.django_db
async def test_a_journal_stored_with_its_reply_settled_keeps_only_that_state(embedded):
    store = MemoryHotStore() if embedded else hot_store()
    for message in ("i:m1", "i:m2"):
        await store.accept(
            message=message,
            conversation="i:c",
            journal={"message_id": message[2:], "phone": "79001234567", "text": "Болит зуб"},
            prices_key="p",
        )
    await store.journal_update("i:m1", reply_state=ReplyState.SENT, reply_text="Ой")
    await store.mark_flushed({"i:m1": "sent", "i:m2": "pending"}, final={"sent"})
    assert await store.journal("i:m1") is None  # nothing left to read but its reply's state
    assert (await store.journal("i:m2")).text == "Болит зуб"  # still waiting: whole
    assert await store.unstored_before(time.time() + 1, 10) == ["i:m2"]
    # A late update neither brings it back nor makes a stray journal of one that expired.
    await store.journal_update("i:m1", reply_detail="late")
    await store.journal_update("i:gone", reply_detail="late")
    assert await store.journal("i:m1") is None
    assert await store.journal("i:gone") is None
    if not embedded:
        assert set(await store.redis.hkeys("cb:j:i:m1")) == {b"reply_state", b"stored_state"}
        assert not await store.redis.exists("cb:j:i:gone")


@pytest.mark.parametrize("embedded", [True, False], ids=["embedded", "redis"])
@pytest.mark.django_db
async def test_marking_a_journal_that_expired_meanwhile_leaves_nothing_behind(embedded):
    """Stage B read it, then it expired before its state was recorded: no stray hash, which
    would outlive every TTL and answer a new message with that id as already seen."""
    store = MemoryHotStore() if embedded else hot_store()
    await store.mark_flushed({"i:expired": "pending"}, final={"sent"})
    assert await store.journal("i:expired") is None
    if not embedded:
        assert not await store.redis.exists("cb:j:i:expired")
