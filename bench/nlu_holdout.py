"""Score understand() on the blind holdout sets (nlu/tests/data/holdout_blind*.jsonl).

    .venv/bin/python -m bench.nlu_holdout [FILE ...]     (default: every holdout)

The holdout was written without looking at the language layer. A message is *right* when the
intent matches and, for a price question, the first service code matches the label (``null``
means "no known service": the router must return no service code). A *wrong fast answer* is a
message the router answered itself (intent != "other") with the wrong intent or service.
Bars: >= 97% right, <= 1% wrong fast answers. Pure Python, no Django setup.

Holdouts 1-3 are labelled against the tests' copy of the shared demo clinic (7 services);
holdout 4 against conversations/demo/smile-dental.json (10: also crown, root canal and a
children's check-up), so each is scored against the price list it was written for.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlu import understand  # noqa: E402
from nlu.catalog import PriceIndex  # noqa: E402
from nlu.tests.test_nlu_accuracy import SMILE_DENTAL_CLINIC  # noqa: E402

HOLDOUT = ROOT / "nlu" / "tests" / "data" / "holdout_blind.jsonl"
HOLDOUTS = tuple(
    HOLDOUT.with_name(name)
    for name in (
        "holdout_blind.jsonl",
        "holdout_blind2.jsonl",
        "holdout_blind3.jsonl",
        "holdout_blind4.jsonl",
    )
)
DEMO_CLINIC_FILE = ROOT / "conversations" / "demo" / "smile-dental.json"
# Holdouts written against the demo clinic file rather than the tests' clinic.
_DEMO_CLINIC_HOLDOUTS = frozenset({"holdout_blind4.jsonl"})
LANGUAGE_ORDER = ("ru", "en", "es", "pt", "uk", "he")
MIN_RIGHT = 0.97
MAX_WRONG_FAST = 0.01


@dataclass
class Outcome:
    row: dict
    intent: str
    service: str | None
    language: str
    right: bool
    wrong_fast: bool


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    def subset(self, language: str | None) -> list[Outcome]:
        if language is None:
            return self.outcomes
        return [o for o in self.outcomes if o.row["language"] == language]

    @property
    def right_rate(self) -> float:
        return sum(o.right for o in self.outcomes) / len(self.outcomes)

    @property
    def wrong_fast_rate(self) -> float:
        return sum(o.wrong_fast for o in self.outcomes) / len(self.outcomes)

    @property
    def misses(self) -> list[Outcome]:
        return [o for o in self.outcomes if not o.right]

    def table(self) -> str:
        lines = [f"{'lang':<8}{'n':>4}{'right':>9}{'wrong-fast':>12}{'lang-id':>9}"]
        languages = [lang for lang in LANGUAGE_ORDER if self.subset(lang)]
        for lang in [*languages, None]:
            rows = self.subset(lang)
            n = len(rows)
            right = sum(o.right for o in rows) / n
            wrong_fast = sum(o.wrong_fast for o in rows) / n
            lang_ok = sum(o.language == o.row["language"] for o in rows) / n
            lines.append(
                f"{lang or 'overall':<8}{n:>4}{right:>9.1%}{wrong_fast:>12.1%}{lang_ok:>9.1%}"
            )
        return "\n".join(lines)

    def miss_list(self) -> str:
        lines = []
        for o in self.misses:
            r = o.row
            flag = "WRONG-FAST" if o.wrong_fast else "to-llm"
            lines.append(
                f"[{r['language']}] {flag:<10} {r['text']!r}\n"
                f"      expected {r['intent']}/{r['service']}  got {o.intent}/{o.service}"
                f"  (lang {o.language})"
            )
        return "\n".join(lines)

    def report(self) -> str:
        return f"{self.table()}\n\nmisses ({len(self.misses)}):\n{self.miss_list()}"


def load_holdout(path: Path = HOLDOUT) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def catalog_for(path: Path) -> PriceIndex:
    """The price list the holdout at path was labelled against."""
    if path.name in _DEMO_CLINIC_HOLDOUTS:
        return PriceIndex.from_clinic_file(json.loads(DEMO_CLINIC_FILE.read_text("utf-8")))
    return PriceIndex.from_clinic_file(SMILE_DENTAL_CLINIC)


def score_file(path: Path) -> Score:
    return score(load_holdout(path), catalog_for(path))


def score(rows: list[dict], catalog: PriceIndex | None = None) -> Score:
    catalog = catalog or PriceIndex.from_clinic_file(SMILE_DENTAL_CLINIC)
    result = Score()
    for row in rows:
        u = understand(row["text"], catalog=catalog, default_language="ru")
        codes = list(u.service_codes)
        service = codes[0] if codes else None
        right = u.intent == row["intent"]
        if row["intent"] == "price_query":
            right = right and service == row["service"]
        wrong_fast = u.intent != "other" and not right
        result.outcomes.append(Outcome(row, u.intent, service, u.language, right, wrong_fast))
    return result


def main(argv: list[str]) -> int:
    paths = [Path(arg) for arg in argv] or list(HOLDOUTS)
    failed = 0
    for path in paths:
        result = score_file(path)
        ok = result.right_rate >= MIN_RIGHT and result.wrong_fast_rate <= MAX_WRONG_FAST
        failed += not ok
        print(f"== {path.name}\n{result.report()}")
        print(
            f"bars: right >= {MIN_RIGHT:.0%}, wrong-fast <= {MAX_WRONG_FAST:.0%}: "
            f"{'PASS' if ok else 'FAIL'}\n"
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
