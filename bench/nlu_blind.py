"""Score the language layer on a blind set of messages and dialogues written as patients type.

    .venv/bin/python -m bench.nlu_blind [DIR]      (default: nlu/tests/data/blind5)

A set is a directory of `<lang>_messages.jsonl` (one message per line: text, language, intent,
service, quantity, also, note) and `<lang>_dialogues.jsonl` (one dialogue per line: id, language,
turns, each a labelled message). It is scored against the demo clinic's price list
(conversations/demo/smile-dental.json), as it was written.

A message is *right* when the intent matches; for a price question the first service and the
quantity too; for a message with two questions (`also`), the second one is answered as well. A
*wrong fast answer* is one the fast lane gave (intent != "other") that is not right for another
reason than the quantity: a wrong intent or service, or half of a two-part question. Of two
questions, a price and the address are both answered by the fast lane; a request for a person
takes both to staff; any other pair (a price and a booking) belongs to the LLM lane whole. The reply
language is scored apart. A dialogue's turn is understood with the conversation's topic (the
intent and services of the turn before, as the session holds them); a day or a time that the
language layer leaves to others counts as right where the booking dialogue is open, since the
booking lane reads it (conversations.decide).
"""

from __future__ import annotations

import inspect
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from nlu import understand  # noqa: E402
from nlu.catalog import PriceIndex  # noqa: E402
from nlu.context import next_topic  # noqa: E402
from nlu.when import names_a_day_or_time  # noqa: E402

BLIND_SET = ROOT / "nlu" / "tests" / "data" / "blind5"
DEMO_CLINIC_FILE = ROOT / "conversations" / "demo" / "smile-dental.json"
LANGUAGE_ORDER = ("ru", "en", "es", "pt", "uk", "he")
# The clinic's default language, which a message that tells nothing is answered in.
DEFAULT_LANGUAGE = "he"
# Intents whose next turns the booking dialogue reads (it asks for a day, a time, a yes).
_OPENS_BOOKING = frozenset({"book", "reschedule"})
_BOOKING_ANSWERS = frozenset({"book", "reschedule", "confirm"})
_FAST_QUESTIONS = frozenset({"price_query", "clinic_info"})


@dataclass
class Outcome:
    row: dict
    intent: str
    service: str | None
    quantity: int | None
    also: tuple[str, ...]
    language: str
    right: bool
    wrong_fast: bool

    @property
    def language_right(self) -> bool:
        return self.language == self.row["language"]


@dataclass
class Score:
    outcomes: list[Outcome] = field(default_factory=list)

    def subset(self, language: str | None) -> list[Outcome]:
        return [o for o in self.outcomes if language is None or o.row["language"] == language]

    def rate(self, attribute: str, language: str | None = None) -> float:
        rows = self.subset(language)
        return sum(getattr(o, attribute) for o in rows) / len(rows) if rows else 0.0

    def table(self, title: str) -> str:
        lines = [f"{title:<10}{'n':>5}{'right':>9}{'wrong-fast':>12}{'reply-lang':>12}"]
        for language in [*(lang for lang in LANGUAGE_ORDER if self.subset(lang)), None]:
            lines.append(
                f"{language or 'overall':<10}{len(self.subset(language)):>5}"
                f"{self.rate('right', language):>9.1%}"
                f"{self.rate('wrong_fast', language):>12.1%}"
                f"{self.rate('language_right', language):>12.1%}"
            )
        return "\n".join(lines)

    def misses(self) -> str:
        lines = []
        for o in self.outcomes:
            if o.right and o.language_right:
                continue
            r = o.row
            flag = "WRONG-FAST" if o.wrong_fast else ("to-llm" if not o.right else "LANGUAGE")
            lines.append(
                f"[{r['language']}] {flag:<10} {r['text']!r}\n"
                f"      expected {r['intent']}/{r.get('service')}/{r.get('quantity')}"
                f"/{r.get('also')}  got {o.intent}/{o.service}/{o.quantity}/{list(o.also)}"
                f"  (lang {o.language})"
            )
        return "\n".join(lines)


def demo_catalog() -> PriceIndex:
    return PriceIndex.from_clinic_file(json.loads(DEMO_CLINIC_FILE.read_text("utf-8")))


def load(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def messages(directory: Path = BLIND_SET) -> list[dict]:
    return [row for lang in LANGUAGE_ORDER for row in load(directory / f"{lang}_messages.jsonl")]


def dialogues(directory: Path = BLIND_SET) -> list[dict]:
    return [d for lang in LANGUAGE_ORDER for d in load(directory / f"{lang}_dialogues.jsonl")]


_TAKES_A_TOPIC = "topic" in inspect.signature(understand).parameters


def _understand(text: str, catalog: PriceIndex, language: str | None, topic):
    extra = {"topic": topic} if _TAKES_A_TOPIC else {}
    return understand(
        text,
        catalog=catalog,
        conversation_language=language,
        default_language=DEFAULT_LANGUAGE,
        **extra,
    )


def judge(row: dict, u, *, booking_open: bool = False) -> Outcome:
    service = u.service_codes[0] if u.service_codes else None
    quantity = getattr(u, "quantity", None)
    also = tuple(getattr(u, "also", ()))
    if row.get("also"):
        right = _two_questions_right(row, u, service, also)
        wrong_fast = u.intent != "other" and not right
        return Outcome(row, u.intent, service, quantity, also, u.language, right, wrong_fast)
    intent_right = u.intent == row["intent"]
    if row["intent"] == "price_query":
        intent_right = intent_right and service == row.get("service")
    also_right = not also
    right = intent_right and also_right and quantity == row.get("quantity")
    if not right and booking_open and row["intent"] in _BOOKING_ANSWERS and u.intent == "other":
        right = names_a_day_or_time(row["text"], u.language)
    wrong_fast = u.intent != "other" and not (intent_right and also_right)
    return Outcome(row, u.intent, service, quantity, also, u.language, right, wrong_fast)


def _two_questions_right(row: dict, u, service: str | None, also: tuple[str, ...]) -> bool:
    """Two questions the fast lane answers (a price, the address) are both answered; a request
    for a person is one (the person answers both); any other pair goes to the LLM lane whole."""
    asked = {row["intent"], row["also"]}
    if asked <= _FAST_QUESTIONS:
        expected = row.get("service")
        named_right = service == expected or (expected is None and row["intent"] != "price_query")
        return {u.intent, *also} == asked and named_right
    if "human" in asked:
        return u.intent in ("human", "other")
    return u.intent == "other"


def score_messages(rows: list[dict], catalog: PriceIndex) -> Score:
    result = Score()
    for row in rows:
        result.outcomes.append(judge(row, _understand(row["text"], catalog, None, None)))
    return result


def score_dialogues(rows: list[dict], catalog: PriceIndex) -> Score:
    """Each turn with the conversation as the session holds it after the turns before."""
    result = Score()
    for dialogue in rows:
        language, topic, booking_open = None, None, False
        for turn in dialogue["turns"]:
            row = turn | {"language": dialogue["language"]}
            topic_before = topic
            u = _understand(turn["text"], catalog, language, topic)
            result.outcomes.append(judge(row, u, booking_open=booking_open))
            language = u.language
            topic = next_topic(u, topic) if _TAKES_A_TOPIC else None
            # A yes to a price answer's "would you like to book?" opens the dialogue too.
            offered = topic_before is not None and topic_before.intent == "price_query"
            booking_open = booking_open or u.intent in _OPENS_BOOKING
            booking_open = booking_open or (u.intent == "confirm" and offered)
    return result


def main(argv: list[str]) -> int:
    paths = [arg for arg in argv if not arg.startswith("-")]
    directory = Path(paths[0]) if paths else BLIND_SET
    catalog = demo_catalog()
    singles = score_messages(messages(directory), catalog)
    turns = score_dialogues(dialogues(directory), catalog)
    print(singles.table("messages"))
    print()
    print(turns.table("turns"))
    if "-v" in argv or "--misses" in argv:
        print("\nmessage misses:\n" + singles.misses())
        print("\ndialogue turn misses:\n" + turns.misses())
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
