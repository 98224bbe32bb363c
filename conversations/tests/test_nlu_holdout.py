"""The blind holdout: 240 patient messages written without looking at the language layer.

Bars: at least 97% get the right intent (and, for a price question, the right first service),
at most 1% get a fast-lane answer (intent != "other") that is wrong. Scoring lives in
bench/nlu_holdout.py, which prints the same table and the list of misses.
"""

from __future__ import annotations

from collections import Counter

import pytest

from bench.nlu_holdout import (
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


@pytest.mark.xfail(strict=False, reason="blind holdout, see report")
def test_blind_holdout_meets_the_bars():
    result = score(load_holdout())
    report = result.report()
    print(report)
    assert result.right_rate >= MIN_RIGHT, f"right {result.right_rate:.1%} < 97%\n{report}"
    assert result.wrong_fast_rate <= MAX_WRONG_FAST, (
        f"wrong fast answers {result.wrong_fast_rate:.1%} > 1%\n{report}"
    )
