"""The time of day a patient names ("9:00", "в 9 утра", "3pm", "às 9h", "ב-9 בבוקר")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from nlu.lexicon import Lexicon

_CLOCK_RE = re.compile(r"(?<![\d.,:])([01]?\d|2[0-3])[:.]([0-5]\d)(?![\d.,:]?\d)")
_HOUR_H_RE = re.compile(r"(?<![\d.,:])([01]?\d|2[0-3])\s?h(?:([0-5]\d))?\b")
_AM_PM_RE = re.compile(r"(?<![\d.,:])(1[0-2]|0?[1-9])\s?([ap])\.?m\b")


def _as_text(hour: int, minute: int) -> str:
    return f"{hour:02d}:{minute:02d}"


def _with_suffix(hour: int, following: str | None, lexicon: Lexicon) -> int:
    shift = lexicon.hour_suffixes.get(following or "", 0)
    return hour + shift if hour < 12 else hour


def find_time(normalized: str, tokens: Sequence[str], lexicon: Lexicon) -> str | None:
    """ "HH:MM" of the first time named in the message, or None."""
    if match := _AM_PM_RE.search(normalized):
        hour = int(match[1]) % 12 + (12 if match[2] == "p" else 0)
        return _as_text(hour, 0)
    if match := _CLOCK_RE.search(normalized):
        hour = int(match[1])
        following = normalized[match.end() :].split(maxsplit=1)
        return _as_text(
            _with_suffix(hour, following[0] if following else None, lexicon), int(match[2])
        )
    if match := _HOUR_H_RE.search(normalized):
        return _as_text(int(match[1]), int(match[2] or 0))
    return _hour_after_preposition(tokens, lexicon)


def _hour_after_preposition(tokens: Sequence[str], lexicon: Lexicon) -> str | None:
    for i, token in enumerate(tokens):
        if not token.isdigit() or not 0 < int(token) <= 23:
            continue
        before = tokens[i - 1] if i else None
        after = tokens[i + 1] if i + 1 < len(tokens) else None
        if before in lexicon.hour_prepositions or after in lexicon.hour_suffixes:
            return _as_text(_with_suffix(int(token), after, lexicon), 0)
    return None
