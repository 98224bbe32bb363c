"""What a message means after the one before it, and how many of a service it asks about.

The conversation's topic (the intent and services of its last message, kept in the session
state the fast lane already reads) lets a short follow-up lean on it: after a price answer about
a crown, "а если два?" asks the price of two crowns, "and a cleaning?" the price of a cleaning,
"ok" only says "noted" (it books nothing; an explicit yes still does), and after "cancel it?"
"yes, cancel" confirms.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from nlu.intents import CueKind, Intent
from nlu.lexicon import LEXICONS
from nlu.lexicon.context_words import (
    AGE_BEFORE,
    AGE_WORDS,
    DAY_BEFORE,
    EXTRACTION_VERBS,
    MAX_COUNT,
    NOT_A_COUNT_BEFORE,
    NUMBERS,
    YES_WORDS,
)
from nlu.text import HEBREW_PREFIXES, normalize, tokenize
from nlu.when import names_a_day_or_time

if TYPE_CHECKING:
    from nlu.catalog import PriceIndex
    from nlu.router import Reading, Understanding

# A follow-up is short: "and for 2?", "ומה עם כתר?", "e se forem dois?". A longer message says
# enough to be read on its own.
FOLLOW_UP_MAX_TOKENS = 10
# A follow-up may carry a few words nothing explains ("after that", "of them").
FOLLOW_UP_MAX_UNEXPLAINED = 3
# Cues a price follow-up may carry besides its service or count: a "no" to the offer before it
# ("nah, and a cleaning?"), a "yes", small talk, and words that say nothing.
_FOLLOW_UP_CUES = frozenset(
    {
        Intent.CONFIRM,
        Intent.DECLINE,
        Intent.THANKS,
        Intent.GREETING,
        Intent.PRICE_QUERY,
        CueKind.NEUTRAL,
        # "а если двое детей?" after a child's check-up: the children, the doctor are who
        # it is for, not a question for the LLM lane.
        CueKind.SOFT_BLOCK,
    }
)
_YES_WORDS = {
    language: frozenset(tokenize(normalize(words))) for language, words in YES_WORDS.items()
}
# Words after an hour ("утра", "am"), by language.
_HOUR_WORDS = {language: frozenset(lexicon.hour_suffixes) for language, lexicon in LEXICONS.items()}
# Number words of the message's language, then of any: "e se forem dois?" may read as Spanish.
_ANY_NUMBER = {word: n for numbers in NUMBERS.values() for word, n in numbers.items()}
_NUMBERS = {language: _ANY_NUMBER | numbers for language, numbers in NUMBERS.items()}
# The request a "yes" to the last message makes again ("да, отменяйте" after "cancel it?"): it
# confirms that request. After a price answer, "yes, book me" books the service offered.
_CONFIRMED_BY = {
    Intent.PRICE_QUERY: Intent.BOOK,
    Intent.BOOK: Intent.BOOK,
    Intent.CANCEL: Intent.CANCEL,
    Intent.RESCHEDULE: Intent.RESCHEDULE,
}


@dataclass(frozen=True, slots=True)
class Topic:
    """What the conversation was last about: its last message's intent and services."""

    intent: str
    service_codes: tuple[str, ...] = ()

    def encode(self) -> str:
        """As the session stores it: "price_query crown"."""
        return " ".join((self.intent, *self.service_codes))

    @classmethod
    def decode(cls, value: str | None) -> Topic | None:
        if not value:
            return None
        intent, *codes = value.split()
        return cls(intent, tuple(codes))


def next_topic(u: Understanding, previous: Topic | None) -> Topic | None:
    """The topic after this message: its own; the one before after small talk ("thanks", "ok",
    "hi": a question after them still leans on the price before); none after a message the
    fast lane did not understand."""
    if u.intent in (Intent.THANKS, Intent.GREETING):
        return previous
    if u.intent == Intent.OTHER:
        return None
    return u.topic


def count_in(tokens: list[str], language: str) -> int | None:
    """How many of something the message names ("3 пломбы", "two implants"), when it names one
    count; None when it names none, or several different ones."""
    numbers = _NUMBERS.get(language, _ANY_NUMBER)
    counts = set()
    hebrew = language == "he"
    for i, token in enumerate(tokens):
        if not (token.isdigit() or token in numbers or (hebrew and token[0] in HEBREW_PREFIXES)):
            continue  # most words: no number at all
        count = _count_of(token, numbers, language)
        if count is None or not 2 <= count <= MAX_COUNT:
            continue
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        before = tokens[i - 1] if i else ""
        if after in AGE_WORDS or before in AGE_BEFORE:
            continue  # "ребенку 5 лет", "she's 6": an age
        if before in DAY_BEFORE:
            continue  # "ביום שני": on Monday
        if token.isdigit() and after in NOT_A_COUNT_BEFORE:
            continue  # "how much 4 a crown"
        if after in _HOUR_WORDS.get(language, ()):
            continue  # "в 9 утра", "at 9 am": a time
        counts.add(count)
    return counts.pop() if len(counts) == 1 else None


def _count_of(token: str, numbers: dict[str, int], language: str) -> int | None:
    if token.isdigit():
        return int(token) if len(token) <= 2 else None
    count = numbers.get(token)
    if count is None and language == "he" and token[0] in HEBREW_PREFIXES:
        # "ל2 עקירות", "לשלושת הילדים": a preposition glued to the number
        rest = token[1:]
        count = int(rest) if rest.isdigit() and len(rest) <= 2 else numbers.get(rest)
    return count


def by_its_verb(u: Understanding, reading: Reading, catalog: PriceIndex | None) -> Understanding:
    """ "cuanto cuesta sacarla?", "quanto custa tirar?": a price asked of nothing but an
    extraction's verb is the extraction's price."""
    if u.service_codes or u.intent not in (Intent.PRICE_QUERY, Intent.OTHER):
        return u
    if EXTRACTION_VERBS.isdisjoint(reading.tokens):
        return u
    if not _cued(reading, Intent.PRICE_QUERY) or any(c.intent in _ASIDE for c in reading.cues):
        return u
    if not all(t in EXTRACTION_VERBS for t in reading.leftover):
        return u
    services = _extraction_by_its_verb(reading, catalog)
    return replace(u, intent=Intent.PRICE_QUERY, service_codes=services) if services else u


# Cues that send a message to the LLM lane whatever else it says.
_ASIDE = frozenset({CueKind.BLOCK})


def with_quantity(u: Understanding, reading: Reading) -> Understanding:
    """A price question about one service, with how many of it were asked about."""
    if u.intent != Intent.PRICE_QUERY or len(u.service_codes) != 1:
        return u
    count = count_in(reading.tokens, reading.language)
    return replace(u, quantity=count) if count else u


def in_context(
    u: Understanding,
    reading: Reading,
    text: str,
    topic: Topic | None,
    catalog: PriceIndex | None = None,
) -> Understanding:
    """The message read after the conversation's last one."""
    if topic is None:
        return u
    if u.intent == _CONFIRMED_BY.get(topic.intent) and _only_confirms(reading, text):
        return replace(u, intent=Intent.CONFIRM, service_codes=())
    if topic.intent != Intent.PRICE_QUERY:
        return u
    if u.intent == Intent.CONFIRM and not _says_yes(reading):
        return replace(u, intent=Intent.THANKS)  # "ok", "понятно, подумаю": noted, not booked
    if u.intent == Intent.DECLINE and _cued(reading, Intent.THANKS):
        return replace(u, intent=Intent.THANKS)  # "no that's all, thanks"
    if u.intent == Intent.PRICE_QUERY and u.service_codes:
        return u
    if not _may_follow_up(reading):
        return u
    services = reading.service_codes or _extraction_by_its_verb(reading, catalog)
    if services:  # "and a crown after that?", "E uma destartarização?", "y sacarla?"
        asked = replace(u, intent=Intent.PRICE_QUERY, service_codes=services)
        return with_quantity(asked, reading)
    if u.intent in (Intent.CONFIRM, Intent.DECLINE) and names_a_day_or_time(text, u.language):
        return u  # "да, в 9 утра": a yes with the time it suits, not nine of anything
    count = count_in(reading.tokens, reading.language)
    if count and len(topic.service_codes) == 1:  # "а если два?", "what about 3 of them?"
        return replace(
            u, intent=Intent.PRICE_QUERY, service_codes=topic.service_codes, quantity=count
        )
    return u


def _extraction_by_its_verb(reading: Reading, catalog: PriceIndex | None) -> tuple[str, ...]:
    if catalog is None or EXTRACTION_VERBS.isdisjoint(reading.tokens):
        return ()
    return tuple(entry.code for entry in catalog.find(["extraction"], "en"))[:1]


def _may_follow_up(reading: Reading) -> bool:
    if len(reading.tokens) > FOLLOW_UP_MAX_TOKENS:
        return False
    if len(reading.leftover) > FOLLOW_UP_MAX_UNEXPLAINED:
        return False
    if reading.asks_whether():
        return False  # "Can I whiten my teeth if I have crowns?": a question of its own
    return all(cue.intent in _FOLLOW_UP_CUES for cue in reading.cues)


def _only_confirms(reading: Reading, text: str) -> bool:
    """A yes that repeats the request ("да, отменяйте", "sim pode marcar"), naming nothing new:
    no service, no day or time (those make it a request of its own)."""
    if not _cued(reading, Intent.CONFIRM) or reading.service_codes:
        return False
    return not names_a_day_or_time(text, reading.language)


def _cued(reading: Reading, intent: str) -> bool:
    return any(cue.intent == intent for cue in reading.cues)


def _says_yes(reading: Reading) -> bool:
    words = _YES_WORDS.get(reading.language, frozenset())
    return not words.isdisjoint(reading.tokens)
