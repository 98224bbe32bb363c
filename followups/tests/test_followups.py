"""Follow-ups: durable, exactly once, polite (business hours) and legal (the 24 h window,
opt-out), and answered (a reminder's yes or no is recorded)."""

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine
from asgiref.sync import sync_to_async

from conversations.models import ConversationSession, Message, phone_index
from conversations.tests.conftest import post_webhook, text_message
from followups.dispatch import followups_claim_due, followups_dispatch
from followups.kinds import Kind
from followups.models import FollowUp
from followups.services import FollowUpRefused, followup_schedule
from security.blind_index import blind_index

MOSCOW = ZoneInfo("Europe/Moscow")
PATIENT = "79001234567"
# A Wednesday, 12:00 in Moscow: the clinic is open (Mon-Fri 09-20, Sat 10-16, Sun closed).
WEDNESDAY_NOON = datetime(2026, 11, 18, 12, 0, tzinfo=MOSCOW)

# cachalot orders cached reads and invalidations by wall-clock time, which these tests move back
# and forth: with it on, a read made "later" in real time would hide a write made in travelled
# time. (Production clocks only move forward.)
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("no_cachalot")]


def conversation_of(clinic, *, phone=PATIENT, last_inbound=WEDNESDAY_NOON, **fields):
    return ConversationSession.objects.create(
        clinic=clinic, patient_phone=phone, language="ru", last_inbound_at=last_inbound, **fields
    )


def reminder(conversation, due_at, appointment_at=None):
    return followup_schedule(
        conversation=conversation,
        kind=Kind.APPOINTMENT_REMINDER,
        due_at=due_at,
        context={"appointment_at": appointment_at or due_at + timedelta(days=1)},
    )


def test_the_context_keeps_datetimes_dates_decimals_and_uuids_as_json(clinic):
    conversation = conversation_of(clinic)
    token = uuid.uuid4()
    context = {
        "appointment_at": datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
        "visit_day": date(2026, 11, 20),
        "deposit": Decimal("1500.50"),
        "booking": token,
    }
    followup = followup_schedule(
        conversation=conversation, kind=Kind.CUSTOM, due_at=WEDNESDAY_NOON, context=context
    )
    followup.refresh_from_db()
    assert followup.context == {
        "appointment_at": "2026-11-20T09:00:00Z",
        "visit_day": "2026-11-20",
        "deposit": "1500.50",
        "booking": str(token),
    }


def test_scheduling_the_same_follow_up_twice_keeps_one(clinic):
    conversation = conversation_of(clinic)
    first = reminder(conversation, WEDNESDAY_NOON)
    again = reminder(conversation, WEDNESDAY_NOON)
    assert first.pk == again.pk
    assert FollowUp.objects.count() == 1


def test_the_conversation_shows_its_next_pending_follow_up(clinic):
    conversation = conversation_of(clinic)
    later = reminder(conversation, WEDNESDAY_NOON + timedelta(days=2))
    sooner = reminder(conversation, WEDNESDAY_NOON + timedelta(hours=3))
    conversation.refresh_from_db()
    assert conversation.scheduled_followup_at == sooner.due_at
    FollowUp.objects.filter(pk=sooner.pk).update(status=FollowUp.Status.CANCELLED)
    from followups.services import refresh_next_due

    refresh_next_due(conversation=conversation)
    conversation.refresh_from_db()
    assert conversation.scheduled_followup_at == later.due_at


def many_due_reminders(clinic, count: int, prefix: str) -> None:
    conversations = ConversationSession.objects.bulk_create(
        ConversationSession(
            clinic=clinic,
            patient_phone=f"{prefix}{n:04d}",
            patient_phone_index=phone_index(f"{prefix}{n:04d}"),
            language="ru",
            last_inbound_at=WEDNESDAY_NOON,
        )
        for n in range(count)
    )
    FollowUp.objects.bulk_create(
        FollowUp(
            conversation=c,
            kind=Kind.APPOINTMENT_REMINDER,
            due_at=WEDNESDAY_NOON,
            context={"appointment_at": WEDNESDAY_NOON + timedelta(days=1)},
            idempotency_key=f"bulk:{c.pk}",
        )
        for c in conversations
    )


def test_two_dispatchers_racing_claim_each_follow_up_once(clinic):
    many_due_reminders(clinic, 300, "7900000")
    claims: list[list[int]] = [[], []]
    start = threading.Barrier(2)

    def claim(slot: int) -> None:
        start.wait()
        while ids := followups_claim_due(now=WEDNESDAY_NOON, limit=20):
            claims[slot].extend(ids)
            time.sleep(0.005)  # let the other dispatcher in, even on a busy machine
        from django.db import connection

        connection.close()

    threads = [threading.Thread(target=claim, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert claims[0] and claims[1], "both dispatchers should have claimed some rows"
    assert not set(claims[0]) & set(claims[1])
    assert len(claims[0]) + len(claims[1]) == 300


def test_two_dispatchers_racing_send_each_follow_up_once(clinic, gateway):
    many_due_reminders(clinic, 60, "7911000")

    def dispatch() -> None:
        followups_dispatch(now=WEDNESDAY_NOON)
        from django.db import connection

        connection.close()

    threads = [threading.Thread(target=dispatch) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    numbers = [sent["number"] for sent in gateway.sent()]
    assert len(numbers) == 60
    assert len(set(numbers)) == 60
    assert FollowUp.objects.filter(status=FollowUp.Status.SENT).count() == 60
    assert Message.objects.filter(intent="followup").count() == 60


def test_a_follow_up_due_on_saturday_evening_waits_for_monday_morning(clinic, gateway):
    saturday_evening = datetime(2026, 11, 21, 18, 0, tzinfo=MOSCOW)
    conversation = conversation_of(clinic, last_inbound=saturday_evening - timedelta(hours=1))
    followup = reminder(conversation, saturday_evening)
    report = followups_dispatch(now=saturday_evening)
    followup.refresh_from_db()
    assert report.deferred == 1
    assert followup.status == FollowUp.Status.PENDING
    assert followup.due_at == datetime(2026, 11, 23, 9, 0, tzinfo=MOSCOW)  # Monday 09:00
    assert followups_dispatch(now=datetime(2026, 11, 22, 12, 0, tzinfo=MOSCOW)).sent == 0
    monday = datetime(2026, 11, 23, 9, 0, tzinfo=MOSCOW)
    assert followups_dispatch(now=monday).sent == 1
    assert len(gateway.sent()) == 1
    assert "Smile Dental" in gateway.sent()[0]["text"]


def test_free_text_expires_after_24_hours_but_a_reminder_still_goes(clinic, gateway):
    conversation = conversation_of(clinic, last_inbound=WEDNESDAY_NOON - timedelta(hours=25))
    nudge = followup_schedule(
        conversation=conversation, kind=Kind.PRICE_NUDGE, due_at=WEDNESDAY_NOON
    )
    kept = reminder(conversation, WEDNESDAY_NOON)
    followups_dispatch(now=WEDNESDAY_NOON)
    nudge.refresh_from_db()
    kept.refresh_from_db()
    assert nudge.status == FollowUp.Status.EXPIRED
    assert "24 h" in nudge.reason
    assert kept.status == FollowUp.Status.SENT
    assert len(gateway.sent()) == 1


def test_a_gateway_failure_is_retried_with_backoff_then_ends_as_failed(clinic, gateway):
    gateway.fail(500)
    followup = reminder(conversation_of(clinic), WEDNESDAY_NOON)
    now = WEDNESDAY_NOON
    for attempt in range(1, 6):
        followups_dispatch(now=now)
        followup.refresh_from_db()
        assert followup.attempts == attempt
        if attempt < 5:
            assert followup.status == FollowUp.Status.PENDING
            assert followup.due_at == now + timedelta(minutes=2**attempt)
            now = followup.due_at
    assert followup.status == FollowUp.Status.FAILED
    assert "HTTP 500" in followup.reason
    assert gateway.sent() == []


def test_a_follow_up_left_sending_by_a_dead_worker_is_failed_not_resent(clinic, gateway):
    followup = reminder(conversation_of(clinic), WEDNESDAY_NOON)
    followups_claim_due(now=WEDNESDAY_NOON)  # claimed, then the worker died
    followups_dispatch(now=WEDNESDAY_NOON + timedelta(minutes=11))
    followup.refresh_from_db()
    assert followup.status == FollowUp.Status.FAILED
    assert "mid-send" in followup.reason
    assert gateway.sent() == []


@pytest.mark.usefixtures("eager_tasks")
async def test_a_new_patient_message_cancels_pending_nudges_but_not_reminders(
    async_client, clinic, outbox
):
    with time_machine.travel(WEDNESDAY_NOON, tick=True):
        await post_webhook(async_client, text_message("Сколько стоит пломба?"))
        nudge = await FollowUp.objects.aget(kind=Kind.PRICE_NUDGE)
        assert abs(nudge.due_at - (WEDNESDAY_NOON + timedelta(hours=4))) < timedelta(seconds=5)
        conversation = await ConversationSession.objects.aget(
            patient_phone_index=blind_index(PATIENT)
        )
        kept = await sync_to_async(reminder)(conversation, WEDNESDAY_NOON + timedelta(days=1))
    with time_machine.travel(WEDNESDAY_NOON + timedelta(hours=1), tick=True):
        await post_webhook(async_client, text_message("Спасибо"))
    await nudge.arefresh_from_db()
    await kept.arefresh_from_db()
    assert nudge.status == FollowUp.Status.CANCELLED
    assert kept.status == FollowUp.Status.PENDING


@pytest.mark.usefixtures("eager_tasks")
async def test_opt_out_cancels_everything_and_blocks_all_but_reminders_until_start(
    async_client, clinic, outbox
):
    with time_machine.travel(WEDNESDAY_NOON, tick=True):
        await post_webhook(async_client, text_message("Здравствуйте"))
        conversation = await ConversationSession.objects.aget(
            patient_phone_index=blind_index(PATIENT)
        )
        pending = await sync_to_async(reminder)(conversation, WEDNESDAY_NOON + timedelta(days=1))
    with time_machine.travel(WEDNESDAY_NOON + timedelta(minutes=5), tick=True):
        await post_webhook(async_client, text_message("Стоп, не пишите мне больше"))
    await pending.arefresh_from_db()
    await conversation.arefresh_from_db()
    assert pending.status == FollowUp.Status.CANCELLED
    assert conversation.status == ConversationSession.Status.OPTED_OUT
    schedule = sync_to_async(followup_schedule)
    with pytest.raises(FollowUpRefused):
        await schedule(conversation=conversation, kind=Kind.PRICE_NUDGE, due_at=WEDNESDAY_NOON)
    await sync_to_async(reminder)(conversation, WEDNESDAY_NOON + timedelta(days=2))  # allowed
    with time_machine.travel(WEDNESDAY_NOON + timedelta(minutes=10), tick=True):
        await post_webhook(async_client, text_message("СТАРТ"))
    await conversation.arefresh_from_db()
    assert conversation.status == ConversationSession.Status.ACTIVE
    await schedule(conversation=conversation, kind=Kind.PRICE_NUDGE, due_at=WEDNESDAY_NOON)


@pytest.mark.usefixtures("eager_tasks")
@pytest.mark.parametrize(
    ("answer", "response", "acknowledgement"),
    # A reminder staff typed (no appointment of the calendar behind it): the yes is recorded
    # and thanked, and the reply claims nothing about a time.
    [("Да, на 9 утра", "confirmed", "Спасибо"), ("Нет, не смогу прийти", "declined", "")],
)
async def test_a_reminder_answer_is_recorded_and_acknowledged(
    async_client, clinic, outbox, answer, response, acknowledgement
):
    with time_machine.travel(WEDNESDAY_NOON, tick=True):
        await post_webhook(async_client, text_message("Здравствуйте"))
        conversation = await ConversationSession.objects.aget(
            patient_phone_index=blind_index(PATIENT)
        )
        sent = await sync_to_async(reminder)(
            conversation, WEDNESDAY_NOON, appointment_at=WEDNESDAY_NOON + timedelta(hours=21)
        )
        await sync_to_async(followups_dispatch)(now=WEDNESDAY_NOON)
    await sent.arefresh_from_db()
    assert sent.status == FollowUp.Status.SENT
    assert "Ответьте «да»" in outbox[-1]["text"]
    with time_machine.travel(WEDNESDAY_NOON + timedelta(hours=1), tick=True):
        await post_webhook(async_client, text_message(answer))
    await sent.arefresh_from_db()
    assert sent.response == response
    assert acknowledgement in outbox[-1]["text"]


def test_a_batch_of_messages_changes_follow_ups_as_they_would_one_by_one(
    clinic, django_assert_max_num_queries
):
    """Stage B hands over many messages at once: a price question followed by another message
    leaves no nudge (the later message would have cancelled it), the last price question of a
    conversation leaves one, and an opt-out cancels what was pending, in a fixed number of
    queries whatever the batch size."""
    from followups.services import PatientMessage, followups_after_patient_messages

    asked_then_thanked = conversation_of(clinic, phone="79001230001")
    asked_last = conversation_of(clinic, phone="79001230002")
    opted_out = conversation_of(clinic, phone="79001230003")
    with time_machine.travel(WEDNESDAY_NOON - timedelta(hours=1)):
        old_nudge = followup_schedule(
            conversation=asked_then_thanked, kind=Kind.PRICE_NUDGE, due_at=WEDNESDAY_NOON
        )
        doomed = reminder(opted_out, WEDNESDAY_NOON + timedelta(days=1))
    opted_out.status = ConversationSession.Status.OPTED_OUT

    def message(conversation, intent, minutes, message_id):
        at = WEDNESDAY_NOON + timedelta(minutes=minutes)
        return PatientMessage(conversation, intent, at, message_id)

    batch = [
        message(asked_then_thanked, "price_query", 0, "A1"),
        message(asked_then_thanked, "thanks", 1, "A2"),
        message(asked_last, "greeting", 0, "B1"),
        message(asked_last, "price_query", 1, "B2"),
        message(opted_out, "price_query", 0, "C1"),
        message(opted_out, "opt_out", 1, "C2"),
    ]
    later = WEDNESDAY_NOON + timedelta(minutes=2)
    with time_machine.travel(later), django_assert_max_num_queries(6):
        followups_after_patient_messages(messages=batch)

    pending = FollowUp.objects.filter(status=FollowUp.Status.PENDING)
    assert [(f.conversation_id, f.kind) for f in pending] == [(asked_last.pk, Kind.PRICE_NUDGE)]
    old_nudge.refresh_from_db()
    doomed.refresh_from_db()
    assert old_nudge.reason == "the patient wrote again"
    assert doomed.reason == "the patient opted out"
    asked_last.refresh_from_db()
    assert asked_last.scheduled_followup_at == WEDNESDAY_NOON + timedelta(minutes=1, hours=4)
    opted_out.refresh_from_db()
    assert opted_out.scheduled_followup_at is None


def test_yes_and_no_in_one_batch_answer_reminders_as_they_would_one_by_one(
    clinic, django_assert_max_num_queries
):
    """Two answers in one conversation answer its two reminders, newest first; a reminder sent
    after an answer, or more than three days before it, is not answered by it; two queries for
    the batch's answers, however many there are."""
    from followups.services import PatientMessage, followups_after_patient_messages

    def sent_reminder(conversation, sent_at):
        followup = reminder(conversation, sent_at)
        FollowUp.objects.filter(pk=followup.pk).update(status=FollowUp.Status.SENT, sent_at=sent_at)
        return followup

    two_reminders = conversation_of(clinic, phone="79001230011")
    older = sent_reminder(two_reminders, WEDNESDAY_NOON - timedelta(days=2))
    newer = sent_reminder(two_reminders, WEDNESDAY_NOON - timedelta(hours=1))
    too_late = conversation_of(clinic, phone="79001230012")
    after_answer = sent_reminder(too_late, WEDNESDAY_NOON + timedelta(minutes=5))
    too_early = conversation_of(clinic, phone="79001230013")
    stale = sent_reminder(too_early, WEDNESDAY_NOON - timedelta(days=4))
    batch = [
        PatientMessage(two_reminders, "decline", WEDNESDAY_NOON + timedelta(minutes=1), "D2"),
        PatientMessage(two_reminders, "confirm", WEDNESDAY_NOON, "D1"),
        PatientMessage(too_late, "confirm", WEDNESDAY_NOON, "E1"),
        PatientMessage(too_early, "confirm", WEDNESDAY_NOON, "F1"),
    ]
    # The nudge cancel, the reminders, their update (in a transaction of its own here), the
    # next due times, the staff-notification settings (a reminder was declined): seven queries.
    later = WEDNESDAY_NOON + timedelta(minutes=10)
    with time_machine.travel(later), django_assert_max_num_queries(7):
        followups_after_patient_messages(messages=batch)
    for followup in (older, newer, after_answer, stale):
        followup.refresh_from_db()
    assert (newer.response, newer.responded_at) == ("confirmed", WEDNESDAY_NOON)
    assert (older.response, older.responded_at) == (
        "declined",
        WEDNESDAY_NOON + timedelta(minutes=1),
    )
    assert newer.updated_at == later
    assert after_answer.response == "" and stale.response == ""
