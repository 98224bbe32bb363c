"""A patient of the demo clinic (two providers, closed at New Year) and a fixed clock."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from clinicbot.runtime import clock

MOSCOW = ZoneInfo("Europe/Moscow")
# A Monday morning, clinic time.
MONDAY_9 = datetime(2026, 12, 7, 9, 0, tzinfo=MOSCOW)
PATIENT = "79990001122"


def local(day: int, hour: int, minute: int = 0, month: int = 12, year: int = 2026) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=MOSCOW)


@pytest.fixture
def conversation(clinic):
    from conversations.services.storage import conversation_get_or_create

    return conversation_get_or_create(clinic_id=clinic.pk, phone=PATIENT)


@pytest.fixture
def clinic_clock():
    """The booking code's clock, started at Monday 7 December 2026, 09:00 in Moscow."""
    clock.start_at(MONDAY_9)
    yield MONDAY_9
    clock.reset()
