"""When a patient wants to come, read from their own words: read_when(text, language, today).

The booking code gets the days asked for, an exact time or a window of the day, or the number
of a list choice, so that it never needs the LLM to compute a date. Pure Python over nlu.text
and Babel; the words are in nlu.lexicon.when_words (plus Babel's weekday and month names),
compiled once at import into one phrase table per language. Per message: one normalize, one
tokenizer pass and a few dict lookups per word.

How it reads (a receptionist's reading, decided once here):
- A weekday alone is the next such day strictly after today: "on Friday" said on a Friday is
  next week's. "this Friday" is the nearest one on or after today (today included). "next
  Friday", "в следующую пятницу", "el próximo viernes" is the one in next week.
- Weeks start on the locale's first day (Babel: Monday for ru, uk, es; Sunday for en_US,
  pt_BR, he_IL, where Sunday is a working day). "next week" is all 7 days of next week (the
  slot search drops closed days), "this week" today to the week's end; with a weekday, the
  week only says which one. The weekend is Babel's too (Friday and Saturday in Israel).
- Dates are day first in ru, uk, es, pt, he ("12.5" = 12 May) and month first in en ("12/5" =
  December 5). Without a year, the next such date on or after today; with one, as written.
  "12.12" is a date where a date can be ("на 12.12"), a time after an hour word ("в 11.11")
  or where no month fits ("10.30"); in en a dot makes a time.
- Parts of the day (_PARTS): morning 08:00-12:00, afternoon 12:00-17:00, evening 17:00-21:00,
  lunch 12:00-14:00, after lunch from 13:00 with no upper bound (the rest of the working day:
  the clinic's hours end it), before lunch until 12:00. A part that places an hour on the
  clock ("в 7 вечера" = 19:00) gives no window, and with an exact time none does.
- An hour 1..7 with nothing saying am or pm is an afternoon hour (at a clinic "at 3" is
  15:00); 8..12 stays as said; 13..23 or a leading zero ("07:30") is as written. "after 3"
  is earliest 15:00, "before 12" latest 12:00.
- A message that is only a small number (1..23) or an ordinal, with at most a few filler
  words ("#2", "option 2", "the second", "второй", "la segunda", "השני"), is a choice and
  nothing else: the caller knows whether it offered a list or asked for an hour. A bare
  number in a longer message is an hour only next to a day ("tomorrow 10").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, time, timedelta

from babel import Locale
from babel.dates import get_day_names, get_month_names

from nlu.catalog import BABEL_LOCALES
from nlu.lexicon.when_words import WORDS
from nlu.text import normalize

__all__ = ["When", "read_when"]


@dataclass(frozen=True, slots=True)
class When:
    """What a message says about when: the days (in date order), an exact time, or a window
    of the day (earliest, latest; either may be open), or the number of a list choice."""

    days: tuple[date, ...] = ()
    at: time | None = None
    earliest: time | None = None
    latest: time | None = None
    choice: int | None = None

    @property
    def empty(self) -> bool:
        return (
            not self.days
            and self.at is None
            and self.earliest is None
            and self.latest is None
            and self.choice is None
        )


_NOTHING = When()


@dataclass(frozen=True, slots=True)
class _Part:
    earliest: time | None
    latest: time | None
    clock: str  # how an hour said with it is placed: "am", "pm", "night" or "keep"


_PARTS = {
    "morning": _Part(time(8), time(12), "keep"),
    "before_lunch": _Part(None, time(12), "keep"),
    "lunch": _Part(time(12), time(14), "pm"),
    "afternoon": _Part(time(12), time(17), "pm"),
    "after_lunch": _Part(time(13), None, "pm"),
    "evening": _Part(time(17), time(21), "pm"),
    "night": _Part(time(17), time(21), "night"),  # a clinic's night is its evening
    # Words that only place an hour: "10am", "в 3 дня", "в 10 утра", "в 11 ночи".
    "am": _Part(None, None, "am"),
    "pm": _Part(None, None, "pm"),
    "of_morning": _Part(None, None, "keep"),
    "of_night": _Part(None, None, "night"),
}

# The kinds of a message's items: what its phrases mean, or a number, a month or a word.
DAY, WEEKDAY, DUAL, ORDINAL, HOUR, AT_HOUR, PART, NOON = (
    "day weekday dual ordinal hour at_hour part noon".split()
)
NEXT, NEXT_AFTER, THIS, THIS_AFTER, WEEK, THIS_WEEK, WEEKEND = (
    "next next_after this this_after week this_week weekend".split()
)
AT, AFTER, BEFORE, TO, IN, UNIT, MINUTES, GREETING, PAST, IGNORED = (
    "at after before to in unit minutes greeting past ignored".split()
)
NUMBER, COMPOUND, CLOCK, RANGE, MONTH, DATED, WORD = (
    "number compound clock range month dated word".split()
)

_GROUPS = {
    "days": DAY,
    "weekday_ordinals": DUAL,
    "ordinals": ORDINAL,
    "hours": HOUR,
    "at_hours": AT_HOUR,
    "parts": PART,
    "noon": NOON,
    "next": NEXT,
    "next_after": NEXT_AFTER,
    "this": THIS,
    "this_after": THIS_AFTER,
    "week": WEEK,
    "this_week": THIS_WEEK,
    "weekend": WEEKEND,
    "at": AT,
    "after": AFTER,
    "before": BEFORE,
    "to": TO,
    "in": IN,
    "units": UNIT,
    "minutes": MINUTES,
    "greetings": GREETING,
    "past": PAST,
    "ignored": IGNORED,
}
_WORD_SETS = (
    "joiners day_of_month_before day_of_month_after date_prepositions fillers articles "
    "options weekday_markers needs_marker clock_units durations"
).split()
_PREPOSITIONS = (AT, AFTER, BEFORE, TO)
_MODIFIERS = (NEXT, NEXT_AFTER, THIS, THIS_AFTER)
_DAYLIKE = (DAY, WEEKDAY, DUAL, WEEKEND, THIS_WEEK, DATED)
# What a past word ("yesterday", "since") takes with it.
_TIMELIKE = (DAY, WEEKDAY, DUAL, WEEK, WEEKEND, PART, AT, NUMBER, HOUR, UNIT, COMPOUND, MONTH)
# Words of Babel's weekday names that are not the name: "segunda-feira", "יום שני".
_NOT_THE_NAME = frozenset(("feira", "יום"))

# Numbers keep their separators ("10:30", "12.12.2026"); words their apostrophes ("o'clock").
_TOKEN_RE = re.compile(r"\d+(?:[:./-]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)*")
_SEPARATOR_RE = re.compile(r"[:./-]")

Meaning = tuple[tuple[str, object], ...]


@dataclass(frozen=True, slots=True)
class _Language:
    phrases: dict[str, list[tuple[list[str], Meaning]]]  # by first word, longest first
    months: dict[str, int]
    vocabulary: frozenset[str]
    prefixes: str
    day_units: dict[str, int]
    sets: dict[str, frozenset[str]]
    month_first: bool
    first_week_day: int
    weekend: tuple[int, int]

    def has(self, name: str, text: str | None) -> bool:
        return text in self.sets[name]


@dataclass(slots=True)
class _Item:
    kind: str
    value: object
    text: str  # its words, space-joined
    used: bool = False
    mod: str | None = None  # "next" or "this", for a weekday, a week or a weekend


@dataclass(slots=True)
class _Hour:
    bound: str  # AT, AFTER or BEFORE
    hour: int
    minute: int = 0
    placed: bool = False  # written on a 24-hour clock: no default am / pm
    clock: str | None = None  # said with am, pm or a part of the day


def read_when(text: str, language: str, today: date) -> When:
    """When the patient wants to come, by their message in `language` (one of nlu.LANGUAGES),
    read on `today` (the clinic's date)."""
    lang = _LANGUAGES[language]
    items = _items(_lex(normalize(text), lang), lang)
    if not items:
        return _NOTHING
    choice = _choice(items, lang)
    if choice is not None:
        return When(choice=choice)
    _forget_the_past(items)
    dates = _dates(items, lang, today) + _days_ahead(items, lang, today)
    hours = _hours(items, lang)
    days = dates + _days(items, lang, today, dates)
    at = next((h for h in hours if h.bound == AT), None)
    earliest, latest = _window(items, hours) if at is None else (None, None)
    return When(
        days=tuple(sorted(set(days))),
        at=time(at.hour, at.minute) if at else None,
        earliest=earliest,
        latest=latest,
    )


def names_a_day_or_time(text: str, language: str) -> bool:
    """Whether the message names a day, a time or a choice of a list ("завтра в 15", "2"),
    whatever today is: the day it is read on only turns "tomorrow" into a date."""
    return not read_when(text, language, today=_ANY_DAY).empty


_ANY_DAY = date(2000, 1, 3)


# --- Reading a message into items ---


def _lex(normalized: str, lang: _Language) -> list[str]:
    tokens = _TOKEN_RE.findall(normalized)
    if not lang.prefixes:
        return tokens
    out: list[str] = []
    for token in tokens:
        out.extend(_unglue(token, lang))
    return out


def _unglue(token: str, lang: _Language) -> tuple[str, ...]:
    """Hebrew glues prepositions to the word: "בעשר" is at + ten, "ובשבת" and + on + Saturday.
    Split off up to two prefix letters when what is left is a word of the tables."""
    if token in lang.vocabulary or token[0] not in lang.prefixes:
        return (token,)
    rest = token[1:]
    if rest in lang.vocabulary or rest.isdigit():
        return (token[0], rest)
    if len(rest) > 1 and rest[0] in lang.prefixes and rest[1:] in lang.vocabulary:
        return (token[0], rest[0], rest[1:])
    return (token,)


def _items(tokens: list[str], lang: _Language) -> list[_Item]:
    """The longest phrase at each word, or the word itself as a number, a month or a word."""
    items: list[_Item] = []
    i = 0
    while i < len(tokens):
        for words, meaning in lang.phrases.get(tokens[i], ()):
            if tokens[i : i + len(words)] == words:
                text = " ".join(words)
                items.extend(_Item(kind, value, text) for kind, value in meaning)
                i += len(words)
                break
        else:
            items.append(_single(tokens[i], lang))
            i += 1
    return items


def _single(token: str, lang: _Language) -> _Item:
    if token[0].isdigit():
        return _Item(NUMBER, int(token), token) if token.isdigit() else _Item(COMPOUND, 0, token)
    month = lang.months.get(token)
    return _Item(MONTH, month, token) if month else _Item(WORD, None, token)


def _text(items: list[_Item], k: int) -> str | None:
    return items[k].text if 0 <= k < len(items) else None


def _kind(items: list[_Item], k: int) -> str | None:
    return items[k].kind if 0 <= k < len(items) else None


# --- A choice from a numbered list ---


def _choice(items: list[_Item], lang: _Language) -> int | None:
    """The number, when the message is only a number or an ordinal and filler words."""
    value = None
    spare = None  # a number word that is also a filler ("the second one"; "one" alone)
    for k, item in enumerate(items):
        if lang.has("fillers", item.text):
            if item.kind == HOUR:
                spare = item.value
            continue
        number = _choice_value(items, k, lang)
        if number is None or value is not None:
            return None
        value = number
    return value if value is not None else spare


def _choice_value(items: list[_Item], k: int, lang: _Language) -> int | None:
    item = items[k]
    if item.kind == NUMBER and len(item.text) <= 2 and 1 <= item.value <= 23:
        # "the 2nd" picks from a list; "the 15th" is a day of the month
        if item.value > 5 and lang.has("day_of_month_after", _text(items, k + 1)):
            return None
        return item.value
    if item.kind in (ORDINAL, HOUR):
        return item.value
    if item.kind == DUAL and (
        lang.has("articles", _text(items, k - 1))
        or lang.has("options", _text(items, k + 1))
        or lang.has("needs_marker", item.text)
    ):
        return item.value[1]
    return None


def _forget_the_past(items: list[_Item]) -> None:
    """The days and hours right after a past word are when something happened ("since this
    morning", "вчера вечером", "в прошлую пятницу"), not when to come."""
    for k, item in enumerate(items):
        if item.kind != PAST:
            continue
        for later in items[k + 1 :]:
            if later.kind not in _TIMELIKE and later.kind not in _MODIFIERS:
                break
            later.kind, later.used = IGNORED, True


# --- Dates: "12.12", "12 декабря", "dec 12", "the 12th", "через 2 дня" ---


def _dates(items: list[_Item], lang: _Language, today: date) -> list[date]:
    found = []
    for k, item in enumerate(items):
        if item.used:
            continue
        if item.kind == COMPOUND:
            day = _compound(items, k, lang, today)
        elif item.kind == NUMBER:
            day = _day_then_month(items, k, lang, today)
        elif item.kind == MONTH:
            day = _month_then_day(items, k, lang, today)
        else:
            continue
        if day is not None:
            found.append(day)
    return found


def _compound(items: list[_Item], k: int, lang: _Language, today: date) -> date | None:
    """A number with separators is a date, a clock time or a range of hours; the last two are
    left as CLOCK or RANGE items for _hours."""
    item = items[k]
    parts = _SEPARATOR_RE.split(item.text)
    numbers = [int(p) for p in parts]
    separator = item.text[len(parts[0])]
    if separator == ":":
        if len(parts) == 2 and _is_clock(parts):
            item.kind, item.value = CLOCK, numbers
        return None
    if len(parts) == 3:
        if len(parts[0]) == 4:  # ISO: 2026-12-12
            year, month, day = numbers
        else:
            day, month = _day_month(numbers[0], numbers[1], lang)
            year = {2: numbers[2] + 2000, 4: numbers[2]}.get(len(parts[2]), 0)
        in_range = 2000 <= year <= 2100  # not a phone number ("123-45-67")
        return _dated(items, k, k, _on(today, year, month, day) if in_range else None)
    day, month = _day_month(numbers[0], numbers[1], lang)
    on = _on(today, None, month, day)
    hour_context = _hour_context(items, k, lang)
    if separator == "." and (lang.month_first or on is None or hour_context):
        if _is_clock(parts):  # else a decimal ("1.5 часа")
            item.kind, item.value = CLOCK, numbers
        return None
    hours_from_to = separator == "-" and numbers[0] < numbers[1] <= 23
    if hours_from_to and (hour_context or _kind(items, k - 1) in _DAYLIKE):
        item.kind, item.value = RANGE, numbers  # "с 10-12", "tomorrow 10-12"
        return None
    return _dated(items, k, k, on)


def _is_clock(parts: list[str]) -> bool:
    return len(parts[1]) == 2 and int(parts[0]) <= 23 and int(parts[1]) <= 59


def _day_month(first: int, second: int, lang: _Language) -> tuple[int, int]:
    return (second, first) if lang.month_first else (first, second)


def _hour_context(items: list[_Item], k: int, lang: _Language) -> bool:
    """An hour word before ("в 11.11", "at 10.30", "с 10-12") or a part of the day after."""
    before = _kind(items, k - 1) in _PREPOSITIONS
    if before and lang.has("date_prepositions", _text(items, k - 1)):
        before = False
    return before or _kind(items, k + 1) in (PART, UNIT)


def _day_then_month(items: list[_Item], k: int, lang: _Language, today: date) -> date | None:
    item = items[k]
    if len(item.text) > 2 or not 1 <= item.value <= 31:
        return None
    j = _skip(items, k + 1, lang, "joiners")
    if _kind(items, j) == MONTH:
        year, end = _year(items, j + 1, lang)
        return _dated(items, k, end, _on(today, year, items[j].value, item.value))
    # A day of the month alone: "the 12th", "12-го", "el día 12".
    if lang.has("day_of_month_before", _text(items, k - 1)):
        return _dated(items, k, k, _day_of_month(today, item.value))
    if lang.has("day_of_month_after", _text(items, k + 1)):
        return _dated(items, k, k + 1, _day_of_month(today, item.value))
    return None


def _month_then_day(items: list[_Item], k: int, lang: _Language, today: date) -> date | None:
    j = _skip(items, k + 1, lang, "joiners")
    day = items[j] if j < len(items) else None
    if day is None or day.kind != NUMBER or len(day.text) > 2 or not 1 <= day.value <= 31:
        return None
    year, end = _year(items, _skip(items, j + 1, lang, "joiners"), lang)
    return _dated(items, k, max(end, j), _on(today, year, items[k].value, day.value))


def _skip(items: list[_Item], j: int, lang: _Language, words: str) -> int:
    while j < len(items) and lang.has(words, items[j].text):
        j += 1
    return j


def _year(items: list[_Item], j: int, lang: _Language) -> tuple[int | None, int]:
    """The year after a day and month, and the index of the date's last item."""
    y = _skip(items, j, lang, "joiners")
    if _kind(items, y) == NUMBER and len(items[y].text) == 4 and 2000 <= items[y].value <= 2100:
        return items[y].value, y
    return None, j - 1


def _dated(items: list[_Item], first: int, last: int, day: date | None) -> date | None:
    if day is not None:
        for item in items[first : last + 1]:
            item.kind, item.used = DATED, True
    return day


def _on(today: date, year: int | None, month: int, day: int) -> date | None:
    """The date; without a year, the next one on or after today (Feb 29 in a leap year)."""
    if not 1 <= month <= 12 or not 1 <= day <= 31:
        return None
    for candidate in (year,) if year else range(today.year, today.year + 5):
        try:
            found = date(candidate, month, day)
        except ValueError:
            continue
        if year or found >= today:
            return found
    return None


def _day_of_month(today: date, day: int) -> date | None:
    """The next date on or after today with this day of the month."""
    month, year = today.month, today.year
    for _ in range(3):  # the 31st may skip a month or two
        found = _on(today, year, month, day)
        if found is not None and found >= today:
            return found
        month, year = (1, year + 1) if month == 12 else (month + 1, year)
    return None


def _days_ahead(items: list[_Item], lang: _Language, today: date) -> list[date]:
    """ "через 2 дня", "in 3 days", "en dos semanas", "בעוד שבוע"."""
    found = []
    for k, item in enumerate(items):
        if item.kind != IN:
            continue
        j, count = k + 1, 1
        if _kind(items, j) in (NUMBER, HOUR):
            j, count = j + 1, items[j].value
        unit = lang.day_units.get(_text(items, j) or "")
        if unit is not None and not items[j].used:
            found.append(today + timedelta(days=count * unit))
            for used in items[k : j + 1]:  # "дня" of "через 2 дня" is no "pm"
                used.kind, used.used = DATED, True
    return found


# --- Hours: "at 10", "10:30", "в 3 дня", "a las cinco de la tarde", "בעשר", "after 3" ---


def _hours(items: list[_Item], lang: _Language) -> list[_Hour]:
    hours: list[_Hour] = []
    for k, item in enumerate(items):
        if item.used:
            continue
        if item.kind == NOON:
            hours.append(_Hour(_bound(items, k, hours), 12, 0, placed=True))
        elif item.kind == AT_HOUR:
            hours.append(_Hour(AT, item.value, clock=_clock(items, _part_after(items, k + 1))))
        elif item.kind == CLOCK:
            hour, minute = item.value
            placed = hour > 12 or hour == 0 or item.text[0] == "0"
            clock = _clock(items, _part_after(items, k + 1))
            hours.append(_Hour(_bound(items, k, hours), hour, minute, placed, clock))
        elif item.kind == RANGE:
            clock = _clock(items, _part_after(items, k + 1))
            first, last = item.value
            hours.append(_Hour(AFTER, first, placed=first > 12, clock=clock))
            hours.append(_Hour(BEFORE, last, placed=last > 12, clock=clock))
        elif item.kind in (NUMBER, HOUR):
            hour = _spoken_hour(items, k, hours, lang)
            if hour is not None:
                hours.append(hour)
    _place(hours, items)
    return hours


def _spoken_hour(items: list[_Item], k: int, hours: list[_Hour], lang: _Language) -> _Hour | None:
    """An hour said as a number or a number word, if what is around it says it is one: an
    hour word before it, or after it a clock unit ("15h"), minutes ("y media") or a part of
    the day ("10 утра"); or a day just before a bare number ("tomorrow 10")."""
    item = items[k]
    if item.kind == NUMBER and (len(item.text) > 2 or item.value > 23):
        return None
    if lang.has("durations", _text(items, k + 1)):  # "for 2 hours"
        return None
    j, minute = k + 1, 0
    unit = _text(items, j) if _kind(items, j) == UNIT else None
    if unit is not None:
        j += 1
        if unit == "h" and _kind(items, j) == NUMBER and len(items[j].text) == 2:
            minute, j = min(items[j].value, 59), j + 1
    if _kind(items, j) == MINUTES:
        minute, j = items[j].value, j + 1
    part = _part_after(items, j)
    before = _kind(items, k - 1)
    is_hour = (
        before in _PREPOSITIONS
        or lang.has("clock_units", unit)
        or minute
        or part is not None
        or (  # "tomorrow 10", not "tomorrow 2 fillings"
            item.kind == NUMBER
            and before in _DAYLIKE
            and _kind(items, j) not in (WORD, NUMBER, COMPOUND, MONTH)
        )
    )
    if not is_hour:
        return None
    placed = item.kind == NUMBER and (item.value > 12 or item.value == 0 or item.text[0] == "0")
    return _Hour(_bound(items, k, hours), item.value, minute, placed, _clock(items, part))


def _bound(items: list[_Item], k: int, hours: list[_Hour]) -> str:
    before = _kind(items, k - 1)
    if before == TO:  # "de las 10 a las 12": an upper bound after a lower one
        return BEFORE if any(h.bound == AFTER for h in hours) else AT
    return before if before in (AFTER, BEFORE) else AT


def _part_after(items: list[_Item], j: int) -> int | None:
    """Where a part of the day right after an hour is ("10 утра", "5 de la tarde", "9 בבוקר",
    where the Hebrew ב is an at-word)."""
    while _kind(items, j) == AT:
        j += 1
    return j if _kind(items, j) == PART else None


def _clock(items: list[_Item], part: int | None) -> str | None:
    """The clock of the part of the day that places an hour; that part then gives no window."""
    if part is None:
        return None
    items[part].used = True
    return _PARTS[items[part].value].clock


def _place(hours: list[_Hour], items: list[_Item]) -> None:
    """Each hour on the 24-hour clock: by its own am / pm or part of the day, else by the
    message's first part of the day, else 1..7 is the afternoon."""
    said = next((_PARTS[i.value].clock for i in items if i.kind == PART), None)
    for hour in hours:
        if hour.clock is not None and hour.hour <= 12:
            hour.hour = _on_the_clock(hour.hour, hour.clock)
        elif not hour.placed:
            hour.hour = _on_the_clock(hour.hour, said)


def _on_the_clock(hour: int, clock: str | None) -> int:
    if clock is None:
        return hour + 12 if 1 <= hour <= 7 else hour
    if clock == "am":
        return 0 if hour == 12 else hour
    if clock == "pm":
        return hour + 12 if hour < 12 else hour
    if clock == "night":
        return 0 if hour == 12 else hour + 12 if 6 <= hour < 12 else hour
    return hour


def _window(items: list[_Item], hours: list[_Hour]) -> tuple[time | None, time | None]:
    """Bounds said as hours ("after 3", "с 10 до 12"), narrowed by the parts of the day no
    hour took; several parts ("утром или вечером") span from the first start to the last end."""
    parts = [_PARTS[i.value] for i in items if i.kind == PART and not i.used]
    parts = [p for p in parts if p.earliest or p.latest]
    after = [time(h.hour, h.minute) for h in hours if h.bound == AFTER]
    before = [time(h.hour, h.minute) for h in hours if h.bound == BEFORE]
    earliest, latest = max(after, default=None), min(before, default=None)
    if not parts:
        return earliest, latest
    starts = [p.earliest for p in parts]
    ends = [p.latest for p in parts]
    start = None if None in starts else min(starts)
    end = None if None in ends else max(ends)
    narrowed = (_later(earliest, start), _sooner(latest, end))
    if narrowed[0] and narrowed[1] and narrowed[0] >= narrowed[1]:
        return earliest, latest  # "morning after 3": the hours said win
    return narrowed


def _later(a: time | None, b: time | None) -> time | None:
    return b if a is None else a if b is None else max(a, b)


def _sooner(a: time | None, b: time | None) -> time | None:
    return b if a is None else a if b is None else min(a, b)


# --- Days: today, tomorrow, weekdays, weeks ---


def _days(items: list[_Item], lang: _Language, today: date, dates: list[date]) -> list[date]:
    """The days named by words; a weekday that names a date's own day ("el martes 15 de
    diciembre") adds none."""
    _attach_modifiers(items)
    dated_weekdays = {day.weekday() for day in dates}
    week_mod = _week_mod(items)
    days: list[date] = []
    weekdays = False
    for k, item in enumerate(items):
        if item.used:
            continue
        if item.kind == DAY:
            days.append(today + timedelta(days=item.value))
        elif item.kind == WEEKEND:
            days.extend(_weekend(today, lang, item.mod))
        elif item.kind in (WEEKDAY, DUAL):
            weekday = _weekday_of(items, k, lang)
            if weekday is not None and not (weekday in dated_weekdays and not item.mod):
                weekdays = True
                days.extend(_weekday(today, lang, weekday, item.mod or week_mod))
    if week_mod and not weekdays:
        days.extend(_week(today, lang, week_mod))
    return days


def _week_mod(items: list[_Item]) -> str | None:
    """ "next" or "this" for the week the message names, if it names one."""
    for item in items:
        if item.kind == THIS_WEEK:
            return "this"
        if item.kind == WEEK and item.mod:
            return item.mod
    return None


def _weekday_of(items: list[_Item], k: int, lang: _Language) -> int | None:
    item = items[k]
    if item.kind == WEEKDAY:
        return item.value
    # "שני" is Monday after "יום" or "ב", and "two" before a noun ("שני טיפולים").
    if lang.has("needs_marker", item.text) and not lang.has("weekday_markers", _text(items, k - 1)):
        return None
    return item.value[0]


def _attach_modifiers(items: list[_Item]) -> None:
    """ "next" / "this" to the weekday, week or weekend next to it: after it for "next friday",
    "la próxima semana"; before it for "la semana que viene", "בשבוע הבא"."""
    for k, item in enumerate(items):
        if item.kind not in _MODIFIERS:
            continue
        step = 1 if item.kind in (NEXT, THIS) else -1
        j = k + step
        while 0 <= j < len(items) and items[j].kind in _MODIFIERS:
            j += step
        target = items[j] if 0 <= j < len(items) else None
        if target is not None and target.kind in (WEEKDAY, DUAL, WEEK, WEEKEND) and not target.mod:
            target.mod = "next" if item.kind in (NEXT, NEXT_AFTER) else "this"


def _week_start(today: date, lang: _Language) -> date:
    return today - timedelta(days=(today.weekday() - lang.first_week_day) % 7)


def _week(today: date, lang: _Language, mod: str) -> list[date]:
    start = _week_start(today, lang)
    if mod == "next":
        return [start + timedelta(days=7 + n) for n in range(7)]
    return [today + timedelta(days=n) for n in range((start - today).days + 7)]


def _weekday(today: date, lang: _Language, weekday: int, mod: str | None) -> list[date]:
    if mod == "next":
        start = _week_start(today, lang) + timedelta(days=7)
        return [start + timedelta(days=(weekday - lang.first_week_day) % 7)]
    ahead = (weekday - today.weekday()) % 7
    if mod is None and ahead == 0:
        ahead = 7  # "on Friday" said on a Friday: next week's
    return [today + timedelta(days=ahead)]


def _weekend(today: date, lang: _Language, mod: str | None) -> list[date]:
    first, second = lang.weekend
    if today.weekday() == second:
        start = today - timedelta(days=1)
    else:
        start = today + timedelta(days=(first - today.weekday()) % 7)
    if mod == "next":
        start += timedelta(days=7)
    return [day for day in (start, start + timedelta(days=1)) if day >= today]


# --- Compiling the tables, once at import ---


def _words(text: str) -> list[str]:
    return _TOKEN_RE.findall(normalize(text))


def _entries(values: Mapping | Iterable) -> Iterable[tuple[str, object]]:
    return values.items() if isinstance(values, Mapping) else ((v, None) for v in values)


def _babel_weekdays(locale: Locale, data: dict) -> dict[str, int]:
    widths = ("wide", "abbreviated") if data.get("short_weekday_names", True) else ("wide",)
    dropped = set(data.get("not_weekdays", ()))
    names = {}
    for width in widths:
        for context in ("format", "stand-alone"):
            for day, name in get_day_names(width, context, locale).items():
                words = [w for w in _words(name) if w not in _NOT_THE_NAME and len(w) > 1]
                if len(words) == 1 and words[0] not in dropped:
                    names[words[0]] = day
    return names


def _babel_months(locale: Locale, data: dict) -> dict[str, int]:
    months = {}
    for width in ("wide", "abbreviated"):
        for context in ("format", "stand-alone"):
            for month, name in get_month_names(width, context, locale).items():
                words = _words(name)
                if len(words) == 1:
                    months[words[0]] = month
    months.update({" ".join(_words(k)): v for k, v in data.get("months", {}).items()})
    return months


def _meanings(language: str, data: dict, locale: Locale) -> dict[tuple[str, ...], Meaning]:
    """Every phrase of the language (as its normalized words) and what it means; a phrase
    with two meanings is a mistake in the data."""
    meanings: dict[tuple[str, ...], Meaning] = {}

    def add(text: str, meaning: Meaning) -> None:
        key = tuple(_words(text))
        if meanings.get(key, meaning) != meaning:
            raise ValueError(f"nlu.when ({language}): '{text}' has two meanings")
        meanings[key] = meaning

    duals = {" ".join(_words(k)) for k in data.get("weekday_ordinals", {})}
    for name, day in {**_babel_weekdays(locale, data), **data.get("weekdays", {})}.items():
        if " ".join(_words(name)) not in duals:
            add(name, ((WEEKDAY, day),))
    for group, kind in _GROUPS.items():
        for text, value in _entries(data.get(group, ())):
            add(text, ((kind, value),))
    for text, (offset, part) in data.get("day_parts", {}).items():
        add(text, ((DAY, offset), (PART, part)))
    unknown = {v for m in meanings.values() for k, v in m if k == PART} - _PARTS.keys()
    if unknown:
        raise ValueError(f"nlu.when ({language}): unknown parts of the day {unknown}")
    return meanings


def _compile(language: str) -> _Language:
    data = WORDS[language]
    locale = Locale.parse(BABEL_LOCALES[language])
    meanings = _meanings(language, data, locale)
    phrases: dict[str, list[tuple[list[str], Meaning]]] = {}
    for key in sorted(meanings, key=len, reverse=True):
        phrases.setdefault(key[0], []).append((list(key), meanings[key]))
    sets = {name: frozenset(_words(" ".join(data.get(name, ())))) for name in _WORD_SETS}
    day_units = {" ".join(_words(k)): v for k, v in data.get("day_units", {}).items()}
    months = _babel_months(locale, data)
    vocabulary = {w for key in meanings for w in key} | months.keys() | day_units.keys()
    return _Language(
        phrases=phrases,
        months=months,
        vocabulary=frozenset(vocabulary.union(*sets.values())),
        prefixes=data.get("prefixes", ""),
        day_units=day_units,
        sets=sets,
        month_first=language == "en",
        first_week_day=locale.first_week_day,
        weekend=(locale.weekend_start, locale.weekend_end),
    )


_LANGUAGES = {language: _compile(language) for language in WORDS}
