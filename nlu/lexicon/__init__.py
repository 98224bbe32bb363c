"""Per-language word data, compiled once at import into stem-keyed lookup tables.

Each language module (ru, uk, en, es, pt, he) holds only data: STRONG and WEAK cue phrases by
intent, REPLIES (the fast lane's templates), BLOCK phrases (hard LLM-lane topics: pain,
insurance, pregnancy, after-care, "how long"), SOFT_BLOCK phrases (LLM-lane words that a plain
price question may carry: doctor, children, "do you treat"), BOOKING phrases, STOPWORDS, MARKERS,
the words around an hour (HOUR_SUFFIXES, HOUR_PREPOSITIONS), and optionally the lists below.
Compiling checks the data against the intent table (nlu.intents): every intent named by a cue
has a row that can be chosen, and REPLIES has every template a row answers with.

BLOCK_PREFIXES / SOFT_BLOCK_PREFIXES: word beginnings that block like BLOCK / SOFT_BLOCK, for
    languages whose stemmer leaves inflections apart ("страхов" finds "страховыми", "страхова").
TIME_WORDS: days and times of day; "are you open" with one of them still asks for the hours.
NEGATIONS: words that, just before an opt-in cue, make it an opt-out ("не хочу снова получать").
ABBREVIATIONS: chat spellings expanded word for word before matching ("vcs" -> "voces").
ENCLITICS: pronouns glued to a verb ("cancelenla"), taken off when the rest is a known word.
DERIVED_ENDINGS: ending of a derived form -> endings of the plain word: diminutives ("limpiecita"
    -> "limpieza"), a vowel Russian drops ("снимка" -> "снимок"). Tried on a word nothing
    recognised, and kept only when the plain word is a known one.
MESSAGE_NOUNS with OPT_IN_TEMPLATES / OPT_OUT_TEMPLATES: what the clinic sends (reminders,
    messages, notifications...) and the phrases around it that switch it on or off; each
    template's "{noun}" is filled with every noun ("включите ... {noun}": "включите
    уведомления", "включите напоминалки"), giving STRONG opt-in / opt-out phrases.
STANDALONE: keywords that are an intent only as the whole message ("BAJA", "SAIR"): inside a
    sentence the same word means something else ("el precio más bajo").
QUANTITY_WORDS: number words; an hours cue right after one ("6 hours", "a few hours") is a
    duration, not a question about the opening hours.
NEUTRAL: phrases that take their words away from other cues and say nothing themselves
    ("ese horario no me viene bien" declines; it does not ask for the opening hours).
AMENITIES: things at the clinic that are not services (parking, wifi); a price question about
    one ("how much is the parking?") is for the LLM lane, even where the word is also a
    clinic_info cue ("is there parking?").
CHILDREN: words for a child; with them a price question picks the clinic's service for children,
    or goes to the LLM lane when the service it names is another one.
RESCHEDULE_TO: "move it to" phrases ("pasar para", "move to") that ask to reschedule only when
    what follows is a day or a time ("pásenla para el lunes", not "puedo pasar para una
    limpieza").

Whether a procedure may, should or can be done is a question for the LLM lane, even when it names
services ("Can I whiten my teeth if I have crowns?", "коронка или пломба?"). Three lists say so;
they are matched apart from the cue phrases (they take no words from them and play no part in
telling languages apart), and only a price question or a request about the appointment itself
outweighs them (router: _asks_whether):
ASKS_WHETHER: phrases that ask whether something may or should be done ("can i", "is it ok",
    "puedo", "se puede", "можно ли", "чи можна", "אפשר", "better"): with a service, a dental
    word or a condition, the message is such a question.
CONDITIONS: phrases that open a conditional clause ("if", "si tengo", "se eu", "если", "якщо",
    "אם"); a service named inside one is a circumstance, not what is asked about: without a
    price cue the message goes to the LLM lane, with one ("how much is whitening if I have
    crowns?") the price answer leaves that service out. Spanish "si" and Portuguese "se" are
    also "yes" and a pronoun, so only listed with what follows them. A condition's first word
    is matched as written, not by its stem (he "האם", whether, stems like "אם", if).
ALTERNATIVES: words that set two services side by side ("crown or filling?", "whitening with
    crowns?"): without a price cue, a choice or a combination to explain.

Two single-word phrases of different intents may share a stem (uk "ясно" = clear, "ясна" =
gums; he "עולה" = costs, "מעולה" = great): the word itself then decides, and an inflection
neither lists is read as the hard LLM-lane topic when one of them is one.

A phrase is a few words matched as consecutive stems; "..." inside a phrase lets up to
MAX_GAP other words sit there ("cambiar ... cita" finds "cambiar la hora de mi cita").
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import import_module
from types import SimpleNamespace

from nlu.intents import TABLE, CueKind, Intent, IntentTableError
from nlu.lexicon.context_words import NUMBERS
from nlu.text import normalize, stem, tokenize

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
    cue_words: frozenset[str] = frozenset()  # words of phrases, markers and hours: not fillers
    block_prefixes: tuple[str, ...] = ()
    soft_block_prefixes: tuple[str, ...] = ()
    time_stems: frozenset[str] = frozenset()
    negations: frozenset[str] = frozenset()
    abbreviations: dict[str, str] = field(default_factory=dict)
    enclitics: tuple[str, ...] = ()
    derived_endings: tuple[tuple[str, tuple[str, ...]], ...] = ()  # longest ending first
    # stem -> {word: phrase} for stems that single-word phrases of different intents share,
    # and the phrase an unlisted word with that stem stands for.
    shared_stems: dict[str, dict[str, Phrase]] = field(default_factory=dict)
    shared_stem_fallback: dict[str, Phrase] = field(default_factory=dict)
    standalone: dict[str, str] = field(default_factory=dict)
    quantity_words: frozenset[str] = frozenset()
    amenity_stems: frozenset[str] = frozenset()
    child_stems: frozenset[str] = frozenset()
    # Matched apart from the cue phrases (router: _asks_whether); keyed by first stem.
    asks_whether: dict[str, list[Phrase]] = field(default_factory=dict)
    conditions: dict[str, list[Phrase]] = field(default_factory=dict)
    condition_words: frozenset[str] = frozenset()  # first words of CONDITIONS, as written
    alternatives: frozenset[str] = frozenset()

    def stem(self, token: str) -> str:
        stemmed = stem(token, self.language)
        if self.enclitics and stemmed not in self.stems:
            return _stem_without_enclitics(token, self.language) or stemmed
        return stemmed


@lru_cache(maxsize=16384)
def _stem_without_enclitics(token: str, language: str) -> str | None:
    """ "cancelenla" -> "cancel": Spanish glues pronouns to imperatives and infinitives, and
    Snowball keeps them, so a cue verb would go unseen. Up to two ("cancelenmela"), and only
    when what is left is a word the language's data knows."""
    lexicon = LEXICONS[language]
    for _ in range(2):
        suffix = next((e for e in lexicon.enclitics if token.endswith(e)), None)
        if suffix is None or len(token) - len(suffix) < 4:
            return None
        token = token[: -len(suffix)]
        stemmed = stem(token, language)
        if stemmed in lexicon.stems:
            return stemmed
    return None


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
    nouns = getattr(module, "MESSAGE_NOUNS", ())
    for intent, templates in (
        (Intent.OPT_IN, getattr(module, "OPT_IN_TEMPLATES", ())),
        (Intent.OPT_OUT, getattr(module, "OPT_OUT_TEMPLATES", ())),
    ):
        sources += [(t.format(noun=n), intent, True) for t in templates for n in nouns]
    sources += [(t, intent, False) for intent, texts in module.WEAK.items() for t in texts]
    sources += [(t, CueKind.BLOCK, True) for t in module.BLOCK]
    sources += [(t, CueKind.SOFT_BLOCK, True) for t in getattr(module, "SOFT_BLOCK", ())]
    sources += [(t, Intent.BOOK, True) for t in module.BOOKING]
    sources += [(t, CueKind.RESCHEDULE_TO, False) for t in getattr(module, "RESCHEDULE_TO", ())]
    sources += [(t, CueKind.NEUTRAL, True) for t in getattr(module, "NEUTRAL", ())]
    return sources


def _compile(language: str, module) -> Lexicon:
    _check_against_the_table(language, module)
    lexicon = Lexicon(language)
    words: set[str] = set()
    single_words: dict[str, dict[str, Phrase]] = {}
    for text, intent, strong in _phrase_sources(module):
        phrase = _compile_phrase(text, intent, strong, language)
        if phrase.stems:
            lexicon.phrases_by_first_stem.setdefault(phrase.stems[0], []).append(phrase)
        tokens = tokenize(normalize(text))
        if len(phrase.stems) == 1 and len(tokens) == 1:
            single_words.setdefault(phrase.stems[0], {}).setdefault(tokens[0], phrase)
        words.update(tokens)
    for phrases in lexicon.phrases_by_first_stem.values():
        phrases.sort(key=lambda p: len(p.stems), reverse=True)
    _compile_shared_stems(lexicon, single_words)
    lexicon.stopwords = frozenset(normalize(w) for w in module.STOPWORDS)
    words |= {normalize(w) for w in module.MARKERS}
    for text in (*module.HOUR_SUFFIXES, *module.HOUR_PREPOSITIONS):
        words.update(tokenize(normalize(text)))
    abbreviations = {normalize(k): normalize(v) for k, v in _optional(module, "ABBREVIATIONS")}
    words |= abbreviations.keys()
    words |= {normalize(w) for w, _ in _optional(module, "STANDALONE")}
    words |= {normalize(w) for w in NUMBERS.get(language, ())}  # "dois" is no typo of "dois"
    lexicon.cue_words = frozenset(words)
    words |= lexicon.stopwords
    # "если", "якщо" are matched apart from the cues (router: _asks_whether), never unknown.
    words |= {t for text in _optional(module, "CONDITIONS") for t in tokenize(normalize(text))}
    lexicon.words = frozenset(words)
    lexicon.stems = frozenset(stem(w, language) for w in words)
    _compile_optional(lexicon, module, abbreviations)
    lexicon.hour_suffixes = {normalize(k).split()[-1]: v for k, v in module.HOUR_SUFFIXES.items()}
    lexicon.hour_prepositions = frozenset(
        normalize(p).split()[-1] for p in module.HOUR_PREPOSITIONS
    )
    lexicon.replies = dict(module.REPLIES)
    return lexicon


def _optional(module, name: str):
    value = getattr(module, name, ())
    return value.items() if isinstance(value, dict) else value


def _compile_optional(lexicon: Lexicon, module, abbreviations: dict[str, str]) -> None:
    language = lexicon.language
    lexicon.block_prefixes = tuple(_optional(module, "BLOCK_PREFIXES"))
    lexicon.soft_block_prefixes = tuple(_optional(module, "SOFT_BLOCK_PREFIXES"))
    lexicon.time_stems = frozenset(
        stem(t, language) for w in _optional(module, "TIME_WORDS") for t in tokenize(normalize(w))
    )
    lexicon.negations = frozenset(normalize(w) for w in _optional(module, "NEGATIONS"))
    lexicon.abbreviations = abbreviations
    lexicon.enclitics = tuple(sorted(_optional(module, "ENCLITICS"), key=len, reverse=True))
    lexicon.derived_endings = tuple(
        sorted(_optional(module, "DERIVED_ENDINGS"), key=lambda item: len(item[0]), reverse=True)
    )
    lexicon.standalone = {normalize(k): v for k, v in _optional(module, "STANDALONE")}
    lexicon.quantity_words = frozenset(normalize(w) for w in _optional(module, "QUANTITY_WORDS"))
    lexicon.child_stems = frozenset(
        stem(t, language) for w in _optional(module, "CHILDREN") for t in tokenize(normalize(w))
    )
    lexicon.amenity_stems = frozenset(
        stem(t, language) for w in _optional(module, "AMENITIES") for t in tokenize(normalize(w))
    )
    lexicon.asks_whether = _phrase_table(
        _optional(module, "ASKS_WHETHER"), CueKind.ASKS_WHETHER, language
    )
    lexicon.conditions = _phrase_table(_optional(module, "CONDITIONS"), CueKind.CONDITION, language)
    lexicon.condition_words = frozenset(
        normalize(text).split()[0] for text in _optional(module, "CONDITIONS")
    )
    lexicon.alternatives = frozenset(normalize(w) for w in _optional(module, "ALTERNATIVES"))


def _phrase_table(texts, intent: str, language: str) -> dict[str, list[Phrase]]:
    """Phrases by their first stem, longest first."""
    table: dict[str, list[Phrase]] = {}
    for text in texts:
        phrase = _compile_phrase(text, intent, True, language)
        if phrase.stems:
            table.setdefault(phrase.stems[0], []).append(phrase)
    for phrases in table.values():
        phrases.sort(key=lambda p: len(p.stems), reverse=True)
    return table


def _compile_shared_stems(lexicon: Lexicon, single_words: dict[str, dict[str, Phrase]]) -> None:
    for stem_, by_word in single_words.items():
        if len({p.intent for p in by_word.values()}) < 2:
            continue
        lexicon.shared_stems[stem_] = by_word
        phrases = list(by_word.values())
        lexicon.shared_stem_fallback[stem_] = next(
            (p for p in phrases if p.intent == CueKind.BLOCK), phrases[0]
        )


@dataclass(frozen=True, slots=True)
class Entries:
    """Entries added at run time to a language's module data (nlu.extension), shaped like it."""

    strong: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    weak: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    standalone: Mapping[str, str] = field(default_factory=dict)
    replies: Mapping[str, str] = field(default_factory=dict)

    def plus(self, more: Entries) -> Entries:
        return Entries(
            _phrases_plus(self.strong, more.strong),
            _phrases_plus(self.weak, more.weak),
            {**self.standalone, **more.standalone},
            {**self.replies, **more.replies},
        )


def _phrases_plus(phrases: Mapping[str, tuple[str, ...]], more: Mapping[str, Iterable[str]]):
    merged = dict(phrases)
    for intent, texts in more.items():
        merged[intent] = (*merged.get(intent, ()), *texts)
    return merged


def _language_data(language: str, added: Entries | None):
    """The language module, or its data with the added entries in."""
    module = import_module(f"nlu.lexicon.{language}")
    if added is None:
        return module
    data = SimpleNamespace(**{name: v for name, v in vars(module).items() if name.isupper()})
    data.STRONG = _phrases_plus(module.STRONG, added.strong)
    data.WEAK = _phrases_plus(module.WEAK, added.weak)
    data.STANDALONE = {**getattr(module, "STANDALONE", {}), **added.standalone}
    data.REPLIES = {**module.REPLIES, **added.replies}
    return data


def _check_against_the_table(language: str, module) -> None:
    """Every intent the data has cues for can be chosen, and every reply the table answers with
    is written in this language."""
    _check_cues(language, "STRONG", module.STRONG)
    _check_cues(language, "WEAK", module.WEAK)
    _check_cues(language, "STANDALONE", dict(_optional(module, "STANDALONE")).values())
    for row in TABLE.values():
        for key in row.template_keys:
            if key not in module.REPLIES:
                raise IntentTableError(
                    f"{language}: REPLIES has no '{key}' template, which the intent "
                    f"'{row.intent}' answers with"
                )


def _check_cues(where: str, source: str, intents: Iterable[str]) -> None:
    for intent in intents:
        row = TABLE.get(intent)
        if row is None or row.priority is None:
            missing = "row" if row is None else "priority"
            raise IntentTableError(
                f"{where}: {source} has cues for the intent '{intent}', which has no {missing} "
                "in the intent table (nlu.intents): it could never be chosen"
            )


def compile_lexicons(added: Mapping[str, Entries] | None = None) -> dict[str, Lexicon]:
    """Every language's lexicon from its module data (plus added entries), checked against the
    intent table; raises IntentTableError naming the language and the intent where they
    disagree."""
    _check_cues("every language", "UNIVERSAL_WORDS", (i for i, _ in UNIVERSAL_WORDS.values()))
    _check_cues("every language", "UNIVERSAL_EMOJI", UNIVERSAL_EMOJI.values())
    added = added or {}
    return {lang: _compile(lang, _language_data(lang, added.get(lang))) for lang in LANGUAGES}


def install(lexicons: dict[str, Lexicon]) -> None:
    """Put freshly compiled lexicons in place of the current ones (nlu.extension). The same six
    keys are replaced one by one, so a reader never finds a language missing."""
    LEXICONS.update(lexicons)
    _stem_without_enclitics.cache_clear()


LEXICONS: dict[str, Lexicon] = compile_lexicons()
