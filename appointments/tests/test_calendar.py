"""Holding, booking, confirming, moving and cancelling on a real database: the calendar's rules,
the constraint that refuses a double booking, and the reminders that follow an appointment."""

from datetime import timedelta
from itertools import islice

import pytest
from django.db import IntegrityError, connection, transaction

from appointments.models import Appointment, AppointmentChange, Provider
from appointments.services import calendar
from appointments.services.calendar import NotAllowed, SlotTaken
from appointments.slots import Slot
from appointments.tests.conftest import MONDAY_9, local
from followups.models import FollowUp
from pricing.models import Service

pytestmark = pytest.mark.django_db


def _service(clinic, code):
    return Service.objects.get(clinic=clinic, code=code)


def _slot(clinic, provider, start, minutes=60):
    return Slot(provider=provider, start=start, end=start + timedelta(minutes=minutes))


def test_the_demo_clinics_free_times_respect_notice_providers_and_hours(clinic):
    cal = calendar.calendar_of(clinic)
    cleaning = _service(clinic, "cleaning")
    first = list(islice(calendar.free_times(cal, cleaning, now=MONDAY_9), 3))
    # Two hours' notice from 09:00, and the hygienist (the only one who cleans) opens at 10:00.
    assert [s.start for s in first] == [local(7, 11), local(7, 11, 15), local(7, 11, 30)]
    assert {s.provider for s in first} == {"hyg-petrova"}


def test_a_held_time_is_not_offered_again_until_the_hold_runs_out(clinic, conversation):
    cal = calendar.calendar_of(clinic)
    cleaning = _service(clinic, "cleaning")
    held = calendar.hold(
        calendar=cal,
        conversation=conversation,
        service=cleaning,
        slot=_slot(clinic, "hyg-petrova", local(7, 11)),
        now=MONDAY_9,
    )
    assert held.status == "held" and held.hold_expires_at == MONDAY_9 + timedelta(minutes=10)
    offered = next(calendar.free_times(cal, cleaning, now=MONDAY_9))
    assert offered.start == local(7, 12)  # 11:00-12:00 is held
    later = MONDAY_9 + timedelta(minutes=11)
    assert next(calendar.free_times(cal, cleaning, now=later)).start == local(7, 11, 15)


def test_a_second_hold_on_a_taken_time_is_refused(clinic, conversation):
    cal = calendar.calendar_of(clinic)
    filling = _service(clinic, "filling")
    slot = _slot(clinic, "dr-ivanova", local(8, 10))
    calendar.hold(calendar=cal, conversation=conversation, service=filling, slot=slot, now=MONDAY_9)
    overlapping = _slot(clinic, "dr-ivanova", local(8, 10, 30))
    with pytest.raises(SlotTaken):
        calendar.hold(
            calendar=cal, conversation=conversation, service=filling, slot=overlapping, now=MONDAY_9
        )
    # Back to back is no overlap, and another provider's same time is free.
    calendar.hold(
        calendar=cal,
        conversation=conversation,
        service=filling,
        slot=_slot(clinic, "dr-ivanova", local(8, 11)),
        now=MONDAY_9,
    )
    assert Appointment.objects.filter(status="held").count() == 2


def test_the_database_itself_refuses_overlapping_active_appointments(clinic, conversation):
    """Even a write that skips the service (a bug, a script) cannot double-book on PostgreSQL."""
    if connection.vendor != "postgresql":
        pytest.skip("the exclusion constraint is PostgreSQL's")
    provider = Provider.objects.get(clinic=clinic, code="dr-ivanova")
    fields = {
        "clinic": clinic,
        "conversation": conversation,
        "provider": provider,
        "service": _service(clinic, "filling"),
        "status": "booked",
    }
    Appointment.objects.create(starts_at=local(8, 10), ends_at=local(8, 11), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        Appointment.objects.create(starts_at=local(8, 10, 45), ends_at=local(8, 11, 45), **fields)
    # A cancelled appointment takes no time.
    Appointment.objects.create(
        starts_at=local(8, 10, 30), ends_at=local(8, 11, 30), **(fields | {"status": "cancelled"})
    )


def test_an_expired_hold_gives_its_time_to_the_next_patient(clinic, conversation):
    from conversations.services.storage import conversation_get_or_create

    cal = calendar.calendar_of(clinic)
    filling = _service(clinic, "filling")
    slot = _slot(clinic, "dr-ivanova", local(8, 10))
    first = calendar.hold(
        calendar=cal, conversation=conversation, service=filling, slot=slot, now=MONDAY_9
    )
    other = conversation_get_or_create(clinic_id=clinic.pk, phone="79990009999")
    later = MONDAY_9 + timedelta(minutes=15)
    second = calendar.hold(calendar=cal, conversation=other, service=filling, slot=slot, now=later)
    first.refresh_from_db()
    assert (first.status, second.status) == ("cancelled", "held")
    with pytest.raises(NotAllowed):
        calendar.book_held(appointment=first, now=later)


def test_beat_releases_expired_holds_and_only_those(clinic, conversation):
    cal = calendar.calendar_of(clinic)
    filling = _service(clinic, "filling")
    old = calendar.hold(
        calendar=cal,
        conversation=conversation,
        service=filling,
        slot=_slot(clinic, "dr-ivanova", local(8, 10)),
        now=MONDAY_9,
    )
    fresh = calendar.hold(
        calendar=cal,
        conversation=conversation,
        service=filling,
        slot=_slot(clinic, "dr-ivanova", local(8, 12)),
        now=MONDAY_9 + timedelta(minutes=8),
    )
    assert calendar.holds_release(now=MONDAY_9 + timedelta(minutes=12)) == 1
    old.refresh_from_db()
    fresh.refresh_from_db()
    assert (old.status, fresh.status) == ("cancelled", "held")
    assert AppointmentChange.objects.filter(appointment=old, action="hold expired").exists()


def test_booking_schedules_reminders_that_follow_a_move_and_a_cancel(clinic, conversation):
    cal = calendar.calendar_of(clinic)
    filling = _service(clinic, "filling")
    slot = _slot(clinic, "dr-ivanova", local(10, 10))
    held = calendar.hold(
        calendar=cal, conversation=conversation, service=filling, slot=slot, now=MONDAY_9
    )
    booked = calendar.book_held(appointment=held, now=MONDAY_9)
    assert _pending_reminders() == [local(9, 10), local(10, 8)]
    # Booking twice (a retried task) schedules nothing more.
    calendar.reminders.reminders_schedule(appointment=booked, now=MONDAY_9)
    assert len(_pending_reminders()) == 2

    moved = calendar.move(
        calendar=cal,
        appointment=booked,
        slot=_slot(clinic, "dr-ivanova", local(11, 9)),
        now=MONDAY_9,
    )
    assert moved.starts_at == local(11, 9)
    assert _pending_reminders() == [local(10, 9), local(11, 7)]

    calendar.cancel(appointment=moved)
    assert _pending_reminders() == []
    assert FollowUp.objects.filter(kind="appointment_reminder", status="cancelled").count() == 4
    actions = list(
        AppointmentChange.objects.filter(appointment=booked).values_list("action", flat=True)
    )
    assert actions == ["held", "booked", "moved", "cancelled"]


def _pending_reminders() -> list:
    pending = FollowUp.objects.filter(kind="appointment_reminder", status="pending")
    return sorted(pending.values_list("due_at", flat=True))


def test_a_held_move_books_the_new_time_and_frees_the_old_in_one_step(clinic, conversation):
    cal = calendar.calendar_of(clinic)
    filling = _service(clinic, "filling")
    old = calendar.book(
        calendar=cal,
        conversation=conversation,
        service=filling,
        slot=_slot(clinic, "dr-ivanova", local(10, 10)),
        now=MONDAY_9,
    )
    new_hold = calendar.hold_move(
        calendar=cal, appointment=old, slot=_slot(clinic, "dr-ivanova", local(11, 10)), now=MONDAY_9
    )
    old.refresh_from_db()
    assert (old.status, new_hold.status) == ("booked", "held")  # both, until the yes
    calendar.book_held(appointment=new_hold, now=MONDAY_9)
    old.refresh_from_db()
    new_hold.refresh_from_db()
    assert (old.status, new_hold.status) == ("cancelled", "booked")
    pending = FollowUp.objects.filter(kind="appointment_reminder", status="pending")
    assert {r.context["appointment_id"] for r in pending} == {new_hold.pk}


def test_a_clinic_without_providers_books_its_opening_hours_as_one_chair(db):
    from conftest import import_clinic_data, load_demo_clinic_data

    data = load_demo_clinic_data()
    for name in ("providers", "closures"):
        data.pop(name)
    clinic = import_clinic_data(data)
    cal = calendar.calendar_of(clinic)
    assert list(cal.providers) == ["clinic"]
    first = next(calendar.free_times(cal, _service(clinic, "cleaning"), now=MONDAY_9))
    assert (first.provider, first.start) == ("clinic", local(7, 11))


def test_a_closure_takes_its_whole_days(clinic):
    cal = calendar.calendar_of(clinic)
    new_year_eve = local(30, 20)
    first = next(calendar.free_times(cal, _service(clinic, "filling"), now=new_year_eve))
    assert first.start == local(4, 9, month=1, year=2027)  # 31 Dec - 2 Jan closed, 3 Jan a Sunday
