"""Time understand() + price lookup per message over the labelled set and the fifth blind set
(messages and dialogue turns as patients type them: stretched letters, Latin-letter Russian,
Ukrainian and Hebrew, which take the slower readings), each against the price list it was
written for, on a warm index.

    .venv/bin/python bench/nlu_bench.py [--rounds N]

Pure Python: imports only the language layer and the price list, no Django setup.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.nlu_blind import demo_catalog, dialogues, load, messages  # noqa: E402
from nlu import understand  # noqa: E402
from nlu.catalog import PriceIndex  # noqa: E402
from nlu.tests.test_nlu_accuracy import SMILE_DENTAL_CLINIC  # noqa: E402

LABELLED = ROOT / "nlu" / "tests" / "data" / "labelled_messages.jsonl"
BUDGET_MS = 0.2


def handle(text: str, catalog: PriceIndex) -> None:
    u = understand(text, catalog=catalog, default_language="ru")
    for code in u.service_codes:
        catalog.get(code)


def percentile(sorted_values: list[int], fraction: float) -> int:
    return sorted_values[min(len(sorted_values) - 1, int(fraction * len(sorted_values)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=50)
    args = parser.parse_args()
    labelled = PriceIndex.from_clinic_file(SMILE_DENTAL_CLINIC)
    texts = [(row["text"], labelled) for row in load(LABELLED)]
    demo = demo_catalog()
    texts += [(row["text"], demo) for row in messages()]
    texts += [(turn["text"], demo) for dialogue in dialogues() for turn in dialogue["turns"]]
    for text, catalog in texts:  # warm up: stemmer caches, lazy tables
        handle(text, catalog)
    timings: list[int] = []
    for _ in range(args.rounds):
        for text, catalog in texts:
            start = time.perf_counter_ns()
            handle(text, catalog)
            timings.append(time.perf_counter_ns() - start)
    timings.sort()
    p50, p99 = percentile(timings, 0.50) / 1e6, percentile(timings, 0.99) / 1e6
    print(
        f"{len(texts)} messages x {args.rounds} rounds: p50 {p50:.4f} ms, p99 {p99:.4f} ms, "
        f"max {timings[-1] / 1e6:.4f} ms, mean {statistics.fmean(timings) / 1e6:.4f} ms "
        f"(budget p99 {BUDGET_MS} ms)"
    )
    return 0 if p99 <= BUDGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
