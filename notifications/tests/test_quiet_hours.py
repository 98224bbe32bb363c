"""Quiet hours: a hand-off at 23:00 clinic time is held, not sent; an urgent case is sent at
once all the same; when the quiet hours end, one digest goes to the on-duty staff (counts by
kind and links), and nothing more after it."""

import asyncio
import time
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import sync_to_async

from conversations.decide import STAFF, URGENT
from conversations.journal import Journal, Kind, ReplyState
from conversations.services.storage import journals_store
from conversations.tasks import journal_flush
from conversations.tests.conftest import post_webhook, text_message
from notifications.models import StaffNotification
from notifications.tasks import notifications_digest
from notifications.tests.conftest import staff_sends

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks", "no_cachalot"),
]
MOSCOW = ZoneInfo("Europe/Moscow")
SUNDAY_NIGHT = datetime(2026, 12, 6, 23, 0, tzinfo=MOSCOW)
STILL_NIGHT = datetime(2026, 12, 7, 3, 0, tzinfo=MOSCOW)
MORNING = datetime(2026, 12, 7, 7, 1, tzinfo=MOSCOW)


@pytest.fixture
def quiet_nights(on_duty):
    on_duty.quiet_hours = "22:00-07:00"
    on_duty.save()
    return on_duty


def urgent_journal(clinic_id: int, message_id: str) -> Journal:
    """A patient message whose decision flagged an urgent case (conversations.decide.URGENT)."""
    return Journal(
        clinic_id=clinic_id,
        instance="smile-main",
        message_id=message_id,
        phone="79005550011",
        text="...",
        kind=Kind.PATIENT,
        received_at=time.time(),
        intent="other",
        lane="none",
        language="ru",
        session_changes={"attention": URGENT, "control": STAFF, "control_at": str(time.time())},
        reply_state=ReplyState.NONE,
        total_ms=1.0,
    )


async def test_quiet_hours_hold_hand_offs_for_one_digest_when_they_end(
    async_client, clinic, quiet_nights, gateway, mailoutbox
):
    with time_machine.travel(SUNDAY_NIGHT, tick=True):
        for n, text in enumerate(["Позовите человека", "Хочу отменить запись"]):
            phone = f"7900111000{n}"
            await post_webhook(async_client, text_message(text, phone=phone, message_id=f"N{n}"))
        await asyncio.to_thread(journal_flush)
        held = [n async for n in StaffNotification.objects.order_by("kind")]
        assert [(n.kind, n.state) for n in held] == [
            ("cancel_request", "held"),
            ("handoff", "held"),
        ]
        assert staff_sends(gateway) == [] and mailoutbox == []

        # An urgent case does not wait for the morning.
        await sync_to_async(journals_store)(journals=[urgent_journal(clinic.pk, "URGENT-1")])
        urgent = await StaffNotification.objects.aget(kind="urgent")
        assert (urgent.state, urgent.urgent) == ("sent", True)
        assert len(staff_sends(gateway)) == 2 and len(mailoutbox) == 1

    with time_machine.travel(STILL_NIGHT, tick=True):
        assert await asyncio.to_thread(notifications_digest) == 0
    assert len(staff_sends(gateway)) == 2

    with time_machine.travel(MORNING, tick=True):
        assert await asyncio.to_thread(notifications_digest) == 1
        assert await asyncio.to_thread(notifications_digest) == 0
    digests = staff_sends(gateway)[2:]
    assert len(digests) == 2  # one to each on-duty number
    assert len(mailoutbox) == 2
    for text in [d["text"] for d in digests] + [mailoutbox[1].body]:
        assert "1 × Просьба отменить или перенести запись" in text
        assert "1 × Пациент ждёт ответа администратора" in text
        assert text.count("/admin/conversations/conversationsession/") == 2
        assert "79001110000" not in text and "человека" not in text
    states = {n.kind: n.state async for n in StaffNotification.objects.all()}
    assert states == {"handoff": "digested", "cancel_request": "digested", "urgent": "sent"}


async def test_a_hand_off_outside_quiet_hours_is_sent_at_once(
    async_client, clinic, quiet_nights, gateway
):
    with time_machine.travel(MORNING.replace(hour=10), tick=True):
        await post_webhook(async_client, text_message("Позовите человека", message_id="DAY-1"))
        await asyncio.to_thread(journal_flush)
    assert (await StaffNotification.objects.aget()).state == "sent"
    assert len(staff_sends(gateway)) == 2
