"""Free appointment slots for a clinic: pure Python (standard library and zoneinfo, no Django).

`free_slots` lists the starts a patient may book for one service, earliest first, from the
providers' weekly hours, the closures and the intervals already busy. It is a generator that
examines one clinic-local day at a time, so asking for the next few slots looks at the next few
days only, never the whole booking horizon.

Hours are clinic-local wall-clock times: candidate starts are laid every `step_minutes` of the
clock from each opening time. A slot's length is real elapsed time, so a 60-minute appointment
lasts 60 minutes on a daylight-saving day too. Internally every instant is an aware datetime in
UTC: those compare exactly (no float rounding at the half-open boundaries) and fast (one tzinfo,
no offset lookups).
"""

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import accumulate
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# "24:00" as a closing time: the end of the day, which `time` cannot spell otherwise.
END_OF_DAY = time.max
ONE_DAY = timedelta(days=1)
# The search reads the day after the one it examines: it stops short of the calendar's end.
LAST_DAY = date.max - 2 * ONE_DAY
# A busy interval longer than this (a leave booked as busy) is checked on every day rather than
# filed under each of its dates.
LONG_BUSY_DAYS = 7
_RANGE = re.compile(r"(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})")


@dataclass(frozen=True, slots=True)
class Provider:
    code: str
    services: frozenset[str] | None  # None: performs every service
    # {"mon": "09:00-18:00", ..., "sun": None}; a missing day is closed. A day may have several
    # ranges: "09:00-13:00,14:00-18:00".
    hours: Mapping[str, str | None]


@dataclass(frozen=True, slots=True)
class Closure:
    first: date  # whole clinic-local days, both ends included
    last: date
    provider: str | None = None  # None: the whole clinic is closed


@dataclass(frozen=True, slots=True)
class Busy:
    provider: str
    start: datetime  # aware, any timezone; half-open: [start, end)
    end: datetime


@dataclass(frozen=True, slots=True)
class Rules:
    min_notice: timedelta = timedelta(minutes=120)
    horizon_days: int = 60
    step_minutes: int = 15


@dataclass(frozen=True, slots=True)
class Slot:
    provider: str
    start: datetime  # aware, in the clinic's timezone
    end: datetime


def clinic_as_one_chair(business_hours: Mapping[str, str | None]) -> Provider:
    """A clinic with no providers books against its business hours, as a single chair."""
    return Provider(code="", services=None, hours=business_hours)


def parse_hours(value: str | None) -> tuple[tuple[time, time], ...]:
    """One day's opening hours: "09:00-13:00,14:00-18:00" -> ((09:00, 13:00), (14:00, 18:00));
    None or "" (closed) -> ().

    "24:00" closes at the end of the day and reads as END_OF_DAY (time.max). Ranges must be in
    order and must not overlap; anything else raises ValueError naming the value."""
    if value is None or value == "":
        return ()
    if not isinstance(value, str):
        raise ValueError(f"opening hours {value!r} are not a string like '09:00-18:00'")
    ranges: list[tuple[time, time]] = []
    for part in value.split(","):
        opens, closes = _parse_range(part.strip(), value)
        if ranges and opens < ranges[-1][1]:
            raise ValueError(f"opening hours {value!r}: ranges overlap or are out of order")
        ranges.append((opens, closes))
    return tuple(ranges)


def _parse_range(text: str, value: str) -> tuple[time, time]:
    match = _RANGE.fullmatch(text)
    if match is None:
        raise ValueError(f"opening hours {value!r}: {text!r} is not a range like '09:00-18:00'")
    oh, om, ch, cm = (int(group) for group in match.groups())
    if not (oh < 24 and om < 60 and cm < 60 and (ch < 24 or (ch, cm) == (24, 0))):
        raise ValueError(f"opening hours {value!r}: {text!r} is not a time of day")
    opens = time(oh, om)
    closes = END_OF_DAY if ch == 24 else time(ch, cm)
    if closes <= opens:
        raise ValueError(f"opening hours {value!r}: {text!r} closes before it opens")
    return opens, closes


# Providers share a handful of hour strings, and a search asks for all seven days of each.
_parse_cached = lru_cache(maxsize=1024)(parse_hours)


def free_slots(
    *,
    providers: Sequence[Provider],
    service: str,
    duration: timedelta,
    tz: ZoneInfo,
    now: datetime,
    rules: Rules,
    closures: Sequence[Closure] = (),
    busy: Iterable[Busy] = (),
    start: datetime | None = None,
    end: datetime | None = None,
) -> Iterator[Slot]:
    """Free slots for `service`, earliest first (ties: providers in the given order), lazily.

    `start`/`end` (aware) restrict the slots' starts to [start, end). Bad arguments (naive
    datetimes, unreadable hours, a duration or step that is not positive) raise ValueError here,
    at the call; `busy` is read when the first slot is asked for."""
    for name, moment in (("now", now), ("start", start), ("end", end)):
        if moment is not None and moment.utcoffset() is None:
            raise ValueError(f"{name} must be an aware datetime, got {moment!r}")
    if duration <= timedelta(0):
        raise ValueError(f"duration must be positive, got {duration!r}")
    if rules.step_minutes <= 0:
        raise ValueError(f"step_minutes must be positive, got {rules.step_minutes!r}")
    chairs = [_Chair.of(p, closures) for p in providers if _performs(p, service)]
    earliest = (now + rules.min_notice).astimezone(UTC)
    if start is not None:
        earliest = max(earliest, start.astimezone(UTC))
    window = _Window(earliest, None if end is None else end.astimezone(UTC), duration)
    last_day = _last_day(now.astimezone(tz).date(), rules.horizon_days, end, tz)
    clinic_closed = sorted((c.first, c.last) for c in closures if c.provider is None)
    first_day = earliest.astimezone(tz).date()
    return _search(chairs, busy, tz, rules.step_minutes, window, first_day, last_day, clinic_closed)


def _performs(provider: Provider, service: str) -> bool:
    return provider.services is None or service in provider.services


def _last_day(today: date, horizon_days: int, end: datetime | None, tz: ZoneInfo) -> date:
    if horizon_days > (LAST_DAY - today).days:
        last = LAST_DAY  # a horizon past the calendar's end is as good as the calendar
    else:
        last = today + timedelta(days=horizon_days)
    if end is not None:
        # End is exclusive: an end at local midnight must not drag in the next day's grid.
        last = min(last, (end - timedelta(microseconds=1)).astimezone(tz).date())
    return last


@dataclass(frozen=True, slots=True)
class _Window:
    earliest: datetime  # UTC: the first start allowed (notice, `start`)
    before: datetime | None  # UTC: starts must come before this (`end`)
    duration: timedelta


@dataclass(frozen=True, slots=True)
class _Chair:
    """A provider made ready for the search: hours by weekday, own closures."""

    code: str
    week: tuple[tuple[tuple[time, time], ...], ...]  # indexed by date.weekday()
    closed: tuple[tuple[date, date], ...]

    @classmethod
    def of(cls, provider: Provider, closures: Sequence[Closure]) -> "_Chair":
        unknown = set(provider.hours) - set(WEEKDAYS)
        if unknown:
            # A typo ("Mon", "monday") would otherwise close that day without a word.
            raise ValueError(f"provider {provider.code!r}: unknown days {sorted(unknown)}")
        week = tuple(_day_hours(provider.hours.get(day)) for day in WEEKDAYS)
        closed = tuple((c.first, c.last) for c in closures if c.provider == provider.code)
        return cls(provider.code, week, closed)

    def closed_on(self, day: date) -> bool:
        return any(first <= day <= last for first, last in self.closed)


def _day_hours(value: object) -> tuple[tuple[time, time], ...]:
    if value is None or isinstance(value, str):
        return _parse_cached(value)
    return parse_hours(value)  # raises, naming the value; unhashable values cannot be cached


class _BusyIndex:
    """Each provider's busy intervals, filed by the dates their own clock shows (in their own
    timezone: read without converting anything). The search examines one clinic-local day at a
    time, and only intervals dated within two days of it can touch it (UTC offsets stay under
    24 hours either way, so two clocks differ by under two days), so only those are ever
    converted to UTC and sorted: asking for the next few slots does not pay for every booking
    of the next two months."""

    __slots__ = ("_dated", "_long", "_utc")

    def __init__(self, busy: Iterable[Busy], codes: set[str]):
        self._dated: dict[str, defaultdict[int, list[Busy]]] = {
            code: defaultdict(list) for code in codes
        }
        self._long: dict[str, list[Busy]] = {code: [] for code in codes}
        self._utc: dict[tuple[str, int], list[tuple[datetime, datetime]]] = {}
        for interval in busy:
            dated = self._dated.get(interval.provider)
            if dated is None:
                continue  # a provider who does not perform this service
            first, last = interval.start.toordinal(), interval.end.toordinal()
            if first == last:
                dated[first].append(interval)
            elif last - first > LONG_BUSY_DAYS:
                self._long[interval.provider].append(interval)  # filed once, read every day
            else:
                for ordinal in range(first, last + 1):  # an inverted one: nowhere
                    dated[ordinal].append(interval)

    def timeline(self, code: str, day: date) -> tuple[list[datetime], list[datetime]]:
        """The busy intervals that may touch `day`: their starts in UTC, sorted, and beside
        each the latest end among it and those before it (so overlapping or nested intervals
        need no merging)."""
        spans = self._converted(code, None)
        for ordinal in range(day.toordinal() - 2, day.toordinal() + 3):
            spans = spans + self._converted(code, ordinal)
        # Empty or inverted intervals block nothing; one filed on several dates is harmless.
        spans = sorted(span for span in spans if span[1] > span[0])
        return [start for start, _ in spans], list(accumulate([end for _, end in spans], max))

    def _converted(self, code: str, ordinal: int | None) -> list[tuple[datetime, datetime]]:
        key = (code, -1 if ordinal is None else ordinal)
        spans = self._utc.get(key)
        if spans is None:
            given = self._long[code] if ordinal is None else self._dated[code].get(ordinal, ())
            spans = self._utc[key] = [_in_utc(interval) for interval in given]
        return spans


def _in_utc(interval: Busy) -> tuple[datetime, datetime]:
    if interval.start.tzinfo is None or interval.end.tzinfo is None:
        # astimezone() would read a naive time as the server's local time, silently.
        raise ValueError(f"busy times must be aware datetimes, got {interval!r}")
    return interval.start.astimezone(UTC), interval.end.astimezone(UTC)


def _clashes(
    starts: Sequence[datetime], reach: Sequence[datetime], at: datetime, finish: datetime
) -> bool:
    """Whether [at, finish) overlaps a busy interval: one starting before the slot ends whose
    end (the furthest reached so far) comes after the slot starts."""
    before = bisect_left(starts, finish)
    return before > 0 and reach[before - 1] > at


def _search(
    chairs: list[_Chair],
    busy: Iterable[Busy],
    tz: ZoneInfo,
    step: int,
    window: _Window,
    day: date,
    last_day: date,
    clinic_closed: list[tuple[date, date]],
) -> Iterator[Slot]:
    if not any(any(chair.week) for chair in chairs):
        return  # nobody ever works: without this a long horizon would be walked for nothing
    index = _BusyIndex(busy, {chair.code for chair in chairs})
    while day <= last_day:
        reopens = _reopening(day, clinic_closed)
        if reopens is None:
            return
        if reopens != day:
            day = reopens
            continue
        yield from _day_slots(day, chairs, index, tz, step, window)
        day += ONE_DAY


def _reopening(day: date, clinic_closed: list[tuple[date, date]]) -> date | None:
    """`day`, or the first day after it that no clinic-wide closure covers (None: never).
    Jumping over a closure keeps a long closure from being walked day by day."""
    for first, last in clinic_closed:  # sorted by first day, so one pass settles overlaps
        if first <= day <= last:
            if last >= LAST_DAY:
                return None
            day = last + ONE_DAY
    return day


def _day_slots(
    day: date,
    chairs: list[_Chair],
    index: _BusyIndex,
    tz: ZoneInfo,
    step: int,
    window: _Window,
) -> Iterator[Slot]:
    weekday = day.weekday()
    grids: dict[tuple[tuple[time, time], ...], list[tuple[datetime, datetime, int]]] = {}
    found: list[tuple[datetime, int, int, datetime, str]] = []
    for order, chair in enumerate(chairs):
        ranges = chair.week[weekday]
        if not ranges or chair.closed_on(day):
            continue
        grid = grids.get(ranges)
        if grid is None:  # providers with the same hours share one grid
            grid = grids[ranges] = _grid(day, ranges, tz, step, window)
        if not grid:
            continue
        starts, reach = index.timeline(chair.code, day)
        for at, finish, minute in grid:
            if not (starts and _clashes(starts, reach, at, finish)):
                found.append((at, order, minute, finish, chair.code))
    # (instant, provider order) is unique, so the sort never compares further.
    found.sort()
    for _, _, minute, finish, code in found:  # Slots made as they are asked for
        start = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
        yield Slot(code, start, finish.astimezone(tz))


def _grid(
    day: date, ranges: tuple[tuple[time, time], ...], tz: ZoneInfo, step: int, window: _Window
) -> list[tuple[datetime, datetime, int]]:
    """(start in UTC, end in UTC, start as the minute of the day) of each start on `day` that
    fits its range and the window, before any busy interval is considered."""
    offset = _steady_offset(day, tz)
    # On a day the clocks do not change, a wall time is midnight plus minutes, in UTC too.
    midnight = None if offset is None else datetime.combine(day, time(0), tzinfo=UTC) - offset
    grid = []
    for opens, closes in ranges:
        close_at = _closing_instant(day, closes, tz)
        first = opens.hour * 60 + opens.minute
        stop = 24 * 60 if closes is END_OF_DAY else closes.hour * 60 + closes.minute
        for minute in range(first, stop, step):
            if midnight is not None:
                at = midnight + timedelta(minutes=minute)
            else:
                at = _real_instant(day, minute, tz)
                if at is None:
                    continue
            finish = at + window.duration
            # Starts (with fold=0) grow in real time along the day, so once one is too late
            # every later one is.
            if finish > close_at or (window.before is not None and at >= window.before):
                break
            if at >= window.earliest:
                grid.append((at, finish, minute))
    return grid


def _steady_offset(day: date, tz: ZoneInfo) -> timedelta | None:
    """The day's UTC offset if it keeps one from midnight to midnight, else None. Clocks change
    at most once a day, so the same offset at both ends means no change in between."""
    opens = tz.utcoffset(datetime.combine(day, time(0)))
    closes = tz.utcoffset(datetime.combine(day + ONE_DAY, time(0)))
    return opens if opens == closes else None


def _real_instant(day: date, minute: int, tz: ZoneInfo) -> datetime | None:
    """The instant (UTC) a wall time of a day the clocks change shows; None if the clock skips
    it. An ambiguous time reads as its first occurrence (fold=0)."""
    local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
    at = local.astimezone(UTC)
    back = at.astimezone(tz)
    # A skipped time converts to UTC as if the clocks had not changed yet, and comes back as
    # another wall time.
    if (back.day, back.hour, back.minute) != (local.day, local.hour, local.minute):
        return None
    return at


def _closing_instant(day: date, closes: time, tz: ZoneInfo) -> datetime:
    if closes is END_OF_DAY:
        return datetime.combine(day + ONE_DAY, time(0), tzinfo=tz).astimezone(UTC)
    local = datetime.combine(day, closes, tzinfo=tz)
    # A closing time the clock skips or repeats reads as its earlier instant: a slot never runs
    # past the close the clinic meant.
    return min(local.astimezone(UTC), local.replace(fold=1).astimezone(UTC))
