"""The LLM lane's booking tools through the real lane: patient messages posted to the webhook, a
fake OpenAI-compatible model (FakeOpenAI) that calls the tools as scripted, the tools' answers
read from what went back to the model, and the appointments read from the database."""

import json
import threading
import time
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import connections, transaction

from appointments.models import Appointment, BookingDialog
from appointments.services import calendar
from appointments.slots import Slot
from appointments.tests.conftest import local
from channels.evolution.tests.helpers import PATIENT, post_webhook, text_message
from conversations.directory import ClinicSnapshot
from conversations.hotstore import message_key
from conversations.journal import Journal
from conversations.llm.adapters import Deadline, ToolCallRequest, forget_clients
from conversations.llm.capabilities import capabilities
from conversations.llm.tools import Toolbox
from conversations.models import ConversationSession
from conversations.services.storage import conversation_get_or_create
from conversations.tests.conftest import journal_seen
from pricing.models import Service
from testing.fake_openai import FakeOpenAI, ToolCall

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "clinic_clock", "stored_journals"),
]

API_KEY = "test-llm-key"
OTHER_PATIENT = "79005550000"
BOOKING_TOOLS = {
    "check_availability",
    "hold_appointment",
    "book_appointment",
    "my_appointments",
    "cancel_appointment",
    "reschedule_appointment",
}
# Messages the router leaves to the LLM lane (no booking intent, no day or time of a dialogue).
ASK_CLEANING = "I'm nervous about pain. Could I come in tomorrow after 3 for a cleaning?"
YES_AND_A_QUESTION = "Yes please. Will it hurt?"
A_QUESTION = "Will it hurt?"


@pytest.fixture
def llm(settings):
    capabilities.forget()
    with FakeOpenAI(api_key=API_KEY, default_reply="OK") as fake:
        settings.OPENAI_API_KEY = API_KEY
        settings.OPENAI_BASE_URL = f"{fake.url}/v1"
        yield fake
    forget_clients()
    capabilities.forget()


async def say(async_client, llm, text: str, script: list, lane: str = "llm") -> str:
    """The patient's message, answered by the model as `script` says; its journal key."""
    llm.script(script)
    body = text_message(text)
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    key = message_key("smile-main", body["data"]["key"]["id"])
    journal = await journal_seen(key)
    assert journal.lane == lane, f"{text!r} went to the {journal.lane} lane"
    return key


def tool_results(fake) -> list[tuple[str, dict]]:
    """Every tool call of the fake model with the tool's answer, in call order."""
    answered: dict[str, tuple[str, dict]] = {}
    for request in fake.requests():
        messages = request["body"]["messages"]
        names = {
            call["id"]: call["function"]["name"]
            for message in messages
            if message["role"] == "assistant"
            for call in message.get("tool_calls") or []
        }
        for message in messages:
            if message["role"] == "tool":
                name = names[message["tool_call_id"]]
                answered[message["tool_call_id"]] = (name, json.loads(message["content"]))
    return list(answered.values())


def answers_of(fake, name: str) -> list[dict]:
    return [result for called, result in tool_results(fake) if called == name]


def check_then_hold(when: str = "tomorrow after 3") -> list:
    return [
        ToolCall("check_availability", {"service": "cleaning", "when": when}),
        ToolCall("hold_appointment", {"option": 1}),
        "I'm holding that time for you. Shall I book it?",
    ]


def book(reply: str = "Done.") -> list:
    return [ToolCall("book_appointment", {}), reply]


@sync_to_async
def booked(clinic, phone: str, start) -> Appointment:
    """A cleaning booked by staff for the patient with this phone."""
    conversation = conversation_get_or_create(clinic_id=clinic.pk, phone=phone)
    service = Service.objects.get(clinic=clinic, code="cleaning")
    slot = Slot("hyg-petrova", start, start + timedelta(minutes=60))
    cal = calendar.calendar_of(clinic)
    return calendar.book(calendar=cal, conversation=conversation, service=service, slot=slot)


async def test_availability_then_hold_then_the_patients_yes_books_it(
    async_client, clinic, outbox, llm
):
    await say(async_client, llm, ASK_CLEANING, check_then_hold())

    first = llm.requests()[0]["body"]
    assert {tool["function"]["name"] for tool in first["tools"]} >= BOOKING_TOOLS
    assert "book_appointment only after they say yes" in first["messages"][0]["content"]
    (offered,) = answers_of(llm, "check_availability")
    # "tomorrow after 3", read on Monday 7 December: Tuesday from 15:00, with the hygienist.
    assert [o["starts_at"] for o in offered["options"]] == [
        "2026-12-08T15:00+03:00",
        "2026-12-08T15:15+03:00",
        "2026-12-08T15:30+03:00",
    ]
    (held,) = answers_of(llm, "hold_appointment")
    assert held["status"] == "held" and held["with"] == "hygienist Petrova"
    appointment = await Appointment.objects.aget(pk=held["appointment_id"])
    assert appointment.status == "held" and appointment.starts_at == local(8, 15)

    await say(async_client, llm, YES_AND_A_QUESTION, book("Booked: Tuesday at 15:00."))

    (booking,) = answers_of(llm, "book_appointment")
    assert booking["status"] == "booked" and booking["appointment_id"] == appointment.pk
    await appointment.arefresh_from_db()
    assert appointment.status == "booked"
    assert [sent["text"] for sent in outbox][-1] == "Booked: Tuesday at 15:00."
    dialog = await BookingDialog.objects.aget(conversation_id=appointment.conversation_id)
    assert dialog.step == "" and dialog.appointment_id is None


async def test_book_without_a_hold_is_refused(async_client, clinic, outbox, llm):
    await say(async_client, llm, YES_AND_A_QUESTION, book())

    (refusal,) = answers_of(llm, "book_appointment")
    assert refusal["booked"] is False and "no held time" in refusal["error"]
    assert await Appointment.objects.acount() == 0


async def test_book_with_a_hold_but_without_the_patients_yes_is_refused(
    async_client, clinic, outbox, llm
):
    await say(async_client, llm, ASK_CLEANING, check_then_hold())
    await say(async_client, llm, A_QUESTION, book())

    (refusal,) = answers_of(llm, "book_appointment")
    assert refusal["booked"] is False and "not said yes" in refusal["error"]
    assert await Appointment.objects.filter(status="booked").acount() == 0
    assert await Appointment.objects.filter(status="held").acount() == 1


async def test_a_yes_in_the_message_the_hold_was_made_for_does_not_book_it(
    async_client, clinic, outbox, llm
):
    """The yes must come after the hold: the model holding and booking in one answer to a
    message that says yes has not heard the patient agree to the time it held."""
    script = [
        ToolCall("check_availability", {"service": "cleaning", "when": ""}),
        [ToolCall("hold_appointment", {"option": 1}), ToolCall("book_appointment", {})],
        "Booked!",
    ]
    await say(async_client, llm, "Yes please, I'd like a cleaning. Will it hurt?", script)

    (refusal,) = answers_of(llm, "book_appointment")
    assert refusal["booked"] is False
    assert await Appointment.objects.filter(status="booked").acount() == 0


async def test_the_rule_lane_books_a_hold_the_llm_lane_made_on_a_plain_yes(
    async_client, clinic, outbox, llm
):
    await say(async_client, llm, ASK_CLEANING, check_then_hold())

    await say(async_client, llm, "yes", [], lane="booking")

    appointment = await Appointment.objects.aget()
    assert appointment.status == "booked" and appointment.starts_at == local(8, 15)
    assert outbox[-1]["text"].startswith("Booked")


async def test_another_patients_appointment_cannot_be_cancelled(async_client, clinic, outbox, llm):
    theirs = await booked(clinic, OTHER_PATIENT, local(9, 11))
    script = [
        [
            ToolCall("cancel_appointment", {"appointment_id": theirs.pk}),
            ToolCall("cancel_appointment", {"appointment_id": theirs.pk + 1000}),
        ],
        "I couldn't find that appointment.",
    ]

    await say(async_client, llm, A_QUESTION, script)

    other_patients, no_such = answers_of(llm, "cancel_appointment")
    assert "error" in other_patients
    assert other_patients == no_such  # nothing tells the model the id exists
    await theirs.arefresh_from_db()
    assert theirs.status == "booked"


async def test_my_appointments_lists_only_this_patients(async_client, clinic, outbox, llm):
    mine = await booked(clinic, PATIENT, local(9, 11))
    await booked(clinic, OTHER_PATIENT, local(9, 13))

    await say(async_client, llm, A_QUESTION, [ToolCall("my_appointments", {}), "You have one."])

    (listed,) = answers_of(llm, "my_appointments")
    assert [a["appointment_id"] for a in listed["appointments"]] == [mine.pk]
    assert listed["appointments"][0]["starts_at"] == "2026-12-09T11:00+03:00"
    assert PATIENT not in json.dumps(tool_results(llm))


async def test_reschedule_holds_the_new_time_before_the_old_one_is_freed(
    async_client, clinic, outbox, llm
):
    old = await booked(clinic, PATIENT, local(9, 11))
    script = [
        ToolCall("reschedule_appointment", {"appointment_id": old.pk, "when": "Friday morning"}),
        ToolCall("hold_appointment", {"option": 1}),
        "I'm holding Friday 10:00 for you. Shall I move it?",
    ]

    await say(async_client, llm, "I'm nervous about pain. Could it be later this week?", script)

    (held,) = answers_of(llm, "hold_appointment")
    assert held["status"] == "held" and held["replaces"]["appointment_id"] == old.pk
    new = await Appointment.objects.aget(pk=held["appointment_id"])
    assert new.starts_at == local(11, 10) and new.replaces_id == old.pk
    await old.arefresh_from_db()
    assert old.status == "booked"  # the patient keeps the old time until the move is booked

    await say(async_client, llm, YES_AND_A_QUESTION, book("Moved to Friday 10:00."))

    (moved,) = answers_of(llm, "book_appointment")
    assert moved["status"] == "booked" and moved["moved_from"]["status"] == "cancelled"
    await new.arefresh_from_db()
    await old.arefresh_from_db()
    assert (new.status, old.status) == ("booked", "cancelled")


async def test_after_a_hold_the_conversation_awaits_the_booking_dialogue(
    async_client, clinic, outbox, llm
):
    await say(async_client, llm, ASK_CLEANING, check_then_hold())

    session = await ConversationSession.objects.aget(clinic=clinic)
    assert session.awaiting == "booking"
    dialog = await BookingDialog.objects.aget(conversation=session)
    assert dialog.step == "confirm" and len(dialog.offered) == 3


def toolbox_for(clinic, seconds: float) -> Toolbox:
    """The tools of an answer to PATIENT with `seconds` left before its deadline."""
    journal = Journal(clinic_id=clinic.pk, instance="smile-main", phone=PATIENT, language="en")
    return Toolbox(ClinicSnapshot.of(clinic).info, None, "en", journal, deadline=Deadline(seconds))


CHECK_CLEANING = ToolCallRequest("call_1", "check_availability", '{"service": "cleaning"}')


def test_a_tool_call_with_too_little_time_left_touches_nothing(clinic):
    """The answer's deadline is near: the tool does not start, so nothing is left half done
    and the model still has time to reply."""
    answer = json.loads(toolbox_for(clinic, 1.0).run(CHECK_CLEANING))

    assert "error" in answer
    assert not BookingDialog.objects.exists()
    assert not ConversationSession.objects.exists()


def test_a_tool_waiting_on_a_locked_dialogue_gives_up_within_the_answers_time(clinic):
    """The booking lane holds the conversation's dialogue row (answering its previous message):
    the tool's lock wait is cut at the time the answer has left, less the reply's reserve."""
    conversation = conversation_get_or_create(clinic_id=clinic.pk, phone=PATIENT)
    BookingDialog.objects.create(conversation=conversation)
    locked, release = threading.Event(), threading.Event()

    def booking_lane():
        with transaction.atomic():
            BookingDialog.objects.select_for_update().get(conversation=conversation)
            locked.set()
            release.wait(10)
        connections.close_all()

    holder = threading.Thread(target=booking_lane)
    holder.start()
    try:
        assert locked.wait(5)
        started = time.monotonic()
        answer = json.loads(toolbox_for(clinic, 3.0).run(CHECK_CLEANING))
        waited = time.monotonic() - started
    finally:
        release.set()
        holder.join(10)

    assert "error" in answer and "nothing was changed" in answer["error"]
    assert 1.0 <= waited < 2.0  # 3 s left, 1.5 s kept for the reply
