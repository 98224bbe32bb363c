"""A clinic's own words reach the patient: the fast lane's greeting from memory (no query before
the send) on the next message after the edit, the booking lane's confirmation, a reminder; and
another clinic keeps the defaults."""

import io
import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from appointments.models import Appointment
from appointments.notices import notice_text
from appointments.tests.conftest import clinic_clock  # noqa: F401  (a fixture)
from conversations.models import ConversationSession, Message
from conversations.tests.conftest import post_webhook, queries_in_any_thread, text_message
from followups.dispatch import followups_dispatch
from followups.kinds import Kind
from followups.services import followup_schedule
from knowledge.models import ReplyText
from nlu.lexicon import LEXICONS

pytestmark = pytest.mark.django_db(transaction=True)

OWN_GREETING = "Добрый день! Вас приветствует «Смайл» 🦷 Чем помочь?"
RU_GREETING = LEXICONS["ru"].replies["greeting"]


@pytest.mark.usefixtures("no_cachalot")  # an ORM read cannot hide in cachalot's cache
async def test_a_clinics_greeting_is_live_on_the_next_message_and_sent_from_memory(
    async_client, clinic, other_clinic, outbox
):
    # Tasks go to the real broker and wait there: only stage A runs in this test.
    await post_webhook(async_client, text_message("Здравствуйте"))  # warms clinic, prices, session
    assert outbox[-1]["text"] == RU_GREETING
    await ReplyText.objects.acreate(clinic=clinic, key="greeting", language="ru", text=OWN_GREETING)

    await post_webhook(async_client, text_message("Здравствуйте"))
    assert outbox[-1]["text"] == OWN_GREETING  # the edit is live on the next message
    with queries_in_any_thread() as queries:
        response = await post_webhook(async_client, text_message("Привет"))
    assert response.json() == {"status": "accepted"}
    assert outbox[-1]["text"] == OWN_GREETING
    assert queries == []

    await post_webhook(async_client, text_message("Здравствуйте", instance="north-main"))
    assert outbox[-1]["text"] == RU_GREETING  # another clinic's patient: the default


@pytest.mark.usefixtures("eager_tasks", "stored_journals")
@pytest.mark.usefixtures("clinic_clock")  # within opening hours
async def test_the_llm_lanes_handoff_is_in_the_clinics_words(
    async_client, clinic, outbox, settings
):
    settings.OPENAI_API_KEY = ""  # the LLM lane leaves every question to staff, softly
    own = "Thank you! Our front desk (Mon–Fri) will answer you here."
    await ReplyText.objects.acreate(clinic=clinic, key="soft_handoff", language="en", text=own)
    await post_webhook(async_client, text_message("Does a filling hurt?"))
    assert [sent["text"] for sent in outbox] == [own]


def chat(monkeypatch, lines: list[str], *, phone: str = "79990001122") -> list:
    out = io.StringIO()
    monkeypatch.setattr("sys.stdin", io.StringIO("\n".join(lines) + "\n"))
    call_command("chat", "--json", "--phone", phone, "--now", "2026-12-07T09:00", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_booking_lane_confirms_in_the_clinics_words(clinic, monkeypatch):
    ReplyText.objects.create(
        clinic=clinic,
        key="booking.booked",
        language="en",
        text="You're in{with_provider}: {service}, {when}. Bring your X-rays!",
    )
    asked, yes = chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    assert yes["appointment"]["status"] == "booked"
    assert yes["reply"] == (
        "You're in with hygienist Petrova: Professional cleaning, Tuesday, 8 December, 10:00. "
        "Bring your X-rays!"
    )
    assert "10:00" in asked["reply"]  # the hold's text: the default, not overridden


def test_a_notice_of_a_staff_change_is_in_the_clinics_words(clinic, monkeypatch):
    chat(monkeypatch, ["book a cleaning tomorrow at 10", "yes"])
    appointment = Appointment.objects.select_related("clinic", "conversation").get()
    ReplyText.objects.create(
        clinic=clinic,
        key="notice.cancelled",
        language="en",
        text="We had to cancel {service} on {when}, sorry! Reply here for another time.",
    )
    assert notice_text("cancelled", appointment) == (
        "We had to cancel Professional cleaning on Tuesday, 8 December, 10:00, sorry! "
        "Reply here for another time."
    )


MOSCOW = ZoneInfo("Europe/Moscow")
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=MOSCOW)  # the clinics are open


def reminder_for(clinic, phone: str):
    conversation = ConversationSession.objects.create(
        clinic=clinic, patient_phone=phone, language="ru", last_inbound_at=WEDNESDAY_NOON
    )
    return followup_schedule(
        conversation=conversation,
        kind=Kind.APPOINTMENT_REMINDER,
        due_at=WEDNESDAY_NOON,
        context={"appointment_at": WEDNESDAY_NOON + timedelta(days=1)},
    )


@pytest.mark.usefixtures("no_cachalot")
def test_a_reminder_goes_out_in_the_clinics_words_and_another_clinics_in_the_default(
    clinic, other_clinic, gateway
):
    ReplyText.objects.create(
        clinic=clinic,
        key="followup.appointment_reminder",
        language="ru",
        text="Ждём вас {when}! Если планы изменились, ответьте «нет».",
    )
    reminder_for(clinic, "79001230001")
    reminder_for(other_clinic, "79001230002")
    assert followups_dispatch(now=WEDNESDAY_NOON).sent == 2
    sent = {message["number"]: message["text"] for message in gateway.sent()}
    ours = "Ждём вас 19 ноября, 12:00! Если планы изменились, ответьте «нет»."
    assert sent["79001230001"] == ours
    assert sent["79001230002"].startswith("Здравствуйте! Напоминаем о приёме в North Family")
    stored = Message.objects.get(intent="followup", clinic=clinic)
    assert stored.text == ours
