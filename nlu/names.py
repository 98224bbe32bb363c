"""A person's name in the forms it takes inside a sentence: "Марии Ивановой" is Мария Иванова
in the genitive, "Mary's" is Mary's, "לשרה" is "to Sarah". Used to keep the patient's name out
of what leaves the service."""

from __future__ import annotations

from nlu.catalog import stems_by_channel
from nlu.text import HEBREW_PREFIXES, normalize, script_of, tokenize

# Hebrew writes prepositions and articles as one-letter prefixes (HEBREW_PREFIXES) of the word
# they go with.
_MAX_HEBREW_PREFIXES = 2
MIN_NAME_WORD = 2


def name_words(name: str) -> frozenset[str]:
    """The name's words, normalized; one-letter initials are left out."""
    return frozenset(t for t in tokenize(normalize(name)) if len(t) >= MIN_NAME_WORD)


def is_name_form(word: str, names: frozenset[str]) -> bool:
    """Whether `word` (as written) is one of the `names` (name_words) in any of its forms."""
    word = normalize(word)
    if word in names:
        return True
    if script_of(word) == "hebrew" and _without_hebrew_prefixes(word) & names:
        return True
    stems = stems_by_channel(word)
    return any(stems & stems_by_channel(name) for name in names)


def _without_hebrew_prefixes(word: str) -> set[str]:
    bare = set()
    for _ in range(_MAX_HEBREW_PREFIXES):
        if len(word) <= MIN_NAME_WORD or word[0] not in HEBREW_PREFIXES:
            break
        word = word[1:]
        bare.add(word)
    return bare
