"""Per-language word data, compiled once at import into stem-keyed lookup tables.

Each language module (ru, uk, en, es, pt, he) holds only data: STRONG and WEAK cue phrases by
intent, BLOCK phrases (send the message to the LLM lane), BOOKING phrases, STOPWORDS, MARKERS,
and the words around an hour (HOUR_SUFFIXES, HOUR_PREPOSITIONS).

A phrase is a few words matched as consecutive stems; "..." inside a phrase lets up to
MAX_GAP other words sit there ("cambiar ... cita" finds "cambiar la hora de mi cita").
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import import_module

from conversations.nlu.text import normalize, stem, tokenize

LANGUAGES = ("ru", "en", "es", "pt", "uk", "he")
SCRIPTS = {
    "ru": "cyrillic",
    "uk": "cyrillic",
    "en": "latin",
    "es": "latin",
    "pt": "latin",
    "he": "hebrew",
}
MAX_GAP = 3
GAP = "..."

# Pseudo-intents: BLOCK sends the message to the LLM lane; BOOKING does too unless a cancel or
# reschedule cue is also present (a new appointment needs the calendar, which the LLM lane has).
BLOCK = "block"
BOOKING = "booking"

# Language-independent cues, matched on the normalized token or the emoji itself.
UNIVERSAL_WORDS = {
    "ok": ("confirm", "weak"),
    "okay": ("confirm", "weak"),
    "okey": ("confirm", "weak"),
    "oki": ("confirm", "weak"),
    "k": ("confirm", "weak"),
    "stop": ("opt_out", "strong"),
    "unsubscribe": ("opt_out", "strong"),
    "start": ("opt_in", "strong"),
}
UNIVERSAL_EMOJI = {
    "👍": "confirm",
    "👌": "confirm",
    "✅": "confirm",
    "🆗": "confirm",
    "🤝": "confirm",
    "🙏": "thanks",
    "🙏🏻": "thanks",
    "💐": "thanks",
    "👋": "greeting",
    "❌": "decline",
    "👎": "decline",
}


@dataclass(frozen=True, slots=True)
class Phrase:
    intent: str
    strong: bool
    stems: tuple[str, ...]
    gaps: tuple[bool, ...]  # gaps[i]: other words may come before stems[i]


@dataclass(slots=True)
class Lexicon:
    language: str
    phrases_by_first_stem: dict[str, list[Phrase]] = field(default_factory=dict)
    stopwords: frozenset[str] = frozenset()
    words: frozenset[str] = frozenset()  # every normalized word of the data: for typos, detection
    stems: frozenset[str] = frozenset()
    hour_suffixes: dict[str, int] = field(default_factory=dict)
    hour_prepositions: frozenset[str] = frozenset()
    replies: dict[str, str] = field(default_factory=dict)

    def stem(self, token: str) -> str:
        return stem(token, self.language)


def _compile_phrase(text: str, intent: str, strong: bool, language: str) -> Phrase:
    stems: list[str] = []
    gaps: list[bool] = []
    gap_next = False
    for word in normalize(text).split():
        if word == GAP:
            gap_next = True
            continue
        for token in tokenize(word):
            stems.append(stem(token, language))
            gaps.append(gap_next)
            gap_next = False
    return Phrase(intent, strong, tuple(stems), tuple(gaps))


def _phrase_sources(module) -> list[tuple[str, str, bool]]:
    sources = [(t, intent, True) for intent, texts in module.STRONG.items() for t in texts]
    sources += [(t, intent, False) for intent, texts in module.WEAK.items() for t in texts]
    sources += [(t, BLOCK, True) for t in module.BLOCK]
    sources += [(t, BOOKING, True) for t in module.BOOKING]
    return sources


def _compile(language: str) -> Lexicon:
    module = import_module(f"conversations.nlu.lexicon.{language}")
    lexicon = Lexicon(language)
    words: set[str] = set()
    for text, intent, strong in _phrase_sources(module):
        phrase = _compile_phrase(text, intent, strong, language)
        if phrase.stems:
            lexicon.phrases_by_first_stem.setdefault(phrase.stems[0], []).append(phrase)
        words.update(tokenize(normalize(text)))
    for phrases in lexicon.phrases_by_first_stem.values():
        phrases.sort(key=lambda p: len(p.stems), reverse=True)
    lexicon.stopwords = frozenset(normalize(w) for w in module.STOPWORDS)
    words |= lexicon.stopwords | {normalize(w) for w in module.MARKERS}
    for text in (*module.HOUR_SUFFIXES, *module.HOUR_PREPOSITIONS):
        words.update(tokenize(normalize(text)))
    lexicon.words = frozenset(words)
    lexicon.stems = frozenset(stem(w, language) for w in words)
    lexicon.hour_suffixes = {normalize(k).split()[-1]: v for k, v in module.HOUR_SUFFIXES.items()}
    lexicon.hour_prepositions = frozenset(
        normalize(p).split()[-1] for p in module.HOUR_PREPOSITIONS
    )
    lexicon.replies = dict(module.REPLIES)
    return lexicon


LEXICONS: dict[str, Lexicon] = {language: _compile(language) for language in LANGUAGES}
