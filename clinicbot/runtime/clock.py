"""The time the booking code lives in: the real time, or, for `manage.py chat --now`, a clock
started at a given moment that runs on from there. Only that command moves it; everything that
reads appointment times asks `now()` rather than the system clock."""

from datetime import UTC, datetime, timedelta

_offset = timedelta(0)


def now() -> datetime:
    return datetime.now(tz=UTC) + _offset


def start_at(moment: datetime) -> None:
    """From now on, `now()` reads `moment` plus the time elapsed since this call."""
    global _offset
    _offset = moment - datetime.now(tz=UTC)


def reset() -> None:
    global _offset
    _offset = timedelta(0)
