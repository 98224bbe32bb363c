"""The booking lane's benchmarks (issue: appointments).

1. Slot search on the database: a clinic of 10 providers with 2,000 appointments booked over 60
   days; each query reads the calendar as a booking turn does (providers, closures and rules
   through django-cachalot as in production; the appointments it needs always from
   PostgreSQL, in SQL cachalot does not cache) and finds either the 5 nearest free times or
   every free time of one day.
2. A race: 50 processes, each a different patient, book the same slot at the same instant.
3. Booking turns over the webhook (BookingRun), at 20 per second beside the fast-lane load:
   each patient runs the dialogue "book a cleaning", "1", "yes", "cancel my appointment", "yes"
   in their language, pausing as a person does between messages; the latency is the reply's
   arrival at the fake gateway minus the webhook request's start.

1 and 2 run as `python -m bench.booking_bench` in the bench's environment (one JSON line out).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

from bench import webhook_bench as wb

BOOKING_PREFIX = "7991"  # 7992-7999 are the other runs' (clinic_day, llm_lane, ...)
BOOKING_RATE = 20.0
THINK_S = 2.0  # a patient's pause between reading a reply and answering it
PROVIDERS = 10
APPOINTMENTS = 2000
HORIZON_DAYS = 60
QUERIES = 500
RACERS = 50

SCRIPTS = {
    "ru": ["хочу записаться на чистку", "1", "да", "хочу отменить запись", "да"],
    "en": ["I'd like to book a cleaning", "1", "yes", "cancel my appointment", "yes"],
    "es": ["quiero pedir cita para una limpieza", "1", "sí", "quiero cancelar mi cita", "sí"],
    "pt": ["quero marcar uma limpeza", "1", "sim", "quero cancelar minha consulta", "sim"],
    "uk": ["хочу записатися на чистку", "1", "так", "хочу скасувати запис", "так"],
    "he": ["אני רוצה לקבוע תור לניקוי אבנית", "1", "כן", "אני רוצה לבטל את התור", "כן"],
}  # fmt: skip


# --- booking turns over the webhook
class BookingRun(wb.OpenLoopRun):
    """An open loop whose patients each walk through their language's booking dialogue."""

    def __init__(self, pool, messages, people):
        texts = {language: [(line, "") for line in lines] for language, lines in SCRIPTS.items()}
        super().__init__(pool, messages, people, texts)
        self.step = {patient.phone: 0 for patient in people}

    async def fire(self, due_ns: int) -> None:
        if not self.idle:
            self.skipped += 1
            return
        patient = self.idle.pop(self._random.randrange(len(self.idle)))
        lines = SCRIPTS[patient.language]
        text = lines[self.step[patient.phone] % len(lines)]
        self.step[patient.phone] += 1
        record = wb.Sent("new", patient.phone, self.messages.next_id(), text, "", self.phase)
        body = self.messages.body(patient.phone, record.message_id, text)
        try:
            await self._send(record, body, due_ns)
        finally:
            # Back in the pool once they could have read the reply: a patient answers what
            # the bot said, not what it has yet to say.
            asyncio.get_running_loop().call_later(THINK_S, self.idle.append, patient)
        if self._random.random() < wb.REDELIVERY_SHARE:
            self._schedule_redelivery(record, body)


def booking_patients(count: int = 80) -> list[wb.Patient]:
    return wb.patients(count, BOOKING_PREFIX)


# --- slot search and the race, inside the bench's environment
def ten_provider_clinic():
    from conversations.clinic_file import parse_clinic_file
    from conversations.services.clinics import clinic_import

    data = json.loads(wb.DEMO_CLINIC.read_text(encoding="utf-8"))
    codes = [service["code"] for service in data["services"]]
    data |= {
        "slug": "bench-ten-providers",
        "name": "Ten Providers",
        "whatsapp_instance": "bench-ten",
        "closures": [],
        "providers": [
            {
                "code": f"p{n:02d}",
                "name": {"en": f"Provider {n}"},
                "services": codes[n % 3 :: 2],  # overlapping halves of the list
                "hours": {day: "09:00-19:00" for day in ("mon", "tue", "wed", "thu", "fri")}
                | {"sat": "10:00-16:00", "sun": None},
            }
            for n in range(PROVIDERS)
        ],
    }
    return clinic_import(spec=parse_clinic_file(data)).clinic


def book_appointments(clinic, count: int, rng: random.Random) -> int:
    """`count` booked appointments of an hour on whole hours, none overlapping, spread over the
    horizon and the providers (written in bulk: this is set-up, not what is measured)."""
    from zoneinfo import ZoneInfo

    from appointments.models import Appointment, Provider
    from conversations.services.storage import conversation_get_or_create
    from pricing.models import Service

    tz = ZoneInfo(clinic.timezone)
    providers = list(Provider.objects.filter(clinic=clinic, active=True))
    service = Service.objects.filter(clinic=clinic).first()
    patients = [
        conversation_get_or_create(clinic_id=clinic.pk, phone=f"7981{n:07d}") for n in range(100)
    ]
    today = datetime.now(tz=tz).date()
    taken, rows = set(), []
    while len(rows) < count:
        provider = rng.choice(providers)
        day = today + timedelta(days=rng.randrange(1, HORIZON_DAYS))
        hour = rng.randrange(9, 18)
        if (provider.pk, day, hour) in taken or day.weekday() == 6:
            continue
        taken.add((provider.pk, day, hour))
        start = datetime(day.year, day.month, day.day, hour, tzinfo=tz)
        rows.append(
            Appointment(
                clinic=clinic,
                conversation=rng.choice(patients),
                provider=provider,
                service=service,
                starts_at=start,
                ends_at=start + timedelta(hours=1),
                status=Appointment.Status.BOOKED,
            )
        )
    Appointment.objects.bulk_create(rows, batch_size=500)
    return len(rows)


def slot_search(clinic, rng: random.Random) -> dict:
    from appointments.services import calendar
    from pricing.models import Service

    services = list(Service.objects.filter(clinic=clinic, active=True))
    nearest, day = [], []
    for _ in range(QUERIES):
        service = rng.choice(services)
        started = time.perf_counter()
        cal = calendar.calendar_of(clinic)
        calendar.nearest_free_times(cal, service, 5)
        nearest.append((time.perf_counter() - started) * 1000)

        started = time.perf_counter()
        cal = calendar.calendar_of(clinic)
        local_day = datetime.now(tz=cal.tz).date() + timedelta(days=rng.randrange(1, 60))
        begin = datetime(local_day.year, local_day.month, local_day.day, tzinfo=cal.tz)
        list(calendar.free_times(cal, service, start=begin, end=begin + timedelta(days=1)))
        day.append((time.perf_counter() - started) * 1000)
    return {"nearest_5": wb.latency_summary(nearest), "one_day": wb.latency_summary(day)}


def fifty_way_race(clinic) -> dict:
    from zoneinfo import ZoneInfo

    from appointments.models import Appointment
    from bench.booking_race import race
    from conversations.services.storage import conversation_get_or_create

    racers = [
        conversation_get_or_create(clinic_id=clinic.pk, phone=f"7982{n:07d}").pk
        for n in range(RACERS)
    ]
    # A Sunday the clinic is closed, so no appointment of the set-up is there already.
    tz = ZoneInfo(clinic.timezone)
    today = datetime.now(tz=tz).date()
    sunday = today + timedelta(days=(6 - today.weekday()) % 7 + 7)
    start = datetime(sunday.year, sunday.month, sunday.day, 12, tzinfo=tz)
    with tempfile.TemporaryDirectory() as scratch:
        started = time.perf_counter()
        outcomes = race(racers, "consultation", start, dict(os.environ), Path(scratch) / "go")
        elapsed = time.perf_counter() - started
    booked = Appointment.objects.filter(
        clinic=clinic, starts_at=start, status__in=Appointment.ACTIVE
    ).count()
    return {
        "contenders": len(outcomes),
        "won": outcomes.count("won"),
        "taken": outcomes.count("taken"),
        "active_rows_for_the_slot": booked,
        "seconds": round(elapsed, 1),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")
    import django

    django.setup()
    rng = random.Random(7)
    clinic = ten_provider_clinic()
    booked = book_appointments(clinic, APPOINTMENTS, rng)
    result = {"appointments": booked, "slot_search": slot_search(clinic, rng)}
    result["race"] = fifty_way_race(clinic)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
