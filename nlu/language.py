"""Which of the six languages a message is written in.

Script first (Hebrew, Cyrillic, Latin), then, within a script, the words each language's data
knows, weighted by how many languages of that script share the word and by what the word is to
each language (a cue such as uk "так" = yes outweighs a filler such as ru "так" = so), plus
letters only one language uses. A message that shows no sign of any language ("ok", "9:00",
"👍") keeps the fallback, which is the conversation's language.
"""

from __future__ import annotations

from nlu.lexicon import LANGUAGES, LEXICONS, SCRIPTS, UNIVERSAL_WORDS
from nlu.text import normalize, script_of, tokenize

_LANGUAGES_BY_SCRIPT = {
    script: tuple(lang for lang in LANGUAGES if SCRIPTS[lang] == script)
    for script in set(SCRIPTS.values())
}

# Letters that only one language of its script uses, looked for before accents are folded.
_LETTER_HINTS = {
    "uk": frozenset("іїєґ"),
    "ru": frozenset("ыэъё"),
    "es": frozenset("ñ¿¡"),
    "pt": frozenset("ãõçêô"),
}
_LETTER_HINT_WEIGHT = 2.0
# A word a language only knows as a filler (a stopword) says less about it than a cue word does:
# "так, буду о 10" is Ukrainian ("так" = yes, "о 10" = at 10) though Russian also writes "так", "о".
_FILLER_WEIGHT = 0.5


def _word_weights() -> dict[str, dict[str, float]]:
    """word -> {language: weight}: 1/k when k languages of the script know the word, halved for
    a language that knows it only as a filler."""
    owners: dict[str, list[str]] = {}
    for language, lexicon in LEXICONS.items():
        for word in lexicon.words - UNIVERSAL_WORDS.keys():
            owners.setdefault(word, []).append(language)
    weights: dict[str, dict[str, float]] = {}
    for word, languages in owners.items():
        same_script = [lang for lang in languages if SCRIPTS[lang] == SCRIPTS[languages[0]]]
        weights[word] = {
            lang: (1.0 if word in LEXICONS[lang].cue_words else _FILLER_WEIGHT) / len(same_script)
            for lang in same_script
        }
    return weights


# word -> {language: weight}, from the lexicons: see derive_tables().
_WORD_WEIGHTS: dict[str, dict[str, float]]
_NO_WEIGHTS: dict[str, float] = {}


def _dominant_script(tokens: list[str]) -> str | None:
    counts: dict[str, int] = {}
    for token in tokens:
        script = script_of(token)
        if script != "other" and token not in UNIVERSAL_WORDS:  # "ok", "stop": any language
            counts[script] = counts.get(script, 0) + 1
    return max(counts, key=counts.__getitem__) if counts else None


def score_languages(text: str, tokens: list[str], script: str) -> dict[str, float]:
    scores: dict[str, float] = {}
    for token in tokens:
        for language, weight in _WORD_WEIGHTS.get(token, _NO_WEIGHTS).items():
            if SCRIPTS[language] == script:
                scores[language] = scores.get(language, 0.0) + weight
    if text.isascii():
        return scores
    letters_used = set(text.casefold())
    for language, letters in _LETTER_HINTS.items():
        if SCRIPTS[language] == script and not letters.isdisjoint(letters_used):
            scores[language] = scores.get(language, 0.0) + _LETTER_HINT_WEIGHT
    return scores


def candidate_languages(text: str, tokens: list[str], fallback: str) -> list[str]:
    """The likeliest languages when the text cannot tell them apart ("cancelar": es or pt),
    or the fallback and its script-mates when it says nothing; else just the likeliest."""
    script = _dominant_script(tokens)
    if script is None:
        return [fallback]
    candidates = _LANGUAGES_BY_SCRIPT[script]
    if len(candidates) == 1:
        return list(candidates)
    scores = score_languages(text, tokens, script)
    if not scores:
        # Nothing tells which language of the script: the conversation's, if it is written in
        # it (a Cyrillic message is never answered in Hebrew), else the script's first.
        first = fallback if fallback in candidates else candidates[0]
        return [first, *(c for c in candidates if c != first)]
    best = max(scores.values())
    return sorted(
        (lang for lang, score in scores.items() if score == best), key=lambda lang: lang != fallback
    )


def detect_language_of_tokens(text: str, tokens: list[str], fallback: str) -> str:
    return candidate_languages(text, tokens, fallback)[0]


def detect_language(text: str, *, fallback: str) -> str:
    """The language of the text, or the fallback when the text does not tell."""
    return detect_language_of_tokens(text, tokenize(normalize(text)), fallback)


def derive_tables() -> None:
    """The word weights, from the lexicons: at import, and again whenever nlu.extension
    changes them."""
    global _WORD_WEIGHTS
    _WORD_WEIGHTS = _word_weights()


derive_tables()
