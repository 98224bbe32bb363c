"""The benchmark's own arithmetic, on synthetic data: no servers, no database."""

import asyncio
import math

import pytest

from bench.loadgen import _read_body, build_request
from bench.webhook_bench import Sent, match_replies, percentile, schedule_lag_ms


def sent(phone, start_ms, *, kind="new", answer="accepted", status=200, phase="measured"):
    return Sent(
        kind=kind,
        phone=phone,
        message_id=f"id-{phone}-{start_ms}",
        text="hi",
        expected="hello" if kind == "new" else "",
        phase=phase,
        start_ns=int(start_ms * 1e6),
        status=status,
        answer=answer,
    )


def reply(phone, at_ms, text="hello"):
    return {"number": phone, "text": text, "monotonic_ns": int(at_ms * 1e6)}


class TestPercentile:
    def test_nearest_rank(self):
        values = list(range(1, 101))  # 1..100
        assert percentile(values, 0.50) == 50
        assert percentile(values, 0.95) == 95
        assert percentile(values, 0.99) == 99
        assert percentile(values, 1.0) == 100

    def test_unsorted_and_small(self):
        assert percentile([3.0, 1.0, 2.0], 0.5) == 2.0
        assert percentile([7.0], 0.99) == 7.0
        assert percentile([1.0, 2.0], 0.0) == 1.0

    def test_empty_is_nan(self):
        assert math.isnan(percentile([], 0.5))


class TestMatching:
    def test_one_reply_per_message_gives_latencies(self):
        records = [sent("1", 0), sent("1", 100), sent("2", 50)]
        sends = [reply("1", 4), reply("2", 53), reply("1", 106)]
        m = match_replies(records, sends)
        assert (m.duplicates, m.lost, m.wrong_text) == (0, 0, 0)
        assert sorted(m.latencies_ms["measured"]) == [3.0, 4.0, 6.0]

    def test_a_missing_reply_is_lost(self):
        m = match_replies([sent("1", 0), sent("1", 100)], [reply("1", 5)])
        assert (m.lost, m.duplicates) == (1, 0)
        assert m.latencies_ms["measured"] == [5.0]

    def test_an_extra_reply_is_a_duplicate(self):
        records = [sent("1", 0), sent("1", 300, kind="redelivery", answer="duplicate")]
        m = match_replies(records, [reply("1", 5), reply("1", 305)])
        assert (m.duplicates, m.lost, m.redelivery_accepted) == (1, 0, 0)

    def test_a_redelivery_answered_accepted_is_reported(self):
        records = [sent("1", 0), sent("1", 300, kind="redelivery", answer="accepted")]
        m = match_replies(records, [reply("1", 5)])
        assert m.redelivery_accepted == 1
        assert (m.accepted, m.lost) == (1, 0)

    def test_the_accepted_redelivery_of_a_refused_message_expects_its_reply(self):
        refused = sent("1", 0, status=503, answer="")
        again = sent("1", 300, kind="redelivery", answer="accepted")
        again.message_id = refused.message_id
        m = match_replies([refused, again], [reply("1", 305)])
        assert (m.duplicates, m.lost, m.wrong_text, m.redelivery_accepted) == (0, 0, 0, 0)
        assert (m.accepted, m.errors) == (1, 1)
        assert m.latencies_ms["measured"] == [5.0]
        assert match_replies([refused, again], []).lost == 1

    def test_a_request_without_answer_may_or_may_not_get_a_reply(self):
        records = [sent("1", 0, status=0, answer=""), sent("1", 100)]
        with_reply = match_replies(records, [reply("1", 50), reply("1", 104)])
        assert (with_reply.duplicates, with_reply.lost, with_reply.errors) == (0, 0, 1)
        assert with_reply.latencies_ms["measured"] == [4.0]
        without = match_replies(records, [reply("1", 104)])
        assert (without.duplicates, without.lost) == (0, 0)

    def test_replies_for_unknown_phones_are_duplicates(self):
        m = match_replies([sent("1", 0)], [reply("1", 2), reply("9", 3)])
        assert m.duplicates == 1

    def test_errors_and_other_answers_are_counted_not_matched(self):
        records = [sent("1", 0, status=503, answer=""), sent("2", 0, answer="ignored")]
        m = match_replies(records, [])
        assert (m.errors, m.not_accepted, m.lost) == (1, 1, 0)
        assert m.statuses == {"503": 1, "200 ignored": 1}

    def test_wrong_text_is_caught(self):
        m = match_replies([sent("1", 0)], [reply("1", 2, text="something else")])
        assert m.wrong_text == 1

    def test_phases_are_kept_apart(self):
        records = [sent("1", 0, phase="warmup"), sent("1", 10)]
        m = match_replies(records, [reply("1", 1), reply("1", 12)])
        assert m.latencies_ms == {"warmup": [1.0], "measured": [2.0]}

    def test_schedule_lag(self):
        record = sent("1", 10)
        record.due_ns = int(8e6)
        assert schedule_lag_ms([record]) == [2.0]


class TestHttp:
    def test_request_bytes(self):
        raw = build_request("POST", "/x", "h:1", b"{}", {"X-A": "b"})
        assert raw == b"POST /x HTTP/1.1\r\nHost: h:1\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}"

    @pytest.mark.parametrize(
        ("head", "rest", "body"),
        [
            (b"HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\n", b"abc", b"abc"),
            (
                b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
                b"2\r\nab\r\n1\r\nc\r\n0\r\n\r\n",
                b"abc",
            ),
        ],
    )
    def test_bodies(self, head, rest, body):
        async def read():
            reader = asyncio.StreamReader()
            reader.feed_data(rest)
            reader.feed_eof()
            return await _read_body(reader, head)

        assert asyncio.run(read()) == body
