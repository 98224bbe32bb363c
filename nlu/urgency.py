"""Whether a patient message names an urgent symptom: `is_urgent(text, language) -> bool`.

Pure and cheap: the lexicon (nlu.lexicon.urgent_words) is compiled once per language into one
screening expression and a few per entry; a message that names no symptom word at all (nearly
every message) costs one search per language read. The message is read in its language and in
those written in the same script (a Portuguese patient read as Spanish, a Ukrainian one who
writes Russian words), since a misread language must not hide a swollen face. Russian or
Ukrainian typed in Latin letters ("opukhla shcheka") is also read spelled back (nlu.translit)
when the conversation is in one of them; Hebrew in Latin letters is left to the LLM lane's
model, which hands such a message over as urgent.

A message that names an urgent symptom is urgent whatever else it asks: "how much is a root
canal? my face is swollen" needs the emergency instructions more than the price.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from nlu.lexicon import LANGUAGES, SCRIPTS
from nlu.lexicon.urgent_words import GAP, NEGATIONS, URGENT_WORDS
from nlu.text import normalize, script_of
from nlu.translit import to_cyrillic

_TOKEN_OR_BREAK = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[,;!?¿¡()\n]|[.:](?!\d)")
# Letters glued in front of a Hebrew word: "and", "the", "in", "to", "from", "that", "as".
_HEBREW_PREFIX = "(?:[והבלמשכ]{1,2})?"
# Every word is preceded by a space (the words start with one): a literal first character
# lets the expression engine skip to the next word instead of trying every character.
_WORD_START = " "


@dataclass(frozen=True, slots=True)
class _Entry:
    parts: tuple[re.Pattern, ...]


@dataclass(frozen=True, slots=True)
class _Language:
    screen: re.Pattern  # any entry's first part: without a hit, no entry can match
    entries: tuple[_Entry, ...]
    negated: re.Pattern  # a negation, and maybe one word, right before a match


def _part_source(part: str, language: str) -> str:
    """A part of an entry as a regular expression over the words joined by single spaces."""
    source = part.strip().replace(" ~ ", "\0")
    source = source.replace(" ", "[^ ]* ").replace("$", r"(?!\S)")
    gap = f"[^ ]*(?: [^ ]+){{0,{GAP}}} "
    if language == "he":
        gap += _HEBREW_PREFIX
    source = source.replace("\0", gap)
    prefix = _HEBREW_PREFIX if language == "he" else ""
    return f"{_WORD_START}{prefix}(?:{source})"


@lru_cache(maxsize=len(LANGUAGES))
def _compiled(language: str) -> _Language:
    entries = tuple(
        _Entry(tuple(re.compile(_part_source(p, language)) for p in entry.split(" & ")))
        for entry in URGENT_WORDS[language]
    )
    screen = "|".join(entry.parts[0].pattern for entry in entries)
    negations = "|".join(re.escape(n) for n in NEGATIONS[language])
    negated = re.compile(f" (?:{negations})(?: [^ .]+)?$")
    return _Language(re.compile(screen), entries, negated)


def _words(tokens: list[str]) -> str:
    """The message's words, each after a space, a clause break as " ." (a negation does not
    reach across one: "нет, кровь не останавливается")."""
    return "".join(" ." if len(t) == 1 and not t.isalnum() else f" {t}" for t in tokens)


def _spelled_back(tokens: list[str], language: str) -> str | None:
    """A Russian or Ukrainian message typed in Latin letters, in Cyrillic ones; else None."""
    if SCRIPTS.get(language) != "cyrillic" or any(script_of(t) == "cyrillic" for t in tokens):
        return None
    if not any(script_of(t) == "latin" for t in tokens):
        return None
    return _words([to_cyrillic(t, language) if t.isalpha() else t for t in tokens])


def _languages_to_read(language: str) -> tuple[str, ...]:
    script = SCRIPTS.get(language)
    if script is None:
        return LANGUAGES
    return (
        language,
        *(other for other in LANGUAGES if other != language and SCRIPTS[other] == script),
    )


def _part_found(part: re.Pattern, words: str, compiled: _Language) -> bool:
    return any(
        not compiled.negated.search(words, 0, match.start()) for match in part.finditer(words)
    )


def _names_a_symptom(words: str, language: str) -> bool:
    compiled = _compiled(language)
    if not compiled.screen.search(words):
        return False
    return any(
        all(_part_found(part, words, compiled) for part in entry.parts)
        for entry in compiled.entries
    )


def is_urgent(text: str, language: str) -> bool:
    """Whether the message names an urgent symptom, read in `language` and the languages that
    share its script (all of them for a language this layer does not know)."""
    if not text:
        return False
    tokens = _TOKEN_OR_BREAK.findall(normalize(text))
    words = _words(tokens)
    if any(_names_a_symptom(words, other) for other in _languages_to_read(language)):
        return True
    spelled = _spelled_back(tokens, language)
    return spelled is not None and _names_a_symptom(spelled, language)
