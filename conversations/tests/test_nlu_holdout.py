"""The blind holdouts: patient messages written by people who never saw the language layer.

Bars: at least 97% get the right intent (and, for a price question, the right first service),
at most 1% get a fast-lane answer (intent != "other") that is wrong. Scoring lives in
bench/nlu_holdout.py, which prints the same table and the list of misses.

- holdout_blind.jsonl (240): blind when first measured (95.4% right, 1.7% wrong-fast); the
  router's general fixes were then made with its misses in view, so it is now a regression set.
- holdout_blind2.jsonl (300): blind when first measured after those fixes: 94.7% right, 1.7%
  wrong-fast; then spent the same way (round 3 fixed its misses' general causes).
- holdout_blind3.jsonl (300): blind when first measured after round 3: 95.0% right, 1.3%
  wrong-fast (2026-11-22). It stays an expected failure until a fresh blind set passes the bars.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.nlu_holdout import (
    HOLDOUT,
    LANGUAGE_ORDER,
    MAX_WRONG_FAST,
    MIN_RIGHT,
    load_holdout,
    score,
)
from conversations.nlu import INTENTS
from conversations.tests.test_nlu_accuracy import SMILE_DENTAL_CLINIC

SERVICE_CODES = {s["code"] for s in SMILE_DENTAL_CLINIC["services"]}


def test_holdout_file_is_well_formed():
    rows = load_holdout()
    assert len(rows) == 240
    assert Counter(r["language"] for r in rows) == dict.fromkeys(LANGUAGE_ORDER, 40)
    assert len({r["text"] for r in rows}) == len(rows)
    for row in rows:
        assert set(row) == {"text", "language", "intent", "service", "note"}, row
        assert row["intent"] in INTENTS, row
        if row["intent"] == "price_query":
            assert row["service"] is None or row["service"] in SERVICE_CODES, row
        else:
            assert row["service"] is None, row


SECOND_HOLDOUT = HOLDOUT.with_name("holdout_blind2.jsonl")


def test_the_first_holdout_now_meets_the_bars():
    _assert_meets_the_bars(load_holdout())


THIRD_HOLDOUT = HOLDOUT.with_name("holdout_blind3.jsonl")


def test_the_second_holdout_now_meets_the_bars():
    _assert_meets_the_bars(load_holdout(SECOND_HOLDOUT))


@pytest.mark.xfail(strict=False, reason="blind: 95.0% right, 1.3% wrong-fast when first measured")
def test_the_third_blind_holdout_meets_the_bars():
    _assert_meets_the_bars(load_holdout(THIRD_HOLDOUT))


def _assert_meets_the_bars(rows: list[dict]) -> None:
    result = score(rows)
    report = result.report()
    print(report)
    assert result.right_rate >= MIN_RIGHT, f"right {result.right_rate:.1%} < 97%\n{report}"
    assert result.wrong_fast_rate <= MAX_WRONG_FAST, (
        f"wrong fast answers {result.wrong_fast_rate:.1%} > 1%\n{report}"
    )
