"""Processes racing for one slot on real PostgreSQL: exactly one books it."""

import subprocess
import sys
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection

from appointments.models import Appointment
from conversations.services.storage import conversation_get_or_create
from testing.servers import clean_environment

pytestmark = pytest.mark.django_db(transaction=True)
CONTENDERS = 6


def race(clinic, settings, contenders: int, service: str = "filling") -> list[str]:
    """Start `contenders` processes (each a different patient) that book the same hour at the
    same instant; returns what each printed."""
    database = settings.DATABASES["default"]["NAME"]
    environment = clean_environment(
        DEBUG="true",
        DATABASE_URL=settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
        REDIS_URL=settings.REDIS_URL,
    )
    start = (datetime.now(tz=clinic_tz(clinic)) + timedelta(days=3)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )
    go_at = time.time() + 4  # after every process has started Django
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "appointments.tests.race_worker",
                str(conversation_get_or_create(clinic_id=clinic.pk, phone=f"7990000{n:04d}").pk),
                service,
                start.isoformat(),
                str(go_at),
            ],
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for n in range(contenders)
    ]
    outcomes = []
    for process in processes:
        out, err = process.communicate(timeout=60)
        assert process.returncode == 0, err[-2000:]
        outcomes.append(out.strip().splitlines()[-1])
    return outcomes


def clinic_tz(clinic):
    from zoneinfo import ZoneInfo

    return ZoneInfo(clinic.timezone)


def test_processes_racing_for_one_slot_leave_exactly_one_winner(clinic, settings):
    if connection.vendor != "postgresql":
        pytest.skip("the race is decided by PostgreSQL's exclusion constraint")
    # A weekday at 10:00 three days ahead: free for the provider, whoever it is.
    outcomes = race(clinic, settings, CONTENDERS)
    assert sorted(outcomes) == ["taken"] * (CONTENDERS - 1) + ["won"]
    assert Appointment.objects.filter(status__in=Appointment.ACTIVE).count() == 1
