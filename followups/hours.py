"""Business hours in the clinic's own timezone: when may a message go out?"""

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _span(text: str) -> tuple[time, time | None]:
    opens, closes = text.split("-")
    # "24:00" closes at midnight: represented as None, the end of the day.
    close = None if closes == "24:00" else time.fromisoformat(closes)
    return time.fromisoformat(opens), close


def next_opening(business_hours: dict, timezone: str, at: datetime) -> datetime | None:
    """`at` itself when the clinic is open then, else the next moment it opens (UTC).
    A clinic with no hours on file is taken as always open; one closed every day gives None."""
    if not business_hours:
        return at
    zone = ZoneInfo(timezone)
    local = at.astimezone(zone)
    for offset in range(8):
        day = local.date() + timedelta(days=offset)
        span = business_hours.get(WEEKDAYS[day.weekday()])
        if not span:
            continue
        opens, closes = _span(span)
        start = datetime.combine(day, opens, tzinfo=zone)
        end = (
            datetime.combine(day, closes, tzinfo=zone)
            if closes
            else start.replace(hour=0, minute=0) + timedelta(days=1)
        )
        if local < end:
            return max(local, start).astimezone(UTC)
    return None
