"""The booking lane and the hold sweep, in Celery. Entry points: nothing imports this module
(conversations.outbox enqueues booking_answer by name, beat runs holds_release)."""

import time

from celery import shared_task
from django.db import InterfaceError, OperationalError
from redis.exceptions import RedisError

from appointments.dialog import Turn, booking_answer
from appointments.services import calendar
from clinicbot.runtime import aio
from conversations import outbox
from conversations.hotstore import hot_store
from conversations.journal import SENDABLE, Journal, ReplyState


@shared_task(
    name=outbox.BOOKING_ANSWER,
    bind=True,
    # The dialogue's transaction either committed (a rerun finds its reply by the message's
    # key and acts no more) or rolled back (a rerun acts afresh): retrying is safe.
    autoretry_for=(RedisError, OSError, OperationalError, InterfaceError),
    retry_backoff=1,
    retry_backoff_max=10,
    retry_jitter=True,
    max_retries=5,
)
def booking_answer_task(self, key: str) -> None:
    """Answer the journaled message `key` from the calendar, and send the answer through the
    conversation's ordered outbox. Only a pending reply is answered, once."""
    journal = aio.run(_journal(key))
    state = journal.reply_state if journal else ReplyState.UNDECIDED
    if state != ReplyState.PENDING:
        if state in SENDABLE:
            # Answered, but the run that wrote it may have died before the send.
            aio.run(outbox.enqueue_drain(key))
        return
    started = time.perf_counter()
    answer = booking_answer(_turn(key, journal))
    values = {
        "reply_text": answer.text,
        "reply_state": ReplyState.READY,
        # The dialogue now says what it waits for; a price answer's offer has been taken up.
        "session_changes": journal.session_changes
        | {"awaiting": answer.awaiting, "offered_service": ""},
        "booking_ms": round((time.perf_counter() - started) * 1000, 3),
    }
    aio.run(_record_and_send(key, journal, values))


def _turn(key: str, journal: Journal) -> Turn:
    return Turn(
        key=key,
        clinic_id=journal.clinic_id,
        phone=journal.phone,
        language=journal.language or "en",
        intent=journal.intent,
        service=journal.service,
        text=journal.text,
        quoted_id=journal.quoted_id,
        lid=journal.lid,
    )


async def _journal(key: str) -> Journal | None:
    return await hot_store().journal(key)


async def _record_and_send(key: str, journal: Journal, values: dict) -> None:
    store = hot_store()
    if not await outbox.answer_record(store, key, journal, values):
        return  # another run answered first
    try:
        await outbox.answer_deliver(store, key, journal.conversation)
    finally:
        await outbox.schedule_flush(store)


@shared_task(name="appointments.tasks.holds_release")
def holds_release() -> int:
    """Give back the times held for patients who did not say yes in time (beat, every minute)."""
    return calendar.holds_release()
