"""Time understand() + price lookup per message over the labelled set, on a warm index.

    .venv/bin/python bench/nlu_bench.py [--rounds N]

Pure Python: imports only the language layer and the price list, no Django setup.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

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
    texts = [json.loads(line)["text"] for line in LABELLED.open(encoding="utf-8") if line.strip()]
    catalog = PriceIndex.from_clinic_file(SMILE_DENTAL_CLINIC)
    for text in texts:  # warm up: stemmer caches, lazy tables
        handle(text, catalog)
    timings: list[int] = []
    for _ in range(args.rounds):
        for text in texts:
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
