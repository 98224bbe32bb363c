"""A clinic's own FAQ (and its facts, nlu.facts) as the fast lane answers from it.

Built once per price-list refresh (pricing.cache's companions): every question variant becomes
the set of its content stems (nlu.text's normalization and stems, the language's stopwords left
out), and an inverted index maps each stem to the variants holding it. A message is read the
same way; only the variants sharing a stem with it are scored, so a message costs a few dict
lookups however long the FAQ is.

A variant's score is the Dice overlap of the two stem sets, 2|M∩V| / (|M| + |V|): the message
must say (nearly) all the variant says and little else. `match` answers only a confident
reading: a score of at least CONFIDENT, most of the variant said (COVERED), clearly ahead
(MARGIN) of the best variant of any other entry. Anything less goes to the LLM lane, which may
still use the looser `lookup`.

An entry answers in a language only where it has both questions and an answer in it: a patient
whose language the entry lacks goes to the LLM lane (which has `lookup` and translates), rather
than being answered in a language they did not write in.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from nlu.lexicon import LEXICONS, SCRIPTS
from nlu.text import normalize, script_of, stem, tokenize

# Chosen on nlu/tests/test_faq.py's paraphrases and checked against the labelled message sets
# (no price, booking or cancel message may be answered from an FAQ).
CONFIDENT = 0.66
MARGIN = 0.2
# ... and the message says most of what the variant says: "where are you?" is not "where can I
# park?" for all that it shares "where" with it.
COVERED = 0.66
# In another language than the one the message was read in, only (nearly) a stored variant word
# for word: "¿hay aparcamiento?" read as Portuguese, not "hay wifi?" answered in English.
FOREIGN_CONFIDENT = 0.9
# faq_lookup (the LLM lane) sees weaker candidates too, the model judges them: every entry of
# which the message says at least half of a variant, however much else it says.
LOOKUP_COVERED = 0.5
FAQ = "faq"
FACT = "fact"


@dataclass(frozen=True, slots=True)
class FaqItem:
    key: str
    questions: Mapping[str, tuple[str, ...]]  # language -> variants
    answers: Mapping[str, str]  # language -> answer
    tags: tuple[str, ...] = ()
    source: str = FAQ  # or FACT: built from the clinic's facts (nlu.facts)


@dataclass(frozen=True, slots=True)
class FaqMatch:
    item: FaqItem
    language: str
    question: str  # the variant that matched best
    score: float
    covered: float = 1.0  # the share of the variant's stems the message has

    @property
    def answer(self) -> str:
        return self.item.answers[self.language]


@dataclass(frozen=True, slots=True)
class _Variant:
    item: int  # position in FaqIndex.items
    language: str
    text: str
    stems: frozenset[str]


def content_stems(text: str, language: str) -> frozenset[str]:
    """The stems of the words of `text` that carry meaning in `language` (stopwords out)."""
    return _content_stems_of(tokenize(normalize(text)), language)


def _content_stems_of(tokens: list[str], language: str) -> frozenset[str]:
    lexicon = LEXICONS.get(language)
    stopwords = lexicon.stopwords if lexicon else frozenset()
    return frozenset(stem(t, language) for t in tokens if t not in stopwords)


@dataclass
class FaqIndex:
    items: tuple[FaqItem, ...] = ()
    _variants: list[_Variant] = field(default_factory=list)
    # (language, stem) -> positions in _variants
    _postings: dict[tuple[str, str], list[int]] = field(default_factory=dict)
    _languages: list[str] = field(default_factory=list)  # those with variants

    @classmethod
    def build(cls, items: Iterable[FaqItem]) -> FaqIndex:
        index = cls(tuple(items))
        for position, item in enumerate(index.items):
            for language, variants in item.questions.items():
                if not item.answers.get(language):
                    continue  # never answered in a language it has no answer in
                for text in variants:
                    index._add(_Variant(position, language, text, content_stems(text, language)))
        return index

    def _add(self, variant: _Variant) -> None:
        if not variant.stems:
            return  # a variant of stopwords only would match anything short
        number = len(self._variants)
        self._variants.append(variant)
        if variant.language not in self._languages:
            self._languages.append(variant.language)
        for s in variant.stems:
            self._postings.setdefault((variant.language, s), []).append(number)

    def __len__(self) -> int:
        return len(self.items)

    def match(self, text: str, language: str) -> FaqMatch | None:
        """The entry `text` asks for, when that reading is confident; else None. Tried in
        `language` first, then in the other languages of the message's script (a short
        question may be read as the wrong one: "hay aparcamiento?")."""
        tokens = tokenize(normalize(text))
        for candidate in self._languages_for(tokens, language):
            ranked = self._ranked(tokens, candidate)
            if not ranked:
                continue
            best = ranked[0]
            runner_up = next((m.score for m in ranked[1:] if m.item is not best.item), 0.0)
            bar = CONFIDENT if candidate == language else FOREIGN_CONFIDENT
            confident = best.score >= bar and best.covered >= COVERED
            if confident and best.score - runner_up >= MARGIN:
                return best
        return None

    def lookup(self, text: str, language: str, limit: int = 3) -> list[FaqMatch]:
        """The entries `text` says half a variant of, one match per entry, best first."""
        tokens = tokenize(normalize(text))
        found: dict[str, FaqMatch] = {}
        for candidate in self._languages_for(tokens, language):
            for m in self._ranked(tokens, candidate):
                if m.covered >= LOOKUP_COVERED and m.item.key not in found:
                    found[m.item.key] = m
        return sorted(found.values(), key=lambda m: (-m.covered, -m.score))[:limit]

    def _languages_for(self, tokens: list[str], language: str) -> list[str]:
        """`language`, then the others of the message's script that have variants here."""
        scripts = {script_of(t) for t in tokens}
        others = [
            lang for lang in self._languages if lang != language and SCRIPTS.get(lang) in scripts
        ]
        return [language, *others]

    def _ranked(self, tokens: list[str], language: str) -> list[FaqMatch]:
        """Per entry its best variant's match, best first (only variants sharing a stem)."""
        stems = _content_stems_of(tokens, language)
        shared: dict[int, int] = {}
        for s in stems:
            for number in self._postings.get((language, s), ()):
                shared[number] = shared.get(number, 0) + 1
        if not shared:
            return []
        best: dict[int, FaqMatch] = {}
        for number, count in shared.items():
            variant = self._variants[number]
            score = 2 * count / (len(stems) + len(variant.stems))
            kept = best.get(variant.item)
            if kept is None or score > kept.score:
                item = self.items[variant.item]
                covered = count / len(variant.stems)
                best[variant.item] = FaqMatch(item, language, variant.text, score, covered)
        return sorted(best.values(), key=lambda m: -m.score)
