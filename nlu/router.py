"""The fast-lane intent router: what does this message want, and can we answer it ourselves?

Per message: normalize, tokenize, detect the language, fix a few typos against a bounded
vocabulary, find services (PriceIndex), find intent cues (stem-keyed phrases), then resolve.
When in doubt the answer is `other`: a wrong fast answer is worse than a slower right one.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from rapidfuzz import fuzz, process

from nlu.clock import find_time
from nlu.context import Topic, by_its_verb, in_context, with_quantity
from nlu.intents import CueKind, Intent, intents_where, priority_order
from nlu.language import candidate_languages, score_languages
from nlu.lexicon import (
    LANGUAGES,
    LEXICONS,
    MAX_GAP,
    SCRIPTS,
    UNIVERSAL_EMOJI,
    UNIVERSAL_WORDS,
    Lexicon,
)
from nlu.lexicon.context_words import PRICE_JUDGEMENTS
from nlu.lexicon.services import (
    GENERIC_SERVICE_WORDS,
    OTHER_DENTAL_SERVICES,
    SERVICE_STOPWORDS,
    SERVICE_SYNONYMS,
)
from nlu.text import clause_numbers, normalize, script_of, stem, tokenize
from nlu.translit import hebrew_from_latin, to_cyrillic

if TYPE_CHECKING:
    from nlu.catalog import PriceIndex

# What the router may read a message as: every intent but `faq`, which only the clinic's own FAQ
# decides (conversations.decide), after the router.
INTENTS = tuple(i for i in Intent if i != Intent.FAQ)

# Read from the intent table and the lexicons by derive_tables(), at import and again whenever
# nlu.extension changes either:
# - PRIORITY: intents and cue kinds in the order they win a message. The intent that matters
#   wins: a price question with a greeting is a price question; a cancel that says thanks is a
#   cancel.
# - SOCIAL, SHORT_ANSWERS, ADMINISTRATIVE, NEGATABLE_REQUESTS: the table's columns of those
#   names (see nlu.intents.IntentRow).
PRIORITY: tuple[str, ...]
SOCIAL: frozenset[str]
SHORT_ANSWERS: frozenset[str]
ADMINISTRATIVE: frozenset[str]
NEGATABLE_REQUESTS: frozenset[str]
# Phrases of these kinds have had their say once the LLM lane is ruled out.
PSEUDO_INTENTS = frozenset({CueKind.BLOCK, CueKind.SOFT_BLOCK, CueKind.NEUTRAL})
# A negation this many words before an opt-in cue reverses it ("не хочу снова получать").
NEGATION_REACH = 2
# Beyond this many words a message is a story, not a quick question: the LLM lane reads it.
LONG_MESSAGE_TOKENS = 20
# A greeting or a "yes" with more than this many unexplained words is saying something else.
SHORT_ANSWER_MAX_EXTRA_WORDS = 2
# A keyword that is an intent only alone ("BAJA") may carry a "please" or so around it.
STANDALONE_MAX_TOKENS = 4
# A time of day written as one word: "5pm", "17h", "10am".
_CLOCK_WORD = re.compile(r"\d{1,2}(?:[ap]m?|h|hs|ч)")
_FUZZY_MIN_LENGTH = 4
# Words a message spelled back from Latin letters may keep unexplained when all it asks is hello.
_TRANSLITERATED_MAX_UNEXPLAINED = 1
# A letter typed three times or more ("hiii", "привееет", "graciasss"); digits are numbers.
_STRETCHED = re.compile(r"([^\W\d_])\1{2,}")
# Similarity (0-100, Indel) a typo must reach: "сколко"/"сколько" 92 passes, "большое"/"больно" 77
# (a different word) does not.
_FUZZY_MIN_SIMILARITY = 85

_LANGUAGES_BY_SCRIPT = {
    script: tuple(lang for lang in LANGUAGES if SCRIPTS[lang] == script)
    for script in set(SCRIPTS.values())
}
# Every word the lexicons know, by script; the same words by the typos they can absorb
# (_fuzzy_choices_by_shape); derived endings by script (_derived_endings_by_script).
_KNOWN_WORDS_BY_SCRIPT: dict[str, frozenset[str]]
_FUZZY_CHOICES: dict[str, dict[tuple[str, int], tuple[str, ...]]]
_DERIVED_ENDINGS_BY_SCRIPT: dict[str, tuple[tuple[str, tuple[str, ...]], ...]]


def _known_words_by_script() -> dict[str, frozenset[str]]:
    return {
        script: frozenset().union(*(LEXICONS[lang].words for lang in langs))
        for script, langs in _LANGUAGES_BY_SCRIPT.items()
    }


def _fuzzy_choices_by_shape(words: Iterable[str]) -> dict[tuple[str, int], tuple[str, ...]]:
    """Known words by the (first letter, length) of the typos they can absorb.

    A typo may drop a letter or two or swap one ("helo", "сколко", "скілки"), never add one: a
    word longer than a known word is usually another word ("feels" is not "fees"). Patients
    rarely miss the first letter, and keying on it keeps each search to a few dozen candidates.
    """
    by_shape: dict[tuple[str, int], set[str]] = {}
    for word in words:
        if len(word) >= _FUZZY_MIN_LENGTH:
            for length in range(max(_FUZZY_MIN_LENGTH, len(word) - 2), len(word) + 1):
                by_shape.setdefault((word[0], length), set()).add(word)
    return {shape: tuple(sorted(ws)) for shape, ws in by_shape.items()}


def _derived_endings_by_script() -> dict[str, tuple[tuple[str, tuple[str, ...]], ...]]:
    """Diminutive endings of every language of a script, longest first: "limpiecita" may be
    typed by a Portuguese speaker too, and the plain word must be known anyway."""
    return {
        script: tuple(
            sorted(
                {d for lang in langs for d in LEXICONS[lang].derived_endings},
                key=lambda item: len(item[0]),
                reverse=True,
            )
        )
        for script, langs in _LANGUAGES_BY_SCRIPT.items()
    }


def _dental_service_stems() -> dict[str, frozenset[str]]:
    """Per language, the stems of words that name some dental service, offered or not."""
    texts = [OTHER_DENTAL_SERVICES]
    texts += [phrase for group in SERVICE_SYNONYMS for phrase in group if "..." not in phrase]
    words = {t for text in texts for t in tokenize(normalize(text))}
    words -= GENERIC_SERVICE_WORDS | SERVICE_STOPWORDS
    return {
        lang: frozenset(stem(w, lang) for w in words if script_of(w) == SCRIPTS[lang])
        for lang in LANGUAGES
    }


_DENTAL_SERVICE_STEMS = _dental_service_stems()


@dataclass(frozen=True, slots=True)
class Understanding:
    intent: str
    language: str
    service_codes: tuple[str, ...] = ()
    unknown_service: bool = False
    confident: bool = True
    # The words taken for the name of a service that is not on the price list ("виниры").
    unknown_term: str | None = None
    # How many of the service a price question asks about ("3 пломбы"), when more than one.
    quantity: int | None = None
    # The other fast-lane questions of a message that asks two ("how much is a cleaning and
    # where are you?"): answered after the first.
    also: tuple[str, ...] = ()

    @property
    def topic(self) -> Topic:
        """What the conversation is about after this message, for the next one to lean on."""
        return Topic(self.intent, self.service_codes)


@dataclass(frozen=True, slots=True)
class Cue:
    intent: str
    strong: bool
    positions: tuple[int, ...]


@dataclass(slots=True)
class Reading:
    """Everything the router learned about one message, before deciding."""

    tokens: list[str]
    language: str
    lexicon: Lexicon
    cues: list[Cue]
    service_codes: tuple[str, ...]
    leftover: list[str]
    # Words the data knows that took part in no cue ("fell" in "my crown fell off"): harmless
    # beside a cue, but they mean a bare service name is not just asking its price.
    idle: list[str] = field(default_factory=list)
    # Where each service was named: (first token, last token, code), in the message's order.
    named: tuple[tuple[int, int, str], ...] = ()
    stems: list[str] = field(default_factory=list)  # of the tokens, by the language's lexicon

    def asks_whether(self) -> bool:
        """Whether a phrase asks if something may or should be done ("can I", "posso")."""
        return bool(_match_starts(self.lexicon.asks_whether, self.stems))


def understand(
    text: str,
    *,
    catalog: PriceIndex | None,
    conversation_language: str | None = None,
    default_language: str = "ru",
    topic: Topic | None = None,
) -> Understanding:
    """`topic`: what the conversation's last message was about (Understanding.topic), which a
    short follow-up leans on ("а если два?", "and a crown?")."""
    fallback = conversation_language or _default_for_the_script(text, default_language)
    reading = read(text, catalog=catalog, fallback=fallback)
    understood = by_its_verb(decide(reading, text, catalog), reading, catalog)
    understood = with_quantity(understood, reading)
    return in_context(understood, reading, text, topic, catalog)


def _default_for_the_script(text: str, default_language: str) -> str:
    """The clinic's language, unless the first message is written in another script: "STOP"
    to a Hebrew clinic is English, "привет" Russian (the conversation's own language, once it
    has one, is kept for "ok" and "stop")."""
    letters = next((c for c in text if c.isalpha()), None)
    script = script_of(letters) if letters else "other"
    if script in _LANGUAGES_BY_SCRIPT and SCRIPTS[default_language] != script:
        return _LANGUAGES_BY_SCRIPT[script][0]
    return default_language


def read(text: str, *, catalog: PriceIndex | None, fallback: str) -> Reading:
    tokens = tokenize(normalize(text))
    if len(tokens) > LONG_MESSAGE_TOKENS:
        return _read_story(text, tokens, fallback)
    if _STRETCHED.search(text):
        tokens = [_unstretched(t, catalog) for t in tokens]
    spelled = _NOT_SPELLED_BACK
    if _mostly_foreign_to_latin_lexicons(tokens):
        # "zapishite menya na zavtra": spelled back first; when that explains every word, in
        # words its language knows, no Latin reading or typo search could do better.
        spelled = _read_transliterated(text, tokens, catalog, fallback)
        if spelled is not None and spelled.key < _EVERY_WORD_EXPLAINED:
            return spelled.reading
    reading = _read_in_likeliest_language(text, tokens, catalog, fallback)
    if spelled is _NOT_SPELLED_BACK and _may_be_transliterated(reading, fallback):
        spelled = _read_transliterated(text, tokens, catalog, fallback)
        if spelled is not None and spelled.key < _EVERY_WORD_EXPLAINED:
            return spelled.reading  # "privet skolko stoit koronka"
    # Only words nothing recognised can be typos; most messages have none and skip the search.
    if reading.leftover:
        corrected = correct_typos(tokens, catalog, only=set(reading.leftover))
        if corrected != tokens:
            reading = _read_in_likeliest_language(text, corrected, catalog, fallback)
    if _may_be_transliterated(reading, fallback):
        if spelled is _NOT_SPELLED_BACK:
            spelled = _read_transliterated(text, tokens, catalog, fallback)
        if spelled is not None and spelled.key < (len(reading.leftover), 0.0, False):
            return spelled.reading
    return reading


def _mostly_foreign_to_latin_lexicons(tokens: list[str]) -> bool:
    """Most words of three letters or more are no word of the Latin-script lexicons."""
    if len(tokens) < 2 or script_of(tokens[0]) != "latin":
        return False
    latin = _KNOWN_WORDS_BY_SCRIPT["latin"]
    words = [t for t in tokens if len(t) >= 3 and t.isascii() and t.isalpha()]
    if len(words) < 2 or len(words) < len(tokens) / 2:
        return False
    known_enough = len(words) * _SPELLED_BACK_MIN_KNOWN
    known = 0
    for word in words:
        known += word in latin
        if known >= known_enough:
            return False
    return True


def _may_be_transliterated(reading: Reading, fallback: str) -> bool:
    """Latin letters that ask nothing a Latin-script lexicon understands, with words it does
    not know ("skolko stoit", "kama ole") or in a conversation held in another script ("a de
    vy?" in Ukrainian, whose every word may be Spanish)."""
    if SCRIPTS[reading.language] != "latin" or not _says_nothing_but_hello(reading):
        return False
    return bool(reading.leftover) or SCRIPTS[fallback] != "latin"


def _unstretched(token: str, catalog: PriceIndex | None) -> str:
    """ "hiii" -> "hi", "goood" -> "good", "привееет" -> "привет": a letter held down is typed
    three times or more; the word is the known one of its forms with that letter twice or once."""
    if not _STRETCHED.search(token):
        return token
    twice, once = _STRETCHED.sub(r"\1\1", token), _STRETCHED.sub(r"\1", token)
    return twice if _is_known_word(twice, catalog) else once


def _is_known_word(word: str, catalog: PriceIndex | None) -> bool:
    script = script_of(word)
    if word in UNIVERSAL_WORDS or (catalog is not None and catalog.knows(word)):
        return True
    return script in _KNOWN_WORDS_BY_SCRIPT and word in _KNOWN_WORDS_BY_SCRIPT[script]


def _says_nothing_but_hello(reading: Reading) -> bool:
    return all(cue.intent in SOCIAL for cue in reading.cues)


_NOT_SPELLED_BACK = object()  # not tried yet (None: tried, and no spelling back fits)
# The key of a spelling back that explains every word in words its language knows.
_EVERY_WORD_EXPLAINED = (0, 0.0, False)


@dataclass(frozen=True, slots=True)
class _SpelledBack:
    reading: Reading
    # (words left unexplained, minus the weight of the words the language knows, whether it is
    # not the conversation's language): the lowest is the likeliest, the Latin reading's being
    # (its words left unexplained, 0, False).
    key: tuple[int, float, bool]


def _read_transliterated(
    text: str, tokens: list[str], catalog: PriceIndex | None, fallback: str
) -> _SpelledBack | None:
    """Russian, Ukrainian or Hebrew in Latin letters ("skolko stoit implant", "kama ole
    stima"): the likeliest spelling back, or None. Russian and Ukrainian spelled alike ("tak",
    "mozhna") go by the words each language knows, then by the conversation's language; a
    follow-up that asks nothing by itself ("a esli 2?") is taken when it explains every word."""
    best = None
    for language, spelled in _spelled_back(tokens, catalog):
        # Chat Latin drops letters ("skolko" -> "сколко"): typos are fixed before the one
        # reading, as only unknown words need it.
        reading = _read_as(language, correct_typos(spelled, catalog), text, catalog)
        if not (reading.cues or reading.service_codes or not reading.leftover):
            continue
        if len(reading.leftover) > _TRANSLITERATED_MAX_UNEXPLAINED and _says_nothing_but_hello(
            reading
        ):
            continue  # "hay aparcamiento cerca": "хай" is a greeting, the rest is not Russian
        words = score_languages("", reading.tokens, SCRIPTS[language]).get(language, 0.0)
        key = (len(reading.leftover), -words, language != fallback)
        if best is None or key < best.key:
            best = _SpelledBack(reading, key)
    return best


def _spelled_back(tokens: list[str], catalog: PriceIndex | None) -> Iterable[tuple[str, list[str]]]:
    cyrillic = {
        language: [to_cyrillic(t, language) if t.isascii() else t for t in tokens]
        for language in ("ru", "uk")
    }
    known = {
        language: _known_share(spelled, language, catalog) for language, spelled in cyrillic.items()
    }
    most = max(known.values())
    for language, spelled in cyrillic.items():
        # Russian or Ukrainian, whichever spelling knows clearly more words as it stands; both
        # when they know about as many ("tak", "mozhna", "perenesit mene").
        if known[language] >= max(most - _SPELLED_BACK_MARGIN, _SPELLED_BACK_MIN_KNOWN):
            yield language, spelled
    hebrew = hebrew_from_latin(tokens)
    if hebrew is not None:
        yield "he", hebrew


# Of the words of three letters or more, the share a spelling back must know as they stand
# (before any typo search) to be read at all: "privet skolko stoit" knows two of three,
# "gracias, ya pediré otra" none.
_SPELLED_BACK_MIN_KNOWN = 0.25
# Russian and Ukrainian spellings whose known shares are this close are both read.
_SPELLED_BACK_MARGIN = 0.25


def _known_share(spelled: list[str], language: str, catalog: PriceIndex | None) -> float:
    """The share of the words of three letters or more the language knows as they stand."""
    words = [w for w in spelled if len(w) >= 3 and not w.isdigit()]
    if len(words) <= 1:
        return 1.0  # "a de vy?", "zdravstvuite": one reading, cheap; the typo search decides
    lexicon = LEXICONS[language]
    known = sum(_is_known_word(w, catalog) or lexicon.stem(w) in lexicon.stems for w in words)
    return known / len(words)


def _read_in_likeliest_language(
    text: str, tokens: list[str], catalog: PriceIndex | None, fallback: str
) -> Reading:
    languages = candidate_languages(text, tokens, fallback)
    readings = (_read_as(lang, tokens, text, catalog) for lang in languages)
    first = next(readings)
    # Words shared by two languages ("cancelar", "так") can tie; the first language whose
    # phrases actually match the message is the one it is written in.
    return first if first.cues else next((r for r in readings if r.cues), first)


def _read_story(text: str, tokens: list[str], fallback: str) -> Reading:
    """A story goes to the LLM lane whatever it says; only its language and an opt-out matter."""
    language = candidate_languages(text, tokens, fallback)[0]
    lexicon = LEXICONS[language]
    stems = [lexicon.stem(t) for t in tokens]
    opt_outs = [c for c in find_cues(tokens, stems, lexicon, set()) if c.intent == Intent.OPT_OUT]
    return Reading(tokens, language, lexicon, opt_outs, (), [], stems=stems)


def _read_as(language: str, tokens: list[str], text: str, catalog: PriceIndex | None) -> Reading:
    lexicon = LEXICONS[language]
    if not lexicon.abbreviations.keys().isdisjoint(tokens):
        # Word for word, so positions stay put: "vcs" -> "voces", "pls" -> "please".
        tokens = [lexicon.abbreviations.get(t, t) for t in tokens]
    stems = [lexicon.stem(t) for t in tokens]
    mentions = catalog.mentions(tokens, language) if catalog else []
    if mentions:
        mentions, cues = _services_and_cues(tokens, stems, lexicon, mentions)
    else:
        cues = find_cues(tokens, stems, lexicon, set())
    service_positions = {p for m in mentions for p in m.positions}
    cues += prefix_cues(tokens, lexicon, service_positions.union(*(c.positions for c in cues)))
    cues = _negated_opt_ins_as_opt_outs(cues, tokens, lexicon)
    cues = _negated_requests_to_llm(cues, tokens, lexicon, text) + emoji_cues(text)
    if not cues and len(tokens) <= STANDALONE_MAX_TOKENS and not mentions:
        cues = _standalone_cues(tokens, lexicon)
    used = service_positions.union(*(c.positions for c in cues))
    words = [t for i, t in enumerate(tokens) if i not in used and _is_word(t, lexicon)]
    leftover = [t for t in words if lexicon.stem(t) not in lexicon.stems]
    idle = [t for t in words if lexicon.stem(t) in lexicon.stems]
    named = tuple((m.positions[0], m.positions[-1], m.codes[0]) for m in mentions)
    if leftover and catalog and max(map(len, leftover)) >= catalog.compound_min_length:
        named, leftover = _with_compounds(tokens, language, catalog, named, leftover)
    codes = tuple(dict.fromkeys(code for _, _, code in named))
    return Reading(tokens, language, lexicon, cues, codes, leftover, idle, named, stems)


def _with_compounds(
    tokens: Sequence[str],
    language: str,
    catalog: PriceIndex,
    named: tuple[tuple[int, int, str], ...],
    leftover: list[str],
) -> tuple[tuple[tuple[int, int, str], ...], list[str]]:
    """Where services are named and the leftover once unexplained compound words are read
    ("профчистку": проф + чистку names the cleaning), in the order the message names them."""
    compounds = {t: catalog.compound(t, language) for t in leftover}
    more = [(i, i, compounds[t][0]) for i, t in enumerate(tokens) if compounds.get(t)]
    return tuple(sorted((*named, *more))), [t for t in leftover if not compounds[t]]


def _services_and_cues(
    tokens: Sequence[str], stems: Sequence[str], lexicon: Lexicon, mentions: list
) -> tuple[list, list[Cue]]:
    """Service names and intent phrases, where a phrase of several words outranks a service
    named by one word: "удалите мой номер" is an opt-out though "удалите" alone names an
    extraction. A one-word cue never takes a service's word."""
    service_positions = {p for m in mentions for p in m.positions}
    single = {m.positions[0] for m in mentions if len(m.positions) == 1}
    cues = find_cues(tokens, stems, lexicon, service_positions - single)
    phrase_positions = {p for c in cues if len(c.positions) > 1 for p in c.positions}
    if single.isdisjoint(phrase_positions):
        return mentions, [c for c in cues if service_positions.isdisjoint(c.positions)]
    mentions = [m for m in mentions if phrase_positions.isdisjoint(m.positions)]
    service_positions = {p for m in mentions for p in m.positions}
    return mentions, [c for c in cues if service_positions.isdisjoint(c.positions)]


def _without_durations(cues: list[Cue], tokens: Sequence[str], lexicon: Lexicon) -> list[Cue]:
    """ "for 6 hours", "a few hours": an hours word after a number is a duration, not a
    question about the opening hours."""
    return [
        c
        for c in cues
        if not (
            c.intent == Intent.CLINIC_INFO
            and c.positions
            and c.positions[0] > 0
            and _is_quantity(tokens[c.positions[0] - 1], lexicon)
        )
    ]


def _is_quantity(token: str, lexicon: Lexicon) -> bool:
    return token.isdigit() or token in lexicon.quantity_words


def _standalone_cues(tokens: Sequence[str], lexicon: Lexicon) -> list[Cue]:
    """ "BAJA", "baja por favor": a keyword that is an intent only as the whole message."""
    if lexicon.standalone.keys().isdisjoint(tokens):
        return []
    content = [i for i, t in enumerate(tokens) if t not in lexicon.stopwords]
    if len(content) != 1 or tokens[content[0]] not in lexicon.standalone:
        return []
    return [Cue(lexicon.standalone[tokens[content[0]]], True, (content[0],))]


def _is_word(token: str, lexicon: Lexicon) -> bool:
    """A word that says something: not a function word, number, time or service filler."""
    if token.isdigit() or len(token) < (2 if lexicon.language == "he" else 3):
        return False
    if _CLOCK_WORD.fullmatch(token):  # "8am is too early": the time is understood, not unknown
        return False
    if token in lexicon.stopwords or token in SERVICE_STOPWORDS or token in GENERIC_SERVICE_WORDS:
        return False
    return token not in UNIVERSAL_WORDS and token not in lexicon.hour_suffixes


def correct_typos(
    tokens: list[str], catalog: PriceIndex | None, only: set[str] | None = None
) -> list[str]:
    """Replace words that are a letter or two off a known word ("сколко" -> "сколько"), or a
    diminutive of one ("limpiecita" -> "limpieza")."""
    return [
        (_plain_word(t, catalog) or _closest_known_word(t, catalog) or t)
        if (only is None or t in only) and _needs_correction(t, catalog)
        else t
        for t in tokens
    ]


def _needs_correction(token: str, catalog: PriceIndex | None) -> bool:
    script = script_of(token)
    if script == "other" or len(token) < _FUZZY_MIN_LENGTH:
        return False
    if token in _KNOWN_WORDS_BY_SCRIPT[script]:
        return False
    if any(stem(token, lang) in LEXICONS[lang].stems for lang in _LANGUAGES_BY_SCRIPT[script]):
        return False  # an inflected form of a known word ("перенесемо")
    return not (catalog and catalog.knows(token))


def _plain_word(token: str, catalog: PriceIndex | None) -> str | None:
    """The known word a diminutive is made from: "limpiecita" -> "limpieza"."""
    script = script_of(token)
    for ending, plain_endings in _DERIVED_ENDINGS_BY_SCRIPT[script]:
        root = token[: -len(ending)]
        if not token.endswith(ending) or len(root) < 3:
            continue
        for plain_ending in plain_endings:
            word = root + plain_ending
            if word in _KNOWN_WORDS_BY_SCRIPT[script] or (catalog and catalog.knows(word)):
                return word
    return None


def _closest_known_word(token: str, catalog: PriceIndex | None) -> str | None:
    best: tuple[float, str] | None = None
    shape = (token[0], len(token))
    choices_lists = [_FUZZY_CHOICES[script_of(token)].get(shape, ())]
    if catalog:
        choices_lists.append(catalog.fuzzy_choices.get(shape, ()))
    for choices in choices_lists:
        if not choices:
            continue
        hits = process.extract(
            token, choices, scorer=fuzz.ratio, score_cutoff=_FUZZY_MIN_SIMILARITY, limit=2
        )
        if not hits:
            continue
        if len(hits) == 2 and hits[0][1] == hits[1][1] and hits[0][0] != hits[1][0]:
            continue  # two equally close words: guessing would be worse than not knowing
        if best is None or hits[0][1] > best[0]:
            best = (hits[0][1], hits[0][0])
    return best[1] if best else None


def find_cues(
    tokens: Sequence[str], stems: Sequence[str], lexicon: Lexicon, taken: set[int]
) -> list[Cue]:
    """Intent phrases in the message, longest first at each word; a word serves one phrase."""
    consumed = set(taken)
    present = frozenset(stems)
    cues: list[Cue] = []
    for i in range(len(stems)):
        if i in consumed:
            continue
        cue = _phrase_cue_at(i, tokens, stems, present, lexicon, consumed) or _universal_cue_at(
            i, tokens
        )
        if cue:
            cues.append(cue)
            consumed.update(cue.positions)
    return cues


def _phrase_cue_at(
    i: int,
    tokens: Sequence[str],
    stems: Sequence[str],
    present: frozenset[str],
    lexicon: Lexicon,
    consumed: set[int],
) -> Cue | None:
    for phrase in lexicon.phrases_by_first_stem.get(stems[i], ()):
        if len(phrase.stems) == 1:
            shared = lexicon.shared_stems.get(stems[i])
            if shared is not None:  # uk "ясно" (clear) / "ясна" (gums): the word decides
                phrase = shared.get(tokens[i]) or lexicon.shared_stem_fallback[stems[i]]
            return Cue(phrase.intent, phrase.strong, (i,))
        if not present.issuperset(phrase.stems):
            continue
        positions = _phrase_positions(phrase, i, stems, consumed)
        if positions:
            return Cue(phrase.intent, phrase.strong, positions)
    return None


def _phrase_positions(
    phrase, i: int, stems: Sequence[str], consumed: set[int]
) -> tuple[int, ...] | None:
    positions = [i]
    for k in range(1, len(phrase.stems)):
        last = positions[-1]
        end = min(len(stems), last + 2 + (MAX_GAP if phrase.gaps[k] else 0))
        found = next(
            (j for j in range(last + 1, end) if stems[j] == phrase.stems[k] and j not in consumed),
            None,
        )
        if found is None:
            return None
        positions.append(found)
    return tuple(positions)


def _universal_cue_at(i: int, tokens: Sequence[str]) -> Cue | None:
    entry = UNIVERSAL_WORDS.get(tokens[i])
    return Cue(entry[0], entry[1] == "strong", (i,)) if entry else None


def prefix_cues(tokens: Sequence[str], lexicon: Lexicon, taken: set[int]) -> list[Cue]:
    """LLM-lane words found by their beginning ("страхов" in "страховыми").

    A hard topic counts even where another phrase took the word: "почему" stems like the price
    word "почем", and "почему так дорого?" must not get the price list."""
    if not lexicon.block_prefixes and not lexicon.soft_block_prefixes:
        return []
    cues = []
    for i, token in enumerate(tokens):
        if token.startswith(lexicon.block_prefixes):
            cues.append(Cue(CueKind.BLOCK, True, (i,)))
        elif i not in taken and token.startswith(lexicon.soft_block_prefixes):
            cues.append(Cue(CueKind.SOFT_BLOCK, True, (i,)))
    return cues


def _negated_opt_ins_as_opt_outs(cues: list[Cue], tokens: Sequence[str], lexicon: Lexicon):
    """ "не хочу снова получать напоминания", "no quiero volver a recibir mensajes": an opt-in
    phrase with a negation just before it says the opposite."""
    if all(c.intent != Intent.OPT_IN for c in cues):
        return cues
    return [
        Cue(Intent.OPT_OUT, c.strong, c.positions)
        if c.intent == Intent.OPT_IN and c.positions and _negated(c.positions[0], tokens, lexicon)
        else c
        for c in cues
    ]


def _negated_requests_to_llm(
    cues: list[Cue], tokens: Sequence[str], lexicon: Lexicon, text: str
) -> list[Cue]:
    """ "I'm not cancelling, just asking...", "не надо отменять": a request said with a negation
    just before it is not that request, and what it is instead is for the LLM lane to read.
    A negation that is an answer of its own ("No, cancel it") does not count."""
    if NEGATABLE_REQUESTS.isdisjoint(c.intent for c in cues):
        return cues
    return [
        Cue(CueKind.BLOCK, True, c.positions)
        if c.intent in NEGATABLE_REQUESTS
        and c.positions
        and _negated(c.positions[0], tokens, lexicon)
        and not _negation_is_an_answer(c.positions[0], tokens, lexicon, text)
        else c
        for c in cues
    ]


def _negation_is_an_answer(
    position: int, tokens: Sequence[str], lexicon: Lexicon, text: str
) -> bool:
    """Whether a punctuation mark parts the negation from the request: "no, cancel it", "я не
    приду, отмените запись". Without one ("не надо отменять") the negation is the request's."""
    before = tokens[max(0, position - NEGATION_REACH) : position]
    normalized = normalize(text)
    return all(
        not re.search(
            rf"(?<!\w){re.escape(word)}(?!\w)[^,.!?;:]*?(?<!\w){re.escape(tokens[position])}",
            normalized,
        )
        for word in before
        if word in lexicon.negations
    )


def _negated(position: int, tokens: Sequence[str], lexicon: Lexicon) -> bool:
    before = tokens[max(0, position - NEGATION_REACH) : position]
    return not lexicon.negations.isdisjoint(before)


def emoji_cues(text: str) -> list[Cue]:
    return [Cue(intent, False, ()) for emoji, intent in UNIVERSAL_EMOJI.items() if emoji in text]


def decide(reading: Reading, text: str, catalog: PriceIndex | None = None) -> Understanding:
    language = reading.language
    strong = {c.intent for c in reading.cues if c.strong}
    weak = {c.intent for c in reading.cues if not c.strong}
    if Intent.CLINIC_INFO in strong or Intent.CLINIC_INFO in weak:
        cues = _without_durations(reading.cues, reading.tokens, reading.lexicon)
        strong = {c.intent for c in cues if c.strong}
        weak = {c.intent for c in cues if not c.strong}
    if CueKind.RESCHEDULE_TO in weak:
        # "pásenla para el lunes" moves the visit; "puedo pasar para una limpieza" books one.
        weak.discard(CueKind.RESCHEDULE_TO)
        moves = not reading.service_codes and _names_a_day_or_time(reading, text)
        weak.add(Intent.RESCHEDULE if moves else Intent.BOOK)
    if _goes_to_llm_lane(reading, strong, catalog):
        return Understanding(Intent.OTHER, language)
    strong -= PSEUDO_INTENTS
    candidates = _candidates(strong, weak)
    if reading.service_codes and not candidates - SOCIAL and not (reading.leftover or reading.idle):
        candidates.add(Intent.PRICE_QUERY)  # just naming a service ("Пломба?") asks its price
    if _contradicts_itself(candidates, strong):
        return Understanding(Intent.OTHER, language, confident=False)
    if Intent.DECLINE in candidates:
        asked_next = _asked_after_a_no(reading, text)
        if asked_next is not None:
            return _price_understanding(asked_next, catalog)
    intent = next((i for i in PRIORITY if i in candidates), None)
    if intent is None:
        return Understanding(Intent.OTHER, language)
    if intent in _BOOKING_ACTIONS and _requested_only_if(intent, reading, text):
        # "what if I cancel an hour before?", "אם אני מבטל תור יש קנס?": a question about it.
        return Understanding(Intent.OTHER, language, confident=False)
    if _asks_besides_the_appointment(intent, candidates):
        # "how much is an implant, and can I come tomorrow?": the booking lane would answer
        # half of it; the LLM lane reads both.
        return Understanding(Intent.OTHER, language, confident=False)
    if intent == Intent.BOOK:
        # What to book, when named: the booking lane reads the day and the time itself.
        return Understanding(intent, language, service_codes=reading.service_codes)
    if intent not in ADMINISTRATIVE and (reading.named or intent in SHORT_ANSWERS):
        asked = _asks_whether(reading, text)
        if asked is not None and not _asked_by_a_cue(intent, strong, weak):
            return Understanding(Intent.OTHER, language, confident=False)
        if asked is not None and asked.conditioned and intent == Intent.PRICE_QUERY:
            # "how much is whitening if I have crowns?": the price of the whitening only
            reading = _without_services_in(reading, asked.conditioned)
            if not reading.service_codes:
                return Understanding(Intent.OTHER, language, confident=False)
    if _asks_about_an_amenity(intent, reading):
        return Understanding(Intent.OTHER, language, confident=False)
    if not _says_only_that(intent, strong, reading, catalog):
        return Understanding(Intent.OTHER, language, confident=False)
    if intent == Intent.PRICE_QUERY and _only_judges_a_price(reading, catalog):
        return Understanding(Intent.OTHER, language)  # "that's too expensive": a comment
    if intent == Intent.PRICE_QUERY:
        if catalog is not None and _names_a_child(reading.tokens, reading.lexicon):
            reading = replace(reading, service_codes=_for_children(reading.service_codes, catalog))
        understood = _price_understanding(reading, catalog)
        if understood.intent == Intent.PRICE_QUERY and Intent.CLINIC_INFO in strong | weak:
            # "how much is a cleaning and where are you?": both are answered, the price first.
            return replace(understood, also=(Intent.CLINIC_INFO,))
        return understood
    return Understanding(intent, language)


# Questions the fast lane answers beside each other; and the booking lane's requests, which
# answer nothing else.
_FAST_QUESTIONS = frozenset({Intent.PRICE_QUERY, Intent.CLINIC_INFO})
_BOOKING_REQUESTS = frozenset({Intent.BOOK, Intent.APPOINTMENTS})


def _only_judges_a_price(reading: Reading, catalog: PriceIndex | None) -> bool:
    """ "Expensive!" without a service: every price cue is a word that judges a price."""
    if reading.service_codes:
        return False
    if any(_names_a_dental_service(reading, t, catalog) for t in reading.leftover):
        return False  # "дорого у вас виниры?": a service we lack, said at once
    cues = [c for c in reading.cues if c.intent == Intent.PRICE_QUERY]
    return bool(cues) and all(
        normalize(reading.tokens[p]) in PRICE_JUDGEMENTS for c in cues for p in c.positions[:1]
    )


_BOOKING_ACTIONS = frozenset({Intent.BOOK, Intent.CANCEL, Intent.RESCHEDULE})


def _requested_only_if(intent: str, reading: Reading, text: str) -> bool:
    """Whether every cue of the intent follows an "if" in its clause ("si cancelo...")."""
    starts = [c.positions[0] for c in reading.cues if c.intent == intent and c.positions]
    if not starts or reading.lexicon.condition_words.isdisjoint(reading.tokens):
        return False
    clauses = _clauses(text, reading.tokens)
    spans = _condition_clauses(reading, reading.stems, clauses)
    return all(any(i < p and clauses[i] == clauses[p] for i, _ in spans) for p in starts)


def _asked_after_a_no(reading: Reading, text: str) -> Reading | None:
    """ "no, canal não quero. e extração quanto é?", "nah, and a cleaning?": a no to what was
    offered, then a price question about another service. The reading of that question, or
    None when nothing is asked after the no."""
    no_at = max(p for c in reading.cues if c.intent == Intent.DECLINE for p in c.positions or (-1,))
    after = tuple(dict.fromkeys(code for first, _, code in reading.named if first > no_at))
    if not after:
        return None
    price_asked = any(
        c.intent == Intent.PRICE_QUERY and c.positions and c.positions[0] > no_at
        for c in reading.cues
    )
    if not (price_asked or text.rstrip().endswith("?")):
        return None
    return replace(reading, service_codes=after)


def _asks_besides_the_appointment(intent: str, candidates: set[str]) -> bool:
    """A booking request that also asks a price or the address."""
    return intent in _BOOKING_REQUESTS and bool(candidates & _FAST_QUESTIONS)


@dataclass(frozen=True, slots=True)
class Asked:
    """Why a message reads as asking whether a procedure may or should be done."""

    # Positions of the services named inside a conditional clause ("if I have crowns").
    conditioned: frozenset[int]


def _asked_by_a_cue(intent: str, strong: set[str], weak: set[str]) -> bool:
    """A price question asked in words ("can I get a price for whitening?") stays one; a price
    question read from a bare service name ("whitening with crowns?") does not."""
    return intent == Intent.PRICE_QUERY and intent in (strong | weak)


def _asks_whether(reading: Reading, text: str) -> Asked | None:
    """Whether the message asks if a procedure may or should be done, or which of two (the
    LLM lane's questions), rather than its price or a plain "yes":

    - a may/should question ("can I", "puedo", "можно ли", "אפשר") about a service, a dental
      word or a condition: "Can I whiten my teeth if I have crowns?", "do I need a crown?";
    - a service named in a conditional clause: "blanqueamiento si tengo coronas?";
    - two services set side by side: "коронка или пломба?", "whitening with crowns?".

    None when it does none of these; else what the price answer, if a price cue asked for one,
    must leave out. The lists are per-language data (lexicon ASKS_WHETHER, CONDITIONS,
    ALTERNATIVES).
    """
    lexicon = reading.lexicon
    tokens = reading.tokens
    stems = reading.stems
    spans: list[tuple[int, int]] = []
    if not lexicon.condition_words.isdisjoint(tokens):
        spans = _condition_clauses(reading, stems, _clauses(text, tokens))
    conditioned = {p for p, _, _ in reading.named if any(s <= p < e for s, e in spans)}
    if conditioned:
        return Asked(frozenset(conditioned))
    if any(_answers_in(reading, start) for start, _ in spans):
        return Asked(frozenset())  # es "si tengo coronas": "if", not a "yes" without its accent
    if _sets_services_side_by_side(reading):
        return Asked(frozenset())
    asking = _match_starts(lexicon.asks_whether, stems)
    if not asking:
        return None
    if reading.named or _names_dental_words(reading, stems):
        return Asked(frozenset())
    # "is it ok if I come at 9?" asks; "да, если можно, в 10" (yes, if possible) answers.
    if any(not s <= i < e for i in asking for s, e in spans):
        return Asked(frozenset())
    return None


def _answers_in(reading: Reading, position: int) -> bool:
    """Whether a short answer's cue ("si" = "sí") was read from the word that opens a condition."""
    return any(c.intent in SHORT_ANSWERS and position in c.positions for c in reading.cues)


def _clauses(text: str, tokens: Sequence[str]) -> list[int]:
    numbers = clause_numbers(normalize(text))
    # Tokens are the text's own, word for word; a message they do not line up with is one clause.
    return numbers if len(numbers) == len(tokens) else [0] * len(tokens)


def _condition_clauses(
    reading: Reading, stems: Sequence[str], clauses: Sequence[int]
) -> list[tuple[int, int]]:
    """[start, end) of each conditional clause: from its "if" to the next punctuation mark or the
    next intent cue ("if I have crowns how much is whitening"). An "if" parted from its own
    words by a comma ("si, me viene bien") opens none."""
    cue_starts = sorted(c.positions[0] for c in reading.cues if c.positions)
    spans = []
    for i in range(len(stems)):
        if reading.tokens[i] not in reading.lexicon.condition_words:
            continue
        for phrase in reading.lexicon.conditions.get(stems[i], ()):
            positions = _phrase_positions(phrase, i, stems, set())
            if positions is None or clauses[positions[-1]] != clauses[i]:
                continue
            end = next((j for j in range(i, len(stems)) if clauses[j] != clauses[i]), len(stems))
            spans.append((i, min((end, *(c for c in cue_starts if c > positions[-1])))))
            break
    return spans


def _sets_services_side_by_side(reading: Reading) -> bool:
    """ "crown or filling?", "чистка с отбеливанием?": an "or" or a "with" between two
    different services."""
    alternatives = reading.lexicon.alternatives
    named = reading.named
    if len({code for _, _, code in named}) < 2 or alternatives.isdisjoint(reading.tokens):
        return False
    for (_, first_end, first), (second_start, _, second) in zip(named, named[1:], strict=False):
        if first != second and not alternatives.isdisjoint(
            reading.tokens[first_end + 1 : second_start]
        ):
            return True
    return False


def _match_starts(table: dict, stems: Sequence[str]) -> list[int]:
    """Where phrases of the table begin in the message."""
    if table.keys().isdisjoint(stems):
        return []
    return [
        i
        for i, s in enumerate(stems)
        if any(_phrase_positions(p, i, stems, set()) is not None for p in table.get(s, ()))
    ]


def _names_dental_words(reading: Reading, stems: Sequence[str]) -> bool:
    dental = _DENTAL_SERVICE_STEMS[reading.language]
    return not dental.isdisjoint(stems)


def _without_services_in(reading: Reading, positions: frozenset[int]) -> Reading:
    named = tuple(n for n in reading.named if n[0] not in positions)
    codes = tuple(dict.fromkeys(code for _, _, code in named))
    return replace(reading, named=named, service_codes=codes)


def _goes_to_llm_lane(reading: Reading, strong: set[str], catalog: PriceIndex | None) -> bool:
    """Hard topics (pain, insurance, after-care, "how long", complaints) always; soft ones
    (doctor, children, "do you treat") unless the message plainly asks the price of a dental
    service, listed ("сколько стоит лечение у врача, пломба?") or not ("сколько стоит лечение
    каналов?", answered at once with "we don't do that")."""
    if CueKind.BLOCK in strong:
        return True
    if len(reading.tokens) > LONG_MESSAGE_TOKENS and Intent.OPT_OUT not in strong:
        return True
    if CueKind.SOFT_BLOCK not in strong or strong & ADMINISTRATIVE:
        return False
    if Intent.PRICE_QUERY not in strong:
        return True
    if reading.service_codes:
        return False
    leftover = reading.leftover
    return not leftover or not all(_names_a_dental_service(reading, t, catalog) for t in leftover)


def _asks_about_an_amenity(intent: str, reading: Reading) -> bool:
    """ "how much is the parking?", "is there parking?": neither the price list nor the clinic
    card (address, hours, phone) answers about something at the clinic that is no service."""
    if intent == Intent.PRICE_QUERY:
        return not reading.service_codes and _names_an_amenity(reading)
    return intent == Intent.CLINIC_INFO and _names_an_amenity(reading)


def _names_an_amenity(reading: Reading) -> bool:
    amenities = reading.lexicon.amenity_stems
    return bool(amenities) and any(reading.lexicon.stem(t) in amenities for t in reading.tokens)


def _names_a_day_or_time(reading: Reading, text: str) -> bool:
    time_stems = reading.lexicon.time_stems
    if any(reading.lexicon.stem(t) in time_stems for t in reading.tokens):
        return True
    return find_time(normalize(text), reading.tokens, reading.lexicon) is not None


def _says_only_that(
    intent: str, strong: set[str], reading: Reading, catalog: PriceIndex | None
) -> bool:
    """Whether the rest of the message leaves the intent standing.

    A short answer ("да", "ok") may carry a couple of extra words. An intent read only from a weak
    cue ("сколько", "работаете") needs every other word explained: "через сколько можно есть
    после пломбы" and "вы работаете с детьми" ask something else. "Are you working?" may still
    name a day or a time ("работаете в субботу?"), "how much?" a service we lack ("виниры
    сколько?").
    """
    leftover = reading.leftover
    if intent in SHORT_ANSWERS:
        return len(leftover) <= SHORT_ANSWER_MAX_EXTRA_WORDS
    if intent == Intent.CLINIC_INFO and intent not in strong and reading.service_codes:
        return False  # "вы работаете с имплантами?", "ви працюєте з дитячими зубами?"
    if intent in strong or not leftover:
        return True
    if intent in (Intent.CLINIC_INFO, Intent.RESCHEDULE):
        # "вы работаете в субботу?", "pásenla para la semana que viene", "move me to 5pm"
        time_stems = reading.lexicon.time_stems
        return all(
            reading.lexicon.stem(t) in time_stems or _CLOCK_WORD.fullmatch(t) for t in leftover
        )
    if intent == Intent.PRICE_QUERY:
        return all(_names_a_dental_service(reading, t, catalog) for t in leftover)
    return False


def _candidates(strong: set[str], weak: set[str]) -> set[str]:
    if strong - SOCIAL:
        return set(strong)
    candidates = strong | weak
    if Intent.THANKS in candidates:
        candidates.discard(Intent.CONFIRM)  # "ок, спасибо" is a thank-you, not a confirmation
    return candidates


def _contradicts_itself(candidates: set[str], strong: set[str]) -> bool:
    # An opt-in next to an opt-out is not a contradiction: the opt-out wins (PRIORITY), since
    # writing to someone who said stop is worse than missing a "write to me again".
    return {Intent.CONFIRM, Intent.DECLINE} <= strong


# "6yo's" -> "yo", "children's" -> "children": the child word inside an age or a possessive.
_CHILD_WORD_AFFIXES = re.compile(r"^\d+|'s$")
_CHILDREN_VARIANTS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _names_a_child(tokens: Sequence[str], lexicon: Lexicon) -> bool:
    child_stems = lexicon.child_stems
    return bool(child_stems) and any(
        lexicon.stem(_CHILD_WORD_AFFIXES.sub("", t)) in child_stems for t in tokens
    )


def _for_children(codes: tuple[str, ...], catalog: PriceIndex) -> tuple[str, ...]:
    """The clinic's service for children in place of the adult one it is a kind of: "how much
    for my 6yo's checkup" asks the children's check-up, not the adult consultation."""
    variants = _children_variants(catalog)
    return tuple(dict.fromkeys(variants.get(code, code) for code in codes))


def _children_variants(catalog: PriceIndex) -> dict[str, str]:
    """adult service code -> children's service code, for each service whose names name a
    child and, without the child words, another service ("Children's check-up": a check-up,
    the consultation). Computed once per price list."""
    variants = _CHILDREN_VARIANTS.get(catalog)
    if variants is None:
        variants = {}
        for entry in catalog:
            for code in _adult_kinds(entry, catalog):
                variants.setdefault(code, entry.code)
        _CHILDREN_VARIANTS[catalog] = variants
    return variants


def _adult_kinds(entry, catalog: PriceIndex) -> set[str]:
    """The other services a children's service's names name once the child words are out."""
    kinds: set[str] = set()
    texts = [(lang, name) for lang, name in entry.names.items() if lang in LEXICONS]
    texts += [(None, alias) for alias in entry.aliases]
    for lang, text in texts:
        tokens = tokenize(normalize(text))
        lexicons = [LEXICONS[lang]] if lang else list(LEXICONS.values())
        adult = [t for t in tokens if not any(_names_a_child([t], lx) for lx in lexicons)]
        if len(adult) < len(tokens):
            kinds.update(c for m in catalog.mentions(adult, lang) for c in m.codes)
    return kinds - {entry.code}


def _price_understanding(reading: Reading, catalog: PriceIndex | None) -> Understanding:
    if reading.service_codes:
        return Understanding(
            Intent.PRICE_QUERY, reading.language, service_codes=reading.service_codes
        )
    if not reading.leftover:
        return Understanding(Intent.PRICE_QUERY, reading.language)
    if any(_resembles_a_listed_service(reading, t, catalog) for t in reading.leftover):
        # "limpiecita", "obturation": most likely a service we list, in a form we could not
        # read; "we don't have that" would be a wrong answer, so the LLM lane reads it.
        return Understanding(Intent.OTHER, reading.language, confident=False)
    if any(_names_a_dental_service(reading, t, catalog) for t in reading.leftover):
        return Understanding(
            Intent.PRICE_QUERY,
            reading.language,
            unknown_service=True,
            unknown_term=" ".join(reading.leftover),
        )
    # "сколько стоит страховое покрытие": not a service we lack, something else to explain.
    return Understanding(Intent.OTHER, reading.language, confident=False)


def _resembles_a_listed_service(reading: Reading, word: str, catalog: PriceIndex | None) -> bool:
    """Spelled much like a word of the price list, and not a service known to be another."""
    if reading.lexicon.stem(word) in _DENTAL_SERVICE_STEMS[reading.language]:
        return False
    return catalog is not None and catalog.resembles(word)


def _names_a_dental_service(reading: Reading, word: str, catalog: PriceIndex | None) -> bool:
    """Whether an unexplained word names a dental service the clinic does not list ("виниры"),
    or looks like the misspelled name of one it does ("obturation")."""
    if reading.lexicon.stem(word) in _DENTAL_SERVICE_STEMS[reading.language]:
        return True
    return catalog is not None and catalog.resembles(word)


def derive_tables() -> None:
    """What the router reads per message from the intent table and the lexicons, computed once
    rather than per message: at import, and again whenever nlu.extension changes either."""
    global PRIORITY, SOCIAL, SHORT_ANSWERS, ADMINISTRATIVE, NEGATABLE_REQUESTS
    global _KNOWN_WORDS_BY_SCRIPT, _FUZZY_CHOICES, _DERIVED_ENDINGS_BY_SCRIPT
    PRIORITY = priority_order()
    SOCIAL = intents_where("social")
    SHORT_ANSWERS = intents_where("short_answer")
    ADMINISTRATIVE = intents_where("administrative")
    NEGATABLE_REQUESTS = intents_where("negatable")
    _KNOWN_WORDS_BY_SCRIPT = _known_words_by_script()
    _FUZZY_CHOICES = {
        script: _fuzzy_choices_by_shape(words) for script, words in _KNOWN_WORDS_BY_SCRIPT.items()
    }
    _DERIVED_ENDINGS_BY_SCRIPT = _derived_endings_by_script()
    _CHILDREN_VARIANTS.clear()  # read with the lexicons' child words


derive_tables()
