"""A yes or no that quotes an appointment's reminder (WhatsApp's reply-to: Evolution's
`contextInfo.stanzaId`, the reminder's gateway id) answers that appointment's reminder, even
when the dialogue has moved on since: a second reminder for another appointment, a question in
between. The fast lane cannot tell which message a quote points at without the database, so a
quoted yes or no goes to the booking lane, which looks it up."""

import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from appointments.dialog import Turn, booking_answer
from appointments.models import Appointment, BookingDialog
from appointments.tests.test_booking_conversations import chat
from clinicbot.runtime import clock
from followups.models import FollowUp

pytestmark = pytest.mark.django_db(transaction=True)
MOSCOW = ZoneInfo("Europe/Moscow")
PATIENT = "79990001122"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MOSCOW)


def remind(now: str) -> None:
    from followups.dispatch import followups_dispatch

    assert followups_dispatch(now=at(now)).sent >= 1


def reminder_id(appointment: Appointment) -> str:
    """The gateway id the appointment's reminder went out with."""
    sent = FollowUp.objects.filter(
        status="sent", context__appointment_id=appointment.pk, kind="appointment_reminder"
    ).get()
    assert sent.gateway_id
    return sent.gateway_id


def quoted(text: str, intent: str, quoted_id: str, now: str, clinic) -> str:
    """The booking lane's reply to a quoted yes or no, at clinic time `now`."""
    clock.start_at(at(now))
    try:
        turn = Turn(
            key=f"smile-main:QUOTED-{time.monotonic_ns()}",
            clinic_id=clinic.pk,
            phone=PATIENT,
            language="en",
            intent=intent,
            service="",
            text=text,
            quoted_id=quoted_id,
        )
        return booking_answer(turn).text
    finally:
        clock.reset()


@pytest.fixture
def two_reminded(clinic, monkeypatch, outbox):
    """Tuesday 10:00 and Tuesday 15:00 booked; each one's day-before reminder sent, the
    second one last: the dialogue waits for the answer to the 15:00 one."""
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    chat(monkeypatch, ["book a cleaning tomorrow at 15", "yes"])
    first, second = Appointment.objects.filter(status="booked").order_by("starts_at")
    remind("2026-12-07T10:01")
    remind("2026-12-07T15:01")
    dialog = BookingDialog.objects.get()
    assert (dialog.step, dialog.appointment_id) == ("reminder", second.pk)
    return first, second


def test_a_yes_quoting_the_first_of_two_reminders_confirms_that_appointment(clinic, two_reminded):
    first, second = two_reminded
    reply = quoted("yes", "confirm", reminder_id(first), "2026-12-07T15:30", clinic)
    assert "confirmed" in reply and "10:00" in reply
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("confirmed", "booked")
    # The second reminder still waits for its answer: a plain yes now confirms it.
    dialog = BookingDialog.objects.get()
    assert (dialog.step, dialog.appointment_id) == ("reminder", second.pk)
    answered = FollowUp.objects.get(gateway_id=reminder_id(first))
    assert answered.response == FollowUp.Response.CONFIRMED


def test_a_plain_yes_after_a_quoted_one_answers_the_latest_reminder(
    clinic, two_reminded, monkeypatch
):
    first, second = two_reminded
    quoted("yes", "confirm", reminder_id(first), "2026-12-07T15:30", clinic)
    (yes,) = chat(monkeypatch, ["yes"], now="2026-12-07T15:31")
    assert yes["lane"] == "booking"
    second.refresh_from_db()
    assert second.status == "confirmed"


def test_a_no_quoting_a_reminder_offers_to_move_that_appointment(clinic, two_reminded):
    first, second = two_reminded
    reply = quoted("no", "decline", reminder_id(first), "2026-12-07T15:30", clinic)
    assert "1." in reply  # free times to move it to
    assert first.changes.filter(action="reminder declined").exists()
    assert not second.changes.filter(action="reminder declined").exists()
    dialog = BookingDialog.objects.get()
    assert (dialog.step, dialog.appointment_id) == ("move", first.pk)


def test_a_quoted_yes_answers_its_reminder_after_the_dialogue_moved_on(clinic, monkeypatch, outbox):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    appointment = Appointment.objects.get(status="booked")
    remind("2026-12-07T10:01")
    (asked,) = chat(monkeypatch, ["when is my appointment?"], now="2026-12-07T10:20")
    assert asked["lane"] == "booking"
    assert BookingDialog.objects.get().step == ""  # nothing waits for a yes any more
    reply = quoted("yes", "confirm", reminder_id(appointment), "2026-12-07T10:30", clinic)
    assert "confirmed" in reply
    appointment.refresh_from_db()
    assert appointment.status == "confirmed"


def test_a_yes_quoting_something_else_is_read_as_a_plain_yes(clinic, two_reminded):
    first, second = two_reminded
    quoted("yes", "confirm", "NOT-A-REMINDER", "2026-12-07T15:30", clinic)
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("booked", "confirmed")


# --- the fast lane: a quoted yes or no goes to the booking lane, without a query ---------------


@pytest.mark.parametrize("text", ["yes", "no"])
def test_a_quoted_yes_or_no_goes_to_the_booking_lane(clinic, text):
    from conversations.decide import reply_decide
    from conversations.directory import ClinicSnapshot

    snapshot = ClinicSnapshot.of(clinic)
    session = {"control": "bot", "status": "active", "language": "en", "awaiting": ""}

    def lane(quotes: bool) -> str:
        decision = reply_decide(
            text=text, has_media=False, clinic=snapshot, session=session, prices=None, quotes=quotes
        )
        return decision.lane

    assert (lane(False), lane(True)) == ("fast", "booking")
    staff = session | {"control": "staff", "control_at": str(time.time())}
    decision = reply_decide(
        text=text, has_media=False, clinic=snapshot, session=staff, prices=None, quotes=True
    )
    assert decision.lane == "none"  # staff have the conversation: nobody answers


def test_a_quoted_greeting_stays_in_the_fast_lane(clinic):
    from conversations.decide import reply_decide
    from conversations.directory import ClinicSnapshot

    decision = reply_decide(
        text="hello",
        has_media=False,
        clinic=ClinicSnapshot.of(clinic),
        session={"control": "bot", "language": "en"},
        prices=None,
        quotes=True,
    )
    assert decision.lane == "fast"


@pytest.mark.usefixtures("eager_tasks")
async def test_a_quoted_yes_through_the_webhook_confirms_the_quoted_appointment(
    clinic, two_reminded
):
    from asgiref.sync import sync_to_async

    from channels.base import InboundMessage
    from conversations import api

    first, second = two_reminded
    first_reminder = await sync_to_async(reminder_id)(first)
    clock.start_at(at("2026-12-07T15:30"))
    try:
        yes = InboundMessage(
            channel="evolution",
            instance="smile-main",
            message_id="QUOTED-YES",
            phone=PATIENT,
            push_name="Anna",
            text="yes",
            from_me=False,
            has_media=False,
            timestamp=int(time.time()),
            quoted_id=first_reminder,
        )
        assert await api._handle(yes, time.perf_counter_ns()) == (200, {"status": "accepted"})
    finally:
        clock.reset()
    await first.arefresh_from_db()
    await second.arefresh_from_db()
    assert (first.status, second.status) == ("confirmed", "booked")
