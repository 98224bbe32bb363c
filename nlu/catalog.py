"""The clinic's price list held in memory: services, their names in every language, prices.

Pure Python (no Django). The index is built once per price list; per message, finding services is
a handful of dict lookups over stemmed tokens.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache

from babel import Locale
from babel.numbers import format_currency, get_currency_symbol
from rapidfuzz import fuzz, process

from nlu.lexicon.services import (
    GENERIC_SERVICE_WORDS,
    SERVICE_STOPWORDS,
    SERVICE_SYNONYMS,
)
from nlu.text import fold_ukrainian, normalize, script_of, stem, tokenize

BABEL_LOCALES = {
    "ru": "ru_RU",
    "en": "en_US",
    "es": "es_ES",
    "pt": "pt_BR",
    "uk": "uk_UA",
    "he": "he_IL",
}

# A "channel" is one consistent way of stemming a name; a name is indexed under every channel of
# its script, and a message is read through the channels of its language.
_CHANNELS_BY_SCRIPT = {
    "cyrillic": ("ru", "uk", "uk>ru"),
    "latin": ("en", "es", "pt"),
    "hebrew": ("he",),
}
_CHANNELS_BY_LANGUAGE = {
    "ru": ("ru",),
    "uk": ("uk", "uk>ru"),
    "en": ("en",),
    "es": ("es",),
    "pt": ("pt",),
    "he": ("he",),
}
_ALL_CHANNELS = ("ru", "uk", "uk>ru", "en", "es", "pt", "he")
_DEFAULT_CHANNEL_FOR_SCRIPT = {"cyrillic": "ru", "latin": "en", "hebrew": "he"}
# A synonym such as "pull ... tooth" lets this many other words sit at the "..." ("pull my left
# wisdom tooth" is pull + 2 words + tooth once "my" is skipped as a stopword).
GAP = "..."
MAX_SERVICE_GAP = 2
# resembles(): "obturation"/"obturacao" 74 passes; "coverage"/"cordal" 57, "parking"/"cleaning" 53
# (other words) do not. Short words resemble too much by chance.
_RESEMBLE_MIN_SIMILARITY = 70
_RESEMBLE_MIN_LENGTH = 6
# A compound word ends in a one-word service name: "профчистку" (проф + чистку), "профгигиена",
# "teethcleaning". The ending must be at least this long ("чистку", "гигиена")...
_COMPOUND_MIN_SUFFIX = 5
# ...and what comes before it at least this long, so that "очистка" or "зачистка" (о-, за-: other
# words) never count.
_COMPOUND_MIN_PREFIX = 3
# The ending is looked for where one of these first letters of a name start, then stemmed.
_COMPOUND_HEAD = 4
# Hebrew glues prepositions, not words, to the front; its stemmer already takes them off.
_COMPOUND_CHANNELS = frozenset(_ALL_CHANNELS) - {"he"}


def _stem_in_channel(token: str, channel: str) -> str:
    script = script_of(token)
    if script == "other":
        return token
    if channel not in _CHANNELS_BY_SCRIPT[script]:
        channel = _DEFAULT_CHANNEL_FOR_SCRIPT[script]
    if channel == "uk>ru":
        return stem(fold_ukrainian(token), "ru")
    return stem(token, channel)


@lru_cache(maxsize=16384)
def stems_by_channel(token: str) -> frozenset[tuple[str, str]]:
    """The token's stems through every channel of its script, each with its channel: two words
    are forms of one word when they share a (channel, stem)."""
    script = script_of(token)
    if script == "other":
        return frozenset()
    return frozenset((ch, _stem_in_channel(token, ch)) for ch in _CHANNELS_BY_SCRIPT[script])


def content_tokens(tokens: Sequence[str]) -> list[tuple[int, str]]:
    """(position, token) of the tokens that can be part of a service name."""
    return [(i, t) for i, t in enumerate(tokens) if t not in SERVICE_STOPWORDS]


@dataclass(frozen=True, slots=True)
class ServiceEntry:
    code: str
    names: dict[str, str]
    aliases: tuple[str, ...]
    price: Decimal
    currency: str
    duration_minutes: int | None = None

    def name_in(self, language: str) -> str:
        """The name in this language, else English, else any name, else the code."""
        return (
            self.names.get(language)
            or self.names.get("en")
            or next(iter(self.names.values()), self.code)
        )


@dataclass(frozen=True, slots=True)
class ServiceMention:
    """Where a service was named in a message: token positions [start, end)."""

    start: int
    end: int
    codes: tuple[str, ...]
    positions: tuple[int, ...] = field(default=())


def _by_first_letter_and_length(words: Iterable[str]) -> dict[tuple[str, int], tuple[str, ...]]:
    """Name words by the (first letter, length) of the typos they may absorb: the same length
    (a swapped letter) or up to two letters shorter (dropped letters)."""
    shapes: dict[tuple[str, int], set[str]] = {}
    for word in words:
        for length in range(len(word) - 2, len(word) + 1):
            shapes.setdefault((word[0], length), set()).add(word)
    return {shape: tuple(sorted(ws)) for shape, ws in shapes.items()}


class PriceIndex:
    def __init__(self, services: Iterable[ServiceEntry]):
        self._entries: dict[str, ServiceEntry] = {s.code: s for s in services}
        # Other per-clinic data held beside the prices (pricing.cache.register_companion).
        self.extras: dict[str, object] = {}
        self._keys: dict[tuple[str, ...], tuple[str, ...]] = {}
        # Gapped phrases by their first stem: (stems with GAP markers, code).
        self._gapped: dict[str, list[tuple[tuple[str, ...], str]]] = {}
        self._choices: list[tuple[str, str]] = []  # (normalized name, code) for closest()
        self.vocabulary: frozenset[str] = frozenset()
        self._build()
        self.max_key_length = max((len(k) for k in self._keys), default=0)
        lengths: dict[str, set[int]] = {}
        for key in self._keys:
            lengths.setdefault(key[0], set()).add(len(key))
        # Per message most words start no name at all: one lookup rules them out.
        self._key_lengths_by_first_stem = {
            first: tuple(sorted(ls, reverse=True)) for first, ls in lengths.items()
        }
        self.fuzzy_choices = _by_first_letter_and_length(self.vocabulary)
        self._vocabulary_list = sorted(self.vocabulary)
        self._compound_heads = frozenset(
            w[:_COMPOUND_HEAD]
            for w in self.vocabulary
            if len(w) >= _COMPOUND_MIN_SUFFIX and script_of(w) != "hebrew"
        )
        self.compound_min_length = _COMPOUND_MIN_PREFIX + _COMPOUND_MIN_SUFFIX

    # -- building -------------------------------------------------------------------------
    def _build(self) -> None:
        phrases = {code: self._phrases_of(entry) for code, entry in self._entries.items()}
        for code, extra in self._synonym_phrases(phrases).items():
            phrases[code] |= extra
        token_owners: dict[str, set[str]] = {}
        for code, own in phrases.items():
            for phrase in own:
                for token in phrase:
                    token_owners.setdefault(token, set()).add(code)
        vocabulary: set[str] = set()
        for code, own in phrases.items():
            for phrase in own:
                vocabulary.update(phrase)
                if GAP in phrase:
                    self._add_gapped_phrase(phrase, code)
                    continue  # "pull ... tooth" names an extraction only whole, never by "pull"
                self._add_phrase(phrase, code)
                self._choices.append((" ".join(phrase), code))
                for token in phrase if len(phrase) > 1 else ():
                    if token not in GENERIC_SERVICE_WORDS and token_owners[token] == {code}:
                        self._add_phrase((token,), code)
        self.vocabulary = frozenset(t for t in vocabulary if len(t) > 2 and t != GAP)

    @staticmethod
    def _phrase(text: str) -> tuple[str, ...]:
        """Content tokens; a "..." between words stays in as GAP."""
        parts = [
            tuple(t for _, t in content_tokens(tokenize(normalize(part))))
            for part in text.split(GAP)
        ]
        phrase: tuple[str, ...] = parts[0]
        for part in parts[1:]:
            phrase += (GAP, *part)
        return phrase

    def _phrases_of(self, entry: ServiceEntry) -> set[tuple[str, ...]]:
        texts = [*entry.names.values(), *entry.aliases]
        return {p for p in (self._phrase(t) for t in texts) if p}

    def _synonym_phrases(
        self, phrases: dict[str, set[tuple[str, ...]]]
    ) -> dict[str, set[tuple[str, ...]]]:
        stemmed = {
            code: {self._stems(p, ch) for p in own for ch in _ALL_CHANNELS}
            for code, own in phrases.items()
        }
        extra: dict[str, set[tuple[str, ...]]] = {}
        for group in SERVICE_SYNONYMS:
            group_phrases = {self._phrase(word) for word in group}
            group_stems = {self._stems(p, ch) for p in group_phrases for ch in _ALL_CHANNELS}
            owners = [code for code, keys in stemmed.items() if keys & group_stems]
            if len(owners) == 1:
                extra.setdefault(owners[0], set()).update(group_phrases)
        return extra

    @staticmethod
    def _stems(phrase: tuple[str, ...], channel: str) -> tuple[str, ...]:
        return tuple(_stem_in_channel(t, channel) for t in phrase)

    def _add_phrase(self, phrase: tuple[str, ...], code: str) -> None:
        scripts = {script_of(t) for t in phrase} - {"other"}
        channels = [ch for s in scripts for ch in _CHANNELS_BY_SCRIPT[s]] or ["en"]
        for channel in channels:
            key = self._stems(phrase, channel)
            owners = self._keys.get(key, ())
            if code not in owners:
                self._keys[key] = (*owners, code)

    def _add_gapped_phrase(self, phrase: tuple[str, ...], code: str) -> None:
        scripts = {script_of(t) for t in phrase} - {"other"}
        for channel in (ch for s in scripts for ch in _CHANNELS_BY_SCRIPT[s]):
            stems = self._stems(phrase, channel)
            entries = self._gapped.setdefault(stems[0], [])
            if (stems, code) not in entries:
                entries.append((stems, code))

    # -- reading --------------------------------------------------------------------------
    def get(self, code: str) -> ServiceEntry | None:
        return self._entries.get(code)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self):
        return iter(self._entries.values())

    def mentions(self, tokens: Sequence[str], language: str | None = None) -> list[ServiceMention]:
        """Services named in normalized tokens, longest name first at each position."""
        content = content_tokens(tokens)
        channels = _CHANNELS_BY_LANGUAGE.get(language, _ALL_CHANNELS) if language else _ALL_CHANNELS
        stems_by_channel = {ch: [_stem_in_channel(t, ch) for _, t in content] for ch in channels}
        found: list[ServiceMention] = []
        # Most messages hold no word a gapped phrase starts with: one set check skips the search.
        gapped = any(not self._gapped.keys().isdisjoint(s) for s in stems_by_channel.values())
        i = 0
        while i < len(content):
            length, codes = self._longest_key_at(i, stems_by_channel)
            if length:
                positions = tuple(pos for pos, _ in content[i : i + length])
                i += length
            else:
                indices, codes = self._gapped_at(i, stems_by_channel) if gapped else ((), ())
                if not indices:
                    i += 1
                    continue
                positions = tuple(content[k][0] for k in indices)
                i = indices[-1] + 1
            found.append(ServiceMention(positions[0], positions[-1] + 1, codes, positions))
        return found

    def _gapped_at(
        self, i: int, stems_by_channel: dict[str, list[str]]
    ) -> tuple[tuple[int, ...], tuple[str, ...]]:
        """Content indices of a gapped phrase ("pull ... tooth") starting at i, and its code."""
        for stems in stems_by_channel.values():
            for phrase, code in self._gapped.get(stems[i], ()):
                indices = _gapped_indices(phrase, i, stems)
                if indices and not self._names_a_service_between(indices, stems_by_channel):
                    return indices, (code,)
        return (), ()

    def _names_a_service_between(
        self, indices: tuple[int, ...], stems_by_channel: dict[str, list[str]]
    ) -> bool:
        """ "tirar uma radiografia do dente": the verb and the tooth of an extraction hold an
        X-ray between them, which is what is asked about."""
        return any(
            self._longest_key_at(k, stems_by_channel)[0]
            for k in range(indices[0] + 1, indices[-1])
            if k not in indices
        )

    def compound(self, token: str, language: str | None = None) -> tuple[str, ...]:
        """The codes of the one-word service name a compound word ends in ("профчистку":
        проф + чистку, "teethcleaning"), or (). For words nothing else explained: the search
        tries every place the word may split and stems each ending it finds, too much work to do
        on every word."""
        if len(token) < self.compound_min_length:
            return ()
        channels = _CHANNELS_BY_LANGUAGE.get(language, _ALL_CHANNELS) if language else _ALL_CHANNELS
        heads = self._compound_heads
        starts = range(_COMPOUND_MIN_PREFIX, len(token) - _COMPOUND_MIN_SUFFIX + 1)
        for channel in channels:
            if channel not in _COMPOUND_CHANNELS:
                continue
            word = fold_ukrainian(token) if channel == "uk>ru" else token
            for start in starts:
                if word[start : start + _COMPOUND_HEAD] in heads:
                    codes = self._keys.get((_stem_in_channel(token[start:], channel),))
                    if codes:
                        return codes
        return ()

    def _longest_key_at(
        self, i: int, stems_by_channel: dict[str, list[str]]
    ) -> tuple[int, tuple[str, ...]]:
        best: tuple[int, tuple[str, ...]] = (0, ())
        for stems in stems_by_channel.values():
            for length in self._key_lengths_by_first_stem.get(stems[i], ()):
                if length <= best[0] or i + length > len(stems):
                    continue
                codes = self._keys.get(tuple(stems[i : i + length]))
                if codes:
                    best = (length, codes)
                    break
        return best

    def knows(self, token: str) -> bool:
        """Whether this word, in some language's stemming, is (part of) a service name."""
        if token in self.vocabulary:
            return True
        channels = _CHANNELS_BY_SCRIPT.get(script_of(token), ())
        return any(
            _stem_in_channel(token, ch) in self._key_lengths_by_first_stem for ch in channels
        )

    def resembles(self, word: str) -> bool:
        """Whether a long word is spelled much like a word of a service name ("obturation")."""
        if len(word) < _RESEMBLE_MIN_LENGTH:
            return False
        hit = process.extractOne(
            word, self._vocabulary_list, scorer=fuzz.ratio, score_cutoff=_RESEMBLE_MIN_SIMILARITY
        )
        return hit is not None

    def find(self, text_or_tokens, language: str | None = None) -> list[ServiceEntry]:
        """Services mentioned in the message (a text or normalized tokens), in order, once each."""
        tokens = (
            tokenize(normalize(text_or_tokens))
            if isinstance(text_or_tokens, str)
            else list(text_or_tokens)
        )
        codes = dict.fromkeys(c for m in self.mentions(tokens, language) for c in m.codes[:1])
        return [self._entries[c] for c in codes]

    def closest(self, term: str, limit: int = 3) -> list[ServiceEntry]:
        """Services whose names look most like the term (spelling, not meaning); may be empty."""
        hits = process.extract(
            normalize(term),
            [name for name, _ in self._choices],
            scorer=fuzz.WRatio,
            limit=limit * 4,
            score_cutoff=72,
        )
        codes = dict.fromkeys(self._choices[index][1] for _, _, index in hits)
        return [self._entries[c] for c in list(codes)[:limit]]

    @classmethod
    def from_clinic_file(cls, data: dict) -> PriceIndex:
        return cls(
            ServiceEntry(
                code=item["code"],
                names=dict(item.get("name") or {}),
                aliases=tuple(item.get("aliases") or ()),
                price=Decimal(str(item["price"])),
                currency=item.get("currency", "RUB"),
                duration_minutes=item.get("duration_minutes"),
            )
            for item in data.get("services", ())
        )


def _gapped_indices(phrase: tuple[str, ...], i: int, stems: list[str]) -> tuple[int, ...]:
    """Where each word of phrase (phrase[0] at i) sits in stems; () when it does not fit."""
    indices = [i]
    gap = False
    for word in phrase[1:]:
        if word == GAP:
            gap = True
            continue
        last = indices[-1]
        end = min(len(stems), last + 2 + (MAX_SERVICE_GAP if gap else 0))
        found = next((j for j in range(last + 1, end) if stems[j] == word), None)
        if found is None:
            return ()
        indices.append(found)
        gap = False
    return tuple(indices)


def format_price(amount: Decimal, currency: str, language: str) -> str:
    """The price as a patient of this language reads it: "3 500 ₽", "$35", "3.500,50 €"."""
    locale = BABEL_LOCALES.get(language, "en_US")
    if amount != amount.to_integral_value():
        return format_currency(amount, currency, locale=locale)
    # Receptionists write "3 500 ₽", not "3 500,00 ₽": the locale's own pattern without decimals.
    pattern = _whole_pattern(locale)
    text = format_currency(amount, currency, format=pattern, locale=locale, currency_digits=False)
    symbol = get_currency_symbol(currency, locale=locale)
    if symbol.isalpha() and re.search(re.escape(symbol) + r"\d", text):
        text = text.replace(symbol, symbol + "\u00a0", 1)  # "RUB3,500" reads as "RUB 3,500"
    return text


@lru_cache(maxsize=16)
def _whole_pattern(locale: str) -> str:
    return Locale.parse(locale).currency_formats["standard"].pattern.replace("0.00", "0")
