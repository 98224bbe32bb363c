"""appointments.slots: the free-slot search, in pure Python (no database, no Django)."""

import inspect
import random
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from zoneinfo import ZoneInfo

import pytest

from appointments.slots import (
    END_OF_DAY,
    WEEKDAYS,
    Busy,
    Closure,
    Provider,
    Rules,
    Slot,
    clinic_as_one_chair,
    free_slots,
    parse_hours,
)

MADRID = ZoneInfo("Europe/Madrid")
TOKYO = ZoneInfo("Asia/Tokyo")
MONDAY = date(2026, 6, 1)
TUESDAY, WEDNESDAY, THURSDAY, FRIDAY = (MONDAY + timedelta(days=n) for n in range(1, 5))
WORKWEEK = {day: "09:00-18:00" for day in WEEKDAYS[:5]} | {"sat": None}  # no "sun" at all
EVERY_DAY = dict.fromkeys(WEEKDAYS, "09:00-13:00")
# Daylight saving in Madrid, 2026: clocks go 02:00 -> 03:00 on 29 March, 03:00 -> 02:00 on
# 25 October (both Sundays).
SPRING, FALL = date(2026, 3, 29), date(2026, 10, 25)
NO_NOTICE = Rules(min_notice=timedelta(0), horizon_days=0, step_minutes=15)


def at(day: date, hour: int, minute: int = 0, tz: ZoneInfo = MADRID) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=tz)


def doctor(code: str = "a", hours=None, services=None) -> Provider:
    return Provider(code=code, services=services, hours=WORKWEEK if hours is None else hours)


def search(
    providers=None,
    *,
    now: datetime | None = None,
    rules: Rules = NO_NOTICE,
    minutes: int = 15,
    service: str = "cleaning",
    **kwargs,
):
    """Every slot, by default of Monday only (no notice, a horizon of 0 days)."""
    return list(
        free_slots(
            providers=[doctor()] if providers is None else providers,
            service=service,
            duration=timedelta(minutes=minutes),
            tz=MADRID,
            now=at(MONDAY, 0) if now is None else now,
            rules=rules,
            **kwargs,
        )
    )


def clock(slots, day: date | None = None) -> list[str]:
    return [s.start.strftime("%H:%M") for s in slots if day is None or s.start.date() == day]


def days_of(slots) -> set[date]:
    return {s.start.date() for s in slots}


# Opening hours


def test_parse_hours_reads_one_or_several_ranges():
    assert parse_hours("09:00-18:00") == ((time(9), time(18)),)
    assert parse_hours("09:00-13:00,14:00-18:00") == ((time(9), time(13)), (time(14), time(18)))
    assert parse_hours("09:00-13:00, 14:30-18:00") == (
        (time(9), time(13)),
        (time(14, 30), time(18)),
    )
    assert parse_hours("20:00-24:00") == ((time(20), END_OF_DAY),)
    assert parse_hours(None) == ()
    assert parse_hours("") == ()


@pytest.mark.parametrize(
    "value",
    [
        "9:00-18:00",
        "18:00-09:00",
        "09:00-09:00",
        "25:00-26:00",
        "09:60-18:00",
        "09:00-13:00,12:00-18:00",  # overlapping
        "14:00-18:00,09:00-13:00",  # out of order
        "09:00-18:00,",
        "closed",
    ],
)
def test_parse_hours_errors_name_the_value(value):
    with pytest.raises(ValueError) as error:
        parse_hours(value)
    assert repr(value) in str(error.value)


def test_slots_are_laid_on_every_range_of_the_day():
    split = doctor(hours={"mon": "09:00-11:00,12:00-13:00"})
    slots = search([split], rules=Rules(timedelta(0), 0, 30), minutes=30)
    assert clock(slots) == ["09:00", "09:30", "10:00", "10:30", "12:00", "12:30"]
    assert all(s.end - s.start == timedelta(minutes=30) for s in slots)
    assert all(s.start.tzinfo is MADRID and s.end.tzinfo is MADRID for s in slots)
    assert {s.provider for s in slots} == {"a"}


def test_the_step_counts_from_each_opening_time():
    odd = doctor(hours={"mon": "09:10-10:00,10:20-11:00"})
    assert clock(search([odd], rules=Rules(timedelta(0), 0, 20), minutes=20)) == [
        "09:10",
        "09:30",
        "10:20",
        "10:40",
    ]


def test_a_range_may_close_at_midnight():
    late = doctor(hours={"mon": "20:00-24:00"})
    slots = search([late], rules=Rules(timedelta(0), 1, 60), minutes=60)
    assert clock(slots) == ["20:00", "21:00", "22:00", "23:00"]
    assert slots[-1].end == at(TUESDAY, 0)


def test_closed_weekdays_have_no_slots():
    slots = search(now=at(FRIDAY, 0), rules=Rules(timedelta(0), 3, 15))
    # Saturday is None, Sunday is missing: both closed.
    assert days_of(slots) == {FRIDAY, FRIDAY + timedelta(days=3)}


def test_unknown_day_names_are_refused():
    with pytest.raises(ValueError, match="monday"):
        search([doctor(hours={"monday": "09:00-18:00"})])


def test_bad_hours_are_refused_at_the_call_naming_the_value():
    with pytest.raises(ValueError, match="9-18"):
        free_slots(
            providers=[doctor(hours={"mon": "9-18"})],
            service="cleaning",
            duration=timedelta(minutes=15),
            tz=MADRID,
            now=at(MONDAY, 0),
            rules=NO_NOTICE,
        )


# Closures


def test_a_clinic_closure_covers_its_first_and_last_day():
    week = Rules(timedelta(0), 4, 15)
    slots = search(rules=week, closures=[Closure(TUESDAY, WEDNESDAY)])
    assert days_of(slots) == {MONDAY, THURSDAY, FRIDAY}


def test_a_provider_closure_closes_that_provider_only():
    week = Rules(timedelta(0), 2, 15)
    slots = search(
        [doctor("a"), doctor("b")], rules=week, closures=[Closure(TUESDAY, TUESDAY, "a")]
    )
    by_day = {day: {s.provider for s in slots if s.start.date() == day} for day in days_of(slots)}
    assert by_day == {MONDAY: {"a", "b"}, TUESDAY: {"b"}, WEDNESDAY: {"a", "b"}}


def test_a_closure_that_never_ends_ends_the_search():
    forever = Rules(timedelta(0), 10**9, 15)
    slots = search(rules=forever, closures=[Closure(TUESDAY, date.max)])
    assert days_of(slots) == {MONDAY}


# Durations and services


def test_a_slot_must_end_by_closing_time():
    slots = search(rules=Rules(timedelta(0), 0, 30), minutes=60)
    assert clock(slots)[-1] == "17:00"
    assert "17:30" not in clock(slots)


def test_a_slot_must_end_before_the_break():
    split = doctor(hours={"mon": "09:00-13:00,14:00-18:00"})
    starts = clock(search([split], rules=Rules(timedelta(0), 0, 30), minutes=60))
    assert "12:00" in starts and "14:00" in starts
    assert not {"12:30", "13:00", "13:30"} & set(starts)


def test_only_providers_performing_the_service_are_offered():
    team = [
        doctor("all"),
        doctor("hygienist", services=frozenset({"cleaning"})),
        doctor("surgeon", services=frozenset({"implant", "extraction"})),
    ]

    def who(service):
        return {s.provider for s in search(team, service=service)}

    assert who("cleaning") == {"all", "hygienist"}
    assert who("implant") == {"all", "surgeon"}
    assert who("whitening") == {"all"}
    assert search(team[1:], service="whitening") == []


def test_ties_follow_the_order_of_the_providers():
    slots = search([doctor("b"), doctor("a")])
    assert [(s.provider, s.start.strftime("%H:%M")) for s in slots[:4]] == [
        ("b", "09:00"),
        ("a", "09:00"),
        ("b", "09:15"),
        ("a", "09:15"),
    ]
    assert [s.start for s in slots] == sorted(s.start for s in slots)


def test_a_clinic_without_providers_is_one_chair_on_its_business_hours():
    chair = clinic_as_one_chair(WORKWEEK)
    assert chair == Provider(code="", services=None, hours=WORKWEEK)
    slots = search([chair], service="anything")
    assert {s.provider for s in slots} == {""}
    assert clock(slots)[0] == "09:00"


# Now, notice, horizon, window


def test_slots_in_the_past_are_not_offered():
    slots = search(now=at(MONDAY, 10, 7))
    assert clock(slots)[0] == "10:15"


def test_slots_within_the_minimum_notice_are_not_offered():
    two_hours = Rules(timedelta(hours=2), 0, 15)
    assert clock(search(now=at(MONDAY, 10, 7), rules=two_hours))[0] == "12:15"
    # Exactly the notice is enough.
    assert clock(search(now=at(MONDAY, 10), rules=two_hours))[0] == "12:00"


def test_notice_reaching_into_the_next_day():
    slots = search(now=at(MONDAY, 17), rules=Rules(timedelta(hours=20), 3, 15))
    assert slots[0].start == at(TUESDAY, 13)


def test_the_horizon_counts_days_from_today_inclusive():
    assert days_of(search(now=at(MONDAY, 10), rules=Rules(timedelta(0), 2, 15))) == {
        MONDAY,
        TUESDAY,
        WEDNESDAY,
    }
    assert days_of(search(now=at(MONDAY, 10), rules=Rules(timedelta(0), 0, 15))) == {MONDAY}


def test_start_and_end_restrict_the_starts():
    week = Rules(timedelta(0), 7, 15)
    slots = search(rules=week, start=at(TUESDAY, 11), end=at(TUESDAY, 12))
    assert [s.start for s in slots] == [at(TUESDAY, 11, m) for m in (0, 15, 30, 45)]
    # The end bounds starts, not ends: a slot starting 11:45 may run past 12:00.
    assert clock(search(rules=week, start=at(TUESDAY, 11), end=at(TUESDAY, 12), minutes=60)) == [
        "11:00",
        "11:15",
        "11:30",
        "11:45",
    ]


def test_an_end_bounds_the_search_whatever_the_horizon():
    endless = Rules(timedelta(0), 10**9, 15)
    slots = search(rules=endless, start=at(TUESDAY, 17), end=at(WEDNESDAY, 9, 30))
    assert [s.start for s in slots] == [at(TUESDAY, 17, m) for m in (0, 15, 30, 45)] + [
        at(WEDNESDAY, 9, m) for m in (0, 15)
    ]


def test_a_whole_day_through_the_window():
    week = Rules(timedelta(0), 7, 15)
    slots = search(rules=week, start=at(WEDNESDAY, 0), end=at(THURSDAY, 0))
    assert days_of(slots) == {WEDNESDAY}
    assert len(slots) == 36  # 09:00 to 17:45


def test_the_notice_still_applies_inside_the_window():
    slots = search(
        now=at(MONDAY, 10),
        rules=Rules(timedelta(hours=2), 0, 15),
        start=at(MONDAY, 9),
        end=at(MONDAY, 13),
    )
    assert clock(slots) == ["12:00", "12:15", "12:30", "12:45"]


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="now"):
        search(now=datetime(2026, 6, 1, 9))
    with pytest.raises(ValueError, match="busy"):
        search(busy=[Busy("a", datetime(2026, 6, 1, 10), datetime(2026, 6, 1, 11))])


# Busy intervals


def test_busy_blocks_overlapping_slots_but_not_back_to_back_ones():
    # 10:00-11:00 Madrid, given in UTC: any timezone will do.
    busy = [Busy("a", datetime(2026, 6, 1, 8, tzinfo=UTC), datetime(2026, 6, 1, 9, tzinfo=UTC))]
    starts = clock(search(busy=busy, minutes=30))
    assert "09:30" in starts  # ends as the busy interval starts
    assert "11:00" in starts  # starts as it ends
    assert not {"09:45", "10:00", "10:15", "10:30", "10:45"} & set(starts)


def test_busy_of_one_provider_does_not_block_another():
    busy = [Busy("a", at(MONDAY, 9), at(MONDAY, 18))]
    slots = search([doctor("a"), doctor("b")], busy=busy)
    assert {s.provider for s in slots} == {"b"}
    assert len(slots) == 36


def test_nested_and_unordered_busy_intervals_all_block():
    busy = [
        Busy("a", at(MONDAY, 16, 30, TOKYO), at(MONDAY, 10)),  # 09:30-10:00 in Madrid
        Busy("a", at(MONDAY, 9), at(MONDAY, 12)),
        Busy("a", at(MONDAY, 15), at(MONDAY, 15)),  # empty: blocks nothing
    ]
    starts = clock(search(busy=busy))
    assert starts[0] == "12:00"
    assert "15:00" in starts


def test_busy_spanning_days_blocks_each_of_them():
    week = Rules(timedelta(0), 4, 15)
    # Filed under each of its dates: Thursday is too far from Monday to be found from there.
    most_of_a_week = [Busy("a", at(MONDAY, 17), at(FRIDAY, 10, 30))]
    slots = search(rules=week, busy=most_of_a_week)
    assert days_of(slots) == {MONDAY, FRIDAY}
    assert clock(slots, FRIDAY)[0] == "10:30"
    # Ten days of leave from Monday noon in Madrid (19:00 in Tokyo).
    leave = [Busy("a", at(MONDAY, 19, tz=TOKYO), at(MONDAY + timedelta(days=10), 12))]
    slots = search(rules=Rules(timedelta(0), 14, 15), busy=leave)
    assert clock(slots, MONDAY)[-1] == "11:45"
    assert slots[12].start == at(MONDAY + timedelta(days=10), 12)


def test_empty_and_inverted_busy_intervals_block_nothing():
    busy = [
        Busy("a", at(MONDAY, 15), at(MONDAY, 15)),
        Busy("a", at(MONDAY, 15, 30), at(MONDAY, 15, 15)),
    ]
    assert len(search(busy=busy, minutes=60)) == 33  # 09:00 to 17:00


# Daylight saving (Europe/Madrid)


def around(change: date, hours=EVERY_DAY, step: int = 15, **kwargs):
    """Every slot of the day before, the day of and the day after a change."""
    day_before = change - timedelta(days=1)
    return search(
        [doctor(hours=hours)],
        now=at(day_before, 0),
        rules=Rules(timedelta(0), 2, step),
        **kwargs,
    )


@pytest.mark.parametrize(
    "change, before, after",
    [
        (SPRING, timedelta(hours=1), timedelta(hours=2)),
        (FALL, timedelta(hours=2), timedelta(hours=1)),
    ],
)
def test_ten_o_clock_has_the_offset_of_its_own_day(change, before, after):
    slots = around(change)
    ten = {s.start.date(): s.start for s in slots if s.start.hour == 10 and s.start.minute == 0}
    assert ten[change - timedelta(days=1)].utcoffset() == before
    assert ten[change].utcoffset() == after
    assert ten[change + timedelta(days=1)].utcoffset() == after
    assert ten[change].astimezone(UTC).hour == 10 - after.seconds // 3600


@pytest.mark.parametrize("change", [SPRING, FALL])
def test_a_morning_has_as_many_slots_either_side_of_a_change(change):
    slots = around(change)
    counts = [len(clock(slots, change + timedelta(days=n))) for n in (-1, 0, 1)]
    assert counts == [16, 16, 16]
    assert all((s.end - s.start) == timedelta(minutes=15) for s in slots)


def test_the_skipped_hour_offers_no_slot():
    night = dict.fromkeys(WEEKDAYS, "01:00-04:00")
    slots = around(SPRING, night, step=30, minutes=30)
    assert clock(slots, SPRING) == ["01:00", "01:30", "03:00", "03:30"]
    for s in slots:  # each start is a real wall time of Madrid
        assert s.start.astimezone(UTC).astimezone(MADRID).replace(tzinfo=None) == s.start.replace(
            tzinfo=None
        )


def test_a_closing_time_the_clock_skips_reads_as_its_earlier_instant():
    # 02:30 does not exist that night. Read with the summer offset it is 01:30 CET; with the
    # winter one, 03:30 CEST, an hour after the clock jumped. The earlier one is taken, so no
    # slot runs past a closing time the clock never showed.
    slots = [
        s
        for s in around(SPRING, dict.fromkeys(WEEKDAYS, "01:00-02:30"))
        if s.start.date() == SPRING
    ]
    assert clock(slots) == ["01:00", "01:15"]
    assert slots[-1].end.astimezone(UTC) == datetime(2026, 3, 29, 0, 30, tzinfo=UTC)


def real_minutes(slot) -> float:
    return (slot.end.astimezone(UTC) - slot.start.astimezone(UTC)).total_seconds() / 60


def test_a_slot_lasts_real_time_when_the_clock_springs_forward():
    # 01:00-04:00 on that night is two real hours: a 150-minute visit does not fit, though the
    # clock face shows three.
    night = dict.fromkeys(WEEKDAYS, "01:00-04:00")
    slots = around(SPRING, night, minutes=150)
    assert clock(slots, SPRING) == []
    assert "01:00" in clock(slots, SPRING - timedelta(days=1))


def test_a_slot_lasts_real_time_when_the_clock_falls_back():
    # 01:00-03:00 on that night is three real hours: a 150-minute visit fits, from 01:00.
    night = dict.fromkeys(WEEKDAYS, "01:00-03:00")
    slots = [s for s in around(FALL, night, minutes=150) if s.start.date() == FALL]
    assert clock(slots) == ["01:00", "01:15", "01:30"]
    assert all(real_minutes(s) == 150 for s in slots)
    assert slots[0].end == datetime(2026, 10, 25, 2, 30, fold=1, tzinfo=MADRID)
    assert slots[0].end.utcoffset() == timedelta(hours=1)


# Laziness


def test_the_search_is_a_lazy_generator():
    result = free_slots(
        providers=[doctor()],
        service="cleaning",
        duration=timedelta(minutes=30),
        tz=MADRID,
        now=at(MONDAY, 8),
        rules=Rules(timedelta(0), 10**6, 15),
    )
    assert inspect.isgenerator(result)
    assert [s.start for s in islice(result, 3)] == [at(MONDAY, 9, m) for m in (0, 15, 30)]


def test_a_horizon_past_the_calendar_still_answers():
    slots = free_slots(
        providers=[doctor()],
        service="cleaning",
        duration=timedelta(minutes=30),
        tz=MADRID,
        now=at(MONDAY, 8),
        rules=Rules(timedelta(0), 10**9, 15),
        busy=[Busy("a", at(MONDAY, 9), at(TUESDAY, 9))],
    )
    assert [s.start for s in islice(slots, 3)] == [at(TUESDAY, 9, m) for m in (0, 15, 30)]


def test_nobody_working_ends_the_search():
    closed = Rules(timedelta(0), 10**9, 15)
    assert search([doctor(hours={})], rules=closed) == []


# Against a brute-force search


def brute_force(providers, service, duration, tz, now, rules, closures, busy):
    """Every wall-clock start of every day, each checked against every rule, the slow way."""
    found = []
    today = now.astimezone(tz).date()
    for day in (today + timedelta(days=n) for n in range(-1, rules.horizon_days + 1)):
        for order, p in enumerate(providers):
            if p.services is not None and service not in p.services:
                continue
            if any(c.first <= day <= c.last and c.provider in (None, p.code) for c in closures):
                continue
            for opens, closes in parse_hours(p.hours.get(WEEKDAYS[day.weekday()])):
                for local in wall_times(day, opens, closes, rules.step_minutes, tz):
                    at = local.astimezone(UTC)
                    if at.astimezone(tz).replace(tzinfo=None) != local.replace(tzinfo=None):
                        continue  # skipped by the clock
                    ends = at + duration
                    if ends > closing(day, closes, tz) or at < now + rules.min_notice:
                        continue
                    if any(
                        b.provider == p.code and b.start < b.end and b.start < ends and b.end > at
                        for b in busy
                    ):
                        continue
                    found.append((at, order, Slot(p.code, local, ends.astimezone(tz))))
    return [slot for _, _, slot in sorted(found, key=lambda f: f[:2])]


def wall_times(day, opens, closes, step, tz):
    minute = opens.hour * 60 + opens.minute
    stop = 24 * 60 if closes == END_OF_DAY else closes.hour * 60 + closes.minute
    while minute < stop:
        yield datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
        minute += step


def closing(day, closes, tz):
    if closes == END_OF_DAY:
        return datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
    local = datetime.combine(day, closes, tzinfo=tz)
    return min(local.astimezone(UTC), local.replace(fold=1).astimezone(UTC))


def random_clinic(rng):
    zones = [MADRID, TOKYO, ZoneInfo("America/Santiago"), ZoneInfo("Australia/Lord_Howe")]
    patterns = [None, "09:00-18:00", "09:00-13:00,14:00-18:00", "00:00-24:00", "01:00-04:00"]
    services = [None, frozenset({"x"}), frozenset({"y"})]
    providers = [
        Provider(f"p{n}", rng.choice(services), {day: rng.choice(patterns) for day in WEEKDAYS})
        for n in range(3)
    ]
    around = rng.choice([SPRING, FALL, MONDAY, date(2026, 4, 4)]) - timedelta(days=1)
    now = datetime.combine(around, time(0), tzinfo=UTC) + timedelta(minutes=rng.randrange(3000))
    busy = []
    for _ in range(rng.randint(0, 25)):  # in any zone, some empty, inverted, or days long
        begins = now + timedelta(minutes=rng.randrange(-600, 6 * 24 * 60))
        ends = begins + timedelta(minutes=rng.choice([-30, 0, 30, 90, 600, 15000]))
        zone = rng.choice(zones)
        busy.append(Busy(f"p{rng.randrange(3)}", begins.astimezone(zone), ends.astimezone(zone)))
    return {
        "providers": providers,
        "service": "x",
        "duration": timedelta(minutes=rng.choice([15, 60, 150])),
        "tz": rng.choice(zones),
        "now": now,
        "rules": Rules(timedelta(minutes=rng.choice([0, 120])), rng.randint(0, 4), 40),
        "closures": [Closure(now.date() + timedelta(days=2), now.date() + timedelta(days=3), "p1")],
        "busy": busy,
    }


def test_agrees_with_a_brute_force_search_on_random_clinics():
    rng = random.Random(8)
    for _ in range(150):
        clinic = random_clinic(rng)
        expected = brute_force(**clinic)
        assert [detail(s) for s in free_slots(**clinic)] == [detail(s) for s in expected]


def detail(slot):
    """What a slot says, offsets included (aware datetimes of one zone compare by wall time)."""
    return slot.provider, slot.start.isoformat(), slot.end.isoformat()
