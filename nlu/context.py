"""What a message means after the one before it, and how many of a service it asks about.

The conversation's topic (the intent and services of its last message, kept in the session
state the fast lane already reads) lets a short follow-up lean on it: after a price answer about
a crown, "а если два?" asks the price of two crowns, "and a cleaning?" the price of a cleaning,
and "ok" only says "noted" (it books nothing; an explicit yes still does).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from nlu.intents import CueKind, Intent
from nlu.lexicon import UNIVERSAL_EMOJI, UNIVERSAL_WORDS
from nlu.lexicon.followups import ACKNOWLEDGEMENTS, AGE_WORDS, MAX_COUNT, NUMBERS
from nlu.text import normalize, tokenize

if TYPE_CHECKING:
    from nlu.router import Reading, Understanding

# A follow-up is short: "and for 2?", "ומה עם כתר?", "e se forem dois?". A longer message says
# enough to be read on its own.
FOLLOW_UP_MAX_TOKENS = 6
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
    }
)
_ACKNOWLEDGEMENT_WORDS = {
    language: frozenset(tokenize(normalize(words)))
    | {w for w, (i, _) in UNIVERSAL_WORDS.items() if i == Intent.CONFIRM}
    for language, words in ACKNOWLEDGEMENTS.items()
}
_ACKNOWLEDGEMENT_EMOJI = frozenset(e for e, i in UNIVERSAL_EMOJI.items() if i == Intent.CONFIRM)


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


def count_in(tokens: list[str], language: str) -> int | None:
    """How many of something the message names ("3 пломбы", "two implants"), when it names one
    count; None when it names none, or several different ones."""
    numbers = NUMBERS.get(language, {})
    counts = set()
    for i, token in enumerate(tokens):
        count = int(token) if token.isdigit() and len(token) <= 2 else numbers.get(token)
        if count is None or not 2 <= count <= MAX_COUNT:
            continue
        if i + 1 < len(tokens) and tokens[i + 1] in AGE_WORDS:
            continue  # "ребенку 5 лет": an age
        counts.add(count)
    return counts.pop() if len(counts) == 1 else None


def with_quantity(u: Understanding, reading: Reading) -> Understanding:
    """A price question about one service, with how many of it were asked about."""
    if u.intent != Intent.PRICE_QUERY or len(u.service_codes) != 1:
        return u
    count = count_in(reading.tokens, reading.language)
    return replace(u, quantity=count) if count else u


def in_context(u: Understanding, reading: Reading, text: str, topic: Topic | None) -> Understanding:
    """The message read after the conversation's last one."""
    if topic is None or topic.intent != Intent.PRICE_QUERY:
        return u
    if u.intent == Intent.CONFIRM and _only_acknowledges(reading, text):
        return replace(u, intent=Intent.THANKS)
    if u.intent == Intent.PRICE_QUERY and u.service_codes:
        return u
    if not _may_follow_up(reading):
        return u
    if reading.service_codes:  # "and a crown after that?", "E uma destartarização?"
        asked = replace(u, intent=Intent.PRICE_QUERY, service_codes=reading.service_codes)
        return with_quantity(asked, reading)
    count = count_in(reading.tokens, reading.language)
    if count and len(topic.service_codes) == 1:  # "а если два?", "what about 3 of them?"
        return replace(
            u, intent=Intent.PRICE_QUERY, service_codes=topic.service_codes, quantity=count
        )
    return u


def _may_follow_up(reading: Reading) -> bool:
    if len(reading.tokens) > FOLLOW_UP_MAX_TOKENS:
        return False
    if len(reading.leftover) > FOLLOW_UP_MAX_UNEXPLAINED:
        return False
    return all(cue.intent in _FOLLOW_UP_CUES for cue in reading.cues)


def _only_acknowledges(reading: Reading, text: str) -> bool:
    words = _ACKNOWLEDGEMENT_WORDS.get(reading.language, frozenset())
    if reading.tokens:
        return all(token in words for token in reading.tokens)
    return any(emoji in text for emoji in _ACKNOWLEDGEMENT_EMOJI)
