"""The booking lane through the real webhook: the patient's messages posted as the gateway
posts them, the replies read where the gateway receives them, the appointment in the database.
A redelivered message books once and its reply goes out once."""

import asyncio

import pytest

from appointments.models import Appointment
from appointments.tests.conftest import MONDAY_9
from channels.evolution.tests.helpers import post_webhook, text_message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

BOOK_AND_CONFIRM = {
    "ru": ("хочу записаться на чистку завтра в 10", "да", "Записали"),
    "en": ("book a cleaning tomorrow at 10", "yes", "Booked"),
    "es": ("quiero reservar una limpieza mañana a las 10", "sí", "Reservado"),
    "pt": ("quero marcar uma limpeza amanhã às 10h", "sim", "Agendado"),
    "uk": ("хочу записатися на чистку завтра о 10", "так", "Записали"),
    "he": ("אני רוצה לקבוע תור לניקוי אבנית מחר בעשר", "כן", "נקבע"),
}


@pytest.mark.usefixtures("clinic_clock")
@pytest.mark.parametrize("language", list(BOOK_AND_CONFIRM))
async def test_a_booking_through_the_webhook(language, async_client, clinic, outbox):
    ask, yes, booked_word = BOOK_AND_CONFIRM[language]
    await post_webhook(async_client, text_message(ask))
    assert "10:00" in outbox[-1]["text"]
    assert await Appointment.objects.filter(status="held").acount() == 1
    await post_webhook(async_client, text_message(yes))
    assert booked_word in outbox[-1]["text"]
    booked = await Appointment.objects.select_related("service").aget(status="booked")
    assert booked.service.code == "cleaning"
    assert len(outbox) == 2


@pytest.mark.usefixtures("clinic_clock")
async def test_a_redelivered_yes_books_once_and_is_answered_once(async_client, clinic, outbox):
    await post_webhook(async_client, text_message("book a cleaning tomorrow at 10"))
    yes = text_message("yes", message_id="REDELIVERED-YES")
    responses = await asyncio.gather(*(post_webhook(async_client, yes) for _ in range(5)))
    assert sorted(r.json()["status"] for r in responses) == ["accepted"] + ["duplicate"] * 4
    assert [m["text"].split(":")[0] for m in outbox] == [outbox[0]["text"].split(":")[0], "Booked"]
    assert await Appointment.objects.filter(status="booked").acount() == 1


@pytest.mark.usefixtures("clinic_clock")
async def test_a_retried_booking_task_acts_once(async_client, clinic, outbox):
    """The task's run after its reply was written (a retry, a second delivery by the broker)
    books nothing more: the dialogue answers a message it has answered with the same reply."""
    from asgiref.sync import sync_to_async

    from appointments.dialog import Turn, booking_answer

    await post_webhook(async_client, text_message("book a cleaning tomorrow at 10"))
    await post_webhook(async_client, text_message("yes", message_id="ONCE"))
    appointment = await Appointment.objects.aget(status="booked")
    conversation_phone = "79001234567"
    turn = Turn(
        key="smile-main:ONCE",
        clinic_id=clinic.pk,
        phone=conversation_phone,
        language="en",
        intent="confirm",
        service="",
        text="yes",
    )
    again = await sync_to_async(booking_answer)(turn)
    assert again.text == outbox[-1]["text"]
    assert await Appointment.objects.acount() == 1
    await appointment.arefresh_from_db()
    assert appointment.status == "booked"


# --- the chat tests' conversations, posted as the gateway posts them ----------------------------
async def converse(async_client, outbox, lines: list[str], phone: str) -> list[str]:
    """Each line posted in turn; the reply each one got (every line of these gets one)."""
    replies = []
    for line in lines:
        before = len(outbox)
        response = await post_webhook(async_client, text_message(line, phone=phone))
        assert response.json() == {"status": "accepted"}
        assert len(outbox) == before + 1, f"no reply to {line!r}"
        replies.append(outbox[-1]["text"])
    return replies


async def statuses() -> list[str]:
    return sorted([a.status async for a in Appointment.objects.all()])


@pytest.mark.usefixtures("clinic_clock")
@pytest.mark.parametrize("language", list(BOOK_AND_CONFIRM))
async def test_price_yes_number_yes_then_cancel_through_the_webhook(
    language, async_client, clinic, outbox
):
    from appointments.tests.test_booking_conversations import PRICE_THEN_BOOK

    lines = PRICE_THEN_BOOK[language]
    await converse(async_client, outbox, lines[:4], phone="79001110001")
    assert await statuses() == ["booked"]
    replies = await converse(async_client, outbox, lines[4:], phone="79001110001")
    assert "11:00" in replies[0]  # when is my appointment?
    assert await statuses() == ["cancelled"]


@pytest.mark.usefixtures("clinic_clock")
@pytest.mark.parametrize("language", list(BOOK_AND_CONFIRM))
async def test_a_move_through_the_webhook(language, async_client, clinic, outbox):
    from appointments.tests.test_booking_conversations import MOVE_TO_FRIDAY, TOMORROW_AT_10

    phone = "79001110002"
    await converse(async_client, outbox, list(TOMORROW_AT_10[language]), phone)
    ask, yes = MOVE_TO_FRIDAY[language]
    await converse(async_client, outbox, [ask, "1"], phone)
    assert await statuses() == ["booked", "held"]
    await converse(async_client, outbox, [yes], phone)
    assert await statuses() == ["booked", "cancelled"]
    moved = await Appointment.objects.aget(status="booked")
    assert moved.starts_at.astimezone(MONDAY_9.tzinfo).date().isoformat() == "2026-12-11"


@pytest.mark.usefixtures("clinic_clock")
@pytest.mark.parametrize("language", list(BOOK_AND_CONFIRM))
async def test_nothing_pending_claims_nothing_through_the_webhook(
    language, async_client, clinic, outbox
):
    from appointments.tests.test_booking_conversations import CLAIMS, NOTHING_PENDING

    replies = await converse(async_client, outbox, NOTHING_PENDING[language], "79001110003")
    assert not any(claim in reply.lower() for reply in replies for claim in CLAIMS)
    assert not await Appointment.objects.aexists()
