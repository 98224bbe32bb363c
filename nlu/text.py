"""Text primitives shared by the router and the price index: normalization, tokens, stems.

Pure functions over str; no per-message allocation beyond the token lists themselves.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import Stemmer

SNOWBALL_LANGUAGES = {"ru": "russian", "en": "english", "es": "spanish", "pt": "portuguese"}
_SNOWBALL = {code: Stemmer.Stemmer(name) for code, name in SNOWBALL_LANGUAGES.items()}

_TOKEN_RE = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
# Ukrainian letters folded onto their Russian look-alikes, so that a Ukrainian patient writing
# "консультації" still finds a service the clinic only named in Russian ("консультации").
_UK_TO_RU = str.maketrans({"і": "и", "ї": "и", "є": "е", "ґ": "г", "и": "ы", "'": ""})


def _folding_table() -> dict[int, str | None]:
    """One str.translate table: Latin accents off (patients type "cuanto" and "cuánto" alike),
    Hebrew points off, ё→е, every apostrophe as '. Cyrillic й/ї keep their marks."""
    table: dict[int, str | None] = {}
    for code in range(0x80, 0x250):
        bare = "".join(
            c for c in unicodedata.normalize("NFD", chr(code)) if not unicodedata.combining(c)
        )
        if bare != chr(code):
            table[code] = bare
    table.update(dict.fromkeys(range(0x0591, 0x05C8)))  # Hebrew points and cantillation
    table.update({ord(a): "'" for a in "’ʼ`´"})
    table[ord("ё")] = "е"
    return table


_FOLDING = _folding_table()


def normalize(text: str) -> str:
    """Casefolded, NFKC, ё→е, Latin accents and Hebrew points removed, apostrophes unified."""
    return unicodedata.normalize("NFKC", text).casefold().translate(_FOLDING)


def tokenize(normalized: str) -> list[str]:
    return _TOKEN_RE.findall(normalized)


# A stop or a colon inside a time or a number ("9:30", "9.30") parts no clauses.
_CLAUSE_BREAK_RE = re.compile(r"[,;!?¿¡()\n]|[.:](?!\d)")


def clause_numbers(normalized: str) -> list[int]:
    """For each token of tokenize(normalized), the number of the clause it is in: a comma,
    stop, question or exclamation mark, colon or bracket between two tokens starts a new one."""
    numbers: list[int] = []
    clause = 0
    end = 0
    for match in _TOKEN_RE.finditer(normalized):
        # The gap between two tokens and the next token's first character (for the look-ahead).
        if _CLAUSE_BREAK_RE.search(normalized[end : match.start() + 1]):
            clause += 1
        numbers.append(clause)
        end = match.end()
    return numbers


@lru_cache(maxsize=65536)
def script_of(token: str) -> str:
    """'cyrillic', 'hebrew', 'latin' or 'other' (digits, emoji) by the first letter."""
    for char in token:
        code = ord(char)
        if 0x0400 <= code <= 0x04FF:
            return "cyrillic"
        if 0x05D0 <= code <= 0x05EA:
            return "hebrew"
        if char.isalpha():
            return "latin"
    return "other"


# Snowball has no Ukrainian or Hebrew stemmer; these light strippers only need to agree with
# themselves, since the same function stems both the price list and the message.
_UK_SUFFIXES = tuple(
    sorted(
        (
            "ування ювання ання ення ості ість ами ями ові еві ого ому ими іми ній ний "
            "ій ий ої ою ею ах ях ів ам ям ом ем ти ть уть ють ить ать ує ює іть "
            "у ю а я о е и і ї є ь й"
        ).split(),
        key=len,
        reverse=True,
    )
)
HEBREW_PREFIXES = "והבלמשכ"
_PT_PLURALS = (("coes", "cao"), ("oes", "ao"), ("aes", "ao"))


def _stem_ukrainian(token: str) -> str:
    for suffix in _UK_SUFFIXES:
        if token.endswith(suffix) and len(token) - len(suffix) >= 3:
            return token[: -len(suffix)]
    return token


def _stem_hebrew(token: str) -> str:
    if len(token) > 4 and token.endswith(("ים", "ות")):
        token = token[:-2]
    elif len(token) >= 4 and token[-1] in "הת":
        token = token[:-1]
    for _ in range(3):  # "ולהלבנה": and-for-the-whitening
        if len(token) > 3 and token[0] in HEBREW_PREFIXES:
            token = token[1:]
    return token


@lru_cache(maxsize=16384)
def stem(token: str, language: str) -> str:
    if language in _SNOWBALL:
        if language == "pt":
            for plural, singular in _PT_PLURALS:
                if token.endswith(plural):
                    token = token[: -len(plural)] + singular
                    break
        return _SNOWBALL[language].stemWord(token)
    if language == "uk":
        return _stem_ukrainian(token)
    if language == "he":
        return _stem_hebrew(token)
    return token


def fold_ukrainian(token: str) -> str:
    return token.translate(_UK_TO_RU)
