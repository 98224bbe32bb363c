"""The staff calendar in a real browser (Playwright driving Debian's Chromium against Django's live
server, as conversations/tests/test_browser_console.py does): staff find the calendar from the
appointment list, book a patient in, and a time that clashes is refused on the page."""

import pytest

from appointments.models import Appointment
from appointments.tests.conftest import local
from appointments.tests.test_console import appointments_perms, booked, other_patient
from conversations.tests import test_browser_console as console
from conversations.tests.test_browser_console import screenshot, sign_in

# The console's browser fixtures: Chromium, the live server serving its own static files, a page.
chromium, console_server, page = console.chromium, console.console_server, console.page

pytestmark = [*console.pytestmark, pytest.mark.usefixtures("clinic_clock")]


def test_staff_book_from_the_calendar_and_a_clashing_time_is_refused(
    page, clinic_staff, clinic, conversation, outbox, eager_tasks
):
    clinic_staff.user_permissions.add(*appointments_perms("view", "add", "change"))
    taken = booked(clinic, other_patient(clinic), local(8, 14))
    sign_in(page, clinic_staff)
    page.goto("/admin/appointments/appointment/")
    page.click("#calendar-link")
    page.fill("#calendar-choice input[name=day]", "2026-12-08")
    page.click("#calendar-choice input[type=submit]")
    ivanova = '.cal-col[data-provider="dr-ivanova"]'
    page.wait_for_selector(f"{ivanova} #appointment-{taken.pk}")

    page.fill("#id_book-conversation", str(conversation.pk))
    page.select_option("#id_book-service", label="Filling")
    page.select_option("#id_book-provider", value="dr-ivanova")
    page.fill("#id_book-time", "10:00")
    page.click("#book-submit")
    page.wait_for_selector(".messagelist .success")
    mine = Appointment.objects.get(conversation=conversation)
    block = page.inner_text(f"{ivanova} #appointment-{mine.pk}")
    assert block.split() == ["10:00–11:00", "Filling", "·", f"#{conversation.pk}"]
    assert page.inner_text("#selected h2") == f"Appointment #{mine.pk}"
    screenshot(page, "calendar-booked")
    assert [sent["number"] for sent in outbox] == [conversation.patient_phone]

    page.fill("#id_book-conversation", str(conversation.pk))
    page.select_option("#id_book-service", label="Filling")
    page.select_option("#id_book-provider", value="dr-ivanova")
    page.fill("#id_book-time", "13:30")
    page.click("#book-submit")
    refusal = page.inner_text(".messagelist .error")
    assert refusal.startswith("Not booked: Tue 8 Dec 13:30–14:30 clashes with appointment")
    assert f"#{taken.pk}" in refusal
    screenshot(page, "calendar-clash-refused")
    assert Appointment.objects.count() == 2
    assert len(outbox) == 1

    # Dr Ivanova's week (she is the first provider): both appointments on Tuesday.
    page.click("#week-link")
    page.wait_for_selector("#day-link")
    days = page.eval_on_selector_all(".cal-col", "cols => cols.map(c => c.dataset.day)")
    assert days == [f"2026-12-{day:02d}" for day in range(7, 14)]
    tuesday = '.cal-col[data-day="2026-12-08"] .cal-appt'
    assert page.eval_on_selector_all(tuesday, "blocks => blocks.length") == 2
    screenshot(page, "calendar-week")
    # The patient's page lists the appointment, linked back to the calendar.
    page.goto(f"/admin/conversations/conversationsession/{conversation.pk}/change/")
    assert "Tue 8 Dec 2026, 10:00–11:00" in page.inner_text("#patient-appointments")
    screenshot(page, "conversation-appointments")
