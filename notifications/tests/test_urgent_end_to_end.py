"""From the patient's words to the on-duty phones: an urgent symptom written at night is
answered with the clinic's emergency instructions, and staff are told at once (quiet hours or
not); a request for a person at the same hour waits for the morning's digest."""

import asyncio
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from conversations.models import ConversationSession
from conversations.tasks import journal_flush
from conversations.tests.conftest import post_webhook, text_message
from notifications.models import StaffNotification
from notifications.tests.conftest import staff_sends

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "no_cachalot"),
]
SUNDAY_NIGHT = datetime(2026, 12, 6, 23, 0, tzinfo=ZoneInfo("Europe/Moscow"))
INSTRUCTIONS = "Если сильный отёк или кровотечение, звоните сразу: +7 495 000-00-00."


async def test_an_urgent_message_at_night_reaches_the_on_duty_phones_at_once(
    async_client, clinic, on_duty, gateway
):
    clinic.emergency_instructions = {"ru": INSTRUCTIONS}
    await clinic.asave()
    on_duty.quiet_hours = "22:00-07:00"
    await on_duty.asave()
    with time_machine.travel(SUNDAY_NIGHT, tick=True):
        urgent = text_message("после удаления зуба опухла щека", phone="79001112201")
        person = text_message("позовите администратора", phone="79001112202", message_id="P2")
        await post_webhook(async_client, urgent)
        await post_webhook(async_client, person)
        await asyncio.to_thread(journal_flush)

        to_patient = {s["number"]: s["text"] for s in gateway.sent() if s["number"].startswith("7")}
        assert to_patient["79001112201"].startswith(INSTRUCTIONS)
        kinds = {n.kind: n.state async for n in StaffNotification.objects.all()}
        assert kinds == {"urgent": "sent", "handoff": "held"}
        assert len(staff_sends(gateway)) == 2  # both on-duty numbers, the urgent case only
        flagged = await ConversationSession.objects.aget(attention="urgent")
        assert flagged.control == ConversationSession.Control.STAFF
