"""The clinic file's booking part: providers, closures and rules, imported with the clinic."""

import pytest

from appointments.models import Appointment, BookingRules, Closure, Provider
from appointments.services import calendar
from appointments.slots import Slot
from appointments.tests.conftest import MONDAY_9, local
from conftest import import_clinic_data, load_demo_clinic_data
from pricing.models import Service

pytestmark = pytest.mark.django_db


def test_the_booking_part_is_imported_and_a_second_import_changes_nothing(db):
    data = load_demo_clinic_data()
    clinic = import_clinic_data(data)
    import_clinic_data(data)
    assert sorted(Provider.objects.values_list("code", "active")) == [
        ("dr-ivanova", True),
        ("hyg-petrova", True),
    ]
    petrova = Provider.objects.get(code="hyg-petrova")
    assert "cleaning" in petrova.services and petrova.hours["sat"] == "10:00-16:00"
    assert Closure.objects.get().reason == "New Year"
    rules = BookingRules.objects.get(clinic=clinic)
    assert (rules.min_notice_minutes, rules.reminders_before_minutes) == (120, [1440, 120])


def test_a_provider_left_out_is_deactivated_and_keeps_its_appointments(conversation, clinic):
    cal = calendar.calendar_of(clinic)
    slot = Slot("dr-ivanova", local(8, 10), local(8, 11))
    filling = Service.objects.get(clinic=clinic, code="filling")
    calendar.book(calendar=cal, conversation=conversation, service=filling, slot=slot, now=MONDAY_9)
    data = load_demo_clinic_data()
    data["providers"] = [p for p in data["providers"] if p["code"] != "dr-ivanova"]
    clinic = import_clinic_data(data)  # as each booking turn reads it: after the import
    assert not Provider.objects.get(code="dr-ivanova").active
    assert Appointment.objects.get().status == "booked"
    # Nobody performs fillings now: no free time is offered for one.
    assert (
        next(calendar.free_times(calendar.calendar_of(clinic), filling, now=MONDAY_9), None) is None
    )
