import hashlib

from bench import voice_notes as voice
from bench import webhook_bench as wb


def _note(message_id: str, phase: str = "measured") -> wb.Sent:
    return wb.Sent("new", "79900000001", message_id, "Hello!", "Hi", phase, status=200)


def _record(message_id: str, taken_ms: float) -> dict:
    audio = voice.audio_of(message_id, "Hello!")
    return {
        "body": {"file": {"sha256": hashlib.sha256(audio).hexdigest()}},
        "monotonic_ns": 1_000_000_000,
        "answered_monotonic_ns": 1_000_000_000 + int(taken_ms * 1e6),
    }


def test_a_notes_audio_says_its_text_and_is_told_apart_by_its_message_id():
    first, second = voice.audio_of("A1", "Hello!"), voice.audio_of("A2", "Hello!")
    assert len(first) == voice.AUDIO_BYTES
    assert first.split(b"\0", 1)[0] == b"Hello!"
    assert first != second


def test_each_notes_overhead_is_over_its_own_transcription_time():
    matching = wb.Matching(
        paired=[(_note("A1"), 830.0), (_note("A2"), 900.0), (_note("W1", "warmup"), 999.0)]
    )
    service_ms = voice.transcription_ms([_record("A1", 805.0), _record("A2", 860.0)])
    own, nominal = voice.overheads(matching, service_ms)
    assert own == [25.0, 40.0]
    assert nominal == [30.0, 100.0]


def test_a_note_the_fake_has_no_record_of_is_left_out_of_the_judged_figures():
    matching = wb.Matching(paired=[(_note("A1"), 830.0), (_note("A9"), 840.0)])
    own, nominal = voice.overheads(matching, voice.transcription_ms([_record("A1", 800.0)]))
    assert own == [30.0]
    assert len(nominal) == 2
