"""Processes racing for one slot on real PostgreSQL: exactly one books it."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db import connection

from appointments.models import Appointment
from bench.booking_race import race
from conversations.services.storage import conversation_get_or_create
from testing.servers import clean_environment

pytestmark = pytest.mark.django_db(transaction=True)
CONTENDERS = 6


def test_processes_racing_for_one_slot_leave_exactly_one_winner(clinic, settings, tmp_path):
    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL's exclusion constraint")
    database = settings.DATABASES["default"]["NAME"]  # the test database, committed rows
    environment = clean_environment(
        DEBUG="true",
        DATABASE_URL=settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
        REDIS_URL=settings.REDIS_URL,
    )
    patients = [
        conversation_get_or_create(clinic_id=clinic.pk, phone=f"7990000{n:04d}").pk
        for n in range(CONTENDERS)
    ]
    start = (datetime.now(tz=ZoneInfo(clinic.timezone)) + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    outcomes = race(patients, "filling", start, environment, tmp_path / "go")
    assert sorted(outcomes) == ["taken"] * (CONTENDERS - 1) + ["won"]
    assert Appointment.objects.filter(status__in=Appointment.ACTIVE).count() == 1
