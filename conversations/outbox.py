"""Replies that could not be sent in the request, delivered in conversation order, exactly once.

A conversation's outbox is an ordered list of journal ids in Redis (see conversations.hotstore).
A reply goes there when the LLM lane is writing it, when the gateway was slow (> 1 s) or refused,
or when an earlier reply of the same conversation is still waiting. `outbox_drain` sends from the
head only, so a reply never overtakes an earlier one.

Exactly once: a reply is claimed (ready/failed -> sending, with a lease) before it is sent, and
its outcome recorded after (conversations.journal has the states). Only a send the gateway
certainly did not perform (failed) is tried again; one whose answer never came (unknown) is not,
since the patient may have it. A reply the gateway refuses MAX_SEND_ATTEMPTS times is given up:
stored as failed for staff to see, and the conversation's later replies go out.
"""

import asyncio
import logging
import time

from celery import current_app
from django.conf import settings
from django.db import connections

from channels.base import Outcome, SendResult
from channels.echo import echo_field
from channels.registry import sender_for
from conversations.journal import SENDABLE, SETTLED, Journal, ReplyState
from conversations.models import Lane

logger = logging.getLogger(__name__)

# Longer than any send can take (the gateway's timeouts add up to 11.5 s): a reply `sending`
# for longer belongs to a sender that died.
SEND_LEASE_S = 15.0
# How long past the LLM deadline a reply may stay pending before its task is asked again.
LLM_GRACE_S = 30.0
# Refusals before a reply is given up. With the backoff below, the last try is about four
# minutes after the first: long enough for a gateway to restart, short enough that the
# conversation's later replies are not held back for long behind one that cannot go out.
MAX_SEND_ATTEMPTS = 8
RETRY_BACKOFF_MAX_S = 300

# The Celery tasks the outbox and stage A enqueue (conversations.tasks). They are entry points:
# named here and found in Celery's registry, never imported.
JOURNAL_FLUSH = "conversations.tasks.journal_flush"
OUTBOX_DELIVER = "conversations.tasks.outbox_deliver"
LLM_ANSWER = "conversations.tasks.llm_answer"
BOOKING_ANSWER = "appointments.tasks.booking_answer"
# The task that writes a pending reply, by the lane that answers it.
ANSWER_TASKS = {Lane.LLM: LLM_ANSWER, Lane.BOOKING: BOOKING_ANSWER}

STATE_AFTER_SEND = {
    Outcome.SENT: ReplyState.SENT,
    Outcome.UNKNOWN: ReplyState.UNKNOWN,
    Outcome.NOT_SENT: ReplyState.FAILED,
}


def lease_until() -> float:
    return time.time() + SEND_LEASE_S


def retry_after(attempts: int) -> float:
    """Seconds before the next try of a reply refused `attempts` times: 2, 4, 8 ... 300."""
    return min(2**attempts, RETRY_BACKOFF_MAX_S)


def send_fields(result: SendResult, *, attempt: int) -> dict:
    """What the outcome of a reply's `attempt`-th send records in its journal. A refused reply
    carries when it may be tried again: the backoff belongs to the reply, not to whichever task
    drains its conversation (each queued reply has one)."""
    state = STATE_AFTER_SEND[result.outcome]
    fields = {"reply_state": state, "reply_detail": result.detail}
    if result.outcome == Outcome.SENT:
        return fields | {"reply_gateway_id": result.gateway_id, "reply_sent_at": time.time()}
    if result.outcome == Outcome.NOT_SENT:
        fields["reply_attempts"] = attempt
        fields["reply_retry_at"] = time.time() + retry_after(attempt)
        if attempt >= MAX_SEND_ATTEMPTS:
            fields["reply_state"] = state = ReplyState.GAVE_UP
    logger.warning("reply not confirmed: %s (%s)", state, result.detail)
    return fields


async def record_send(store, key: str, result: SendResult, *, attempt: int) -> dict:
    """Record a send's outcome in the reply's journal; returns what was recorded."""
    fields = send_fields(result, attempt=attempt)
    await store.journal_update(key, **fields)
    return fields


class NotYet(Exception):
    """The outbox head cannot move now (being written or sent, or waiting out its backoff):
    try again in `retry_in` seconds."""

    def __init__(self, detail: str, retry_in: float = 2.0):
        super().__init__(detail)
        self.retry_in = retry_in


class SendFailed(Exception):
    """The gateway refused the head reply; it may be tried again in `retry_in` seconds."""

    def __init__(self, detail: str, retry_in: float):
        super().__init__(detail)
        self.retry_in = retry_in


async def outbox_drain(store, conversation: str) -> int:
    """Send the conversation's queued replies in order; returns how many were settled.
    Raises NotYet when the head is not ready, and SendFailed when the gateway refused it."""
    settled = 0
    while (key := await store.outbox_head(conversation)) is not None:
        journal = await store.journal(key)
        if journal is None or journal.reply_state in SETTLED:
            await store.outbox_remove(conversation, key)
            settled += 1
            continue
        state = journal.reply_state
        if state == ReplyState.SENDING and not journal.lease_expired():
            raise NotYet(f"{key} is being sent")
        if state == ReplyState.SENDING:
            # Its sender died mid-send: the gateway may have sent it, so it is not sent again.
            await store.journal_update(key, reply_state=ReplyState.UNKNOWN, reply_detail="lease")
            continue
        if state == ReplyState.FAILED and (wait := _backoff_left(journal)) > 0:
            raise NotYet(f"{key} waits out its backoff", retry_in=wait)
        if state == ReplyState.PENDING and _overdue(journal):
            # Its answering task was lost (a failed publish, a dead worker): ask again; the
            # task answers a pending reply only once.
            await enqueue_answer(key, journal.lane)
        if state not in SENDABLE:
            raise NotYet(f"{key} is {state or 'not decided'}")
        claimed = await store.transition(
            key, SENDABLE, reply_state=ReplyState.SENDING, reply_lease=lease_until()
        )
        if claimed:
            await _send_claimed(store, key, journal)
        # Not claimed: another drain took it. Either way, read the head again.
    return settled


def _backoff_left(journal: Journal) -> float:
    return (journal.reply_retry_at or 0.0) - time.time()


def _overdue(journal: Journal) -> bool:
    received = journal.received_at or time.time()
    return time.time() - received > settings.LLM_DEADLINE_S + LLM_GRACE_S


async def _send_claimed(store, key: str, journal: Journal) -> None:
    sender = sender_for(journal.channel)
    result = await sender.asend(
        instance=journal.instance, number=journal.phone, text=journal.reply_text
    )
    attempt = journal.reply_attempts + 1
    fields = await record_send(store, key, result, attempt=attempt)
    await schedule_flush(store)
    if fields["reply_state"] == ReplyState.GAVE_UP:
        # Stored as failed (the admin and the dashboard show it); the next reply may go.
        logger.error("reply %s given up after %d refused sends", key, attempt)
    elif result.outcome == Outcome.NOT_SENT:
        raise SendFailed(result.detail, retry_in=retry_after(attempt))


# --- enqueueing from the request path ----------------------------------------------------------
# Celery's publish is blocking I/O: it runs in a thread so the event loop keeps serving. A failed
# publish loses nothing: the journal stays listed as unstored and beat's minute flush stores it.
#
# Stage B is one batched task, `journal_flush`, enqueued at most once per FLUSH_WINDOW_MS (a
# Redis SET NX claims the window): under load one flush stores many messages in one go, and the
# request path publishes to the broker a few times a second rather than once per message.

FLUSH_WINDOW_MS = 200


def _task(name: str):
    tasks = current_app.tasks
    if name not in tasks:
        # A process that has not loaded the apps' task modules yet (the web, right after it
        # started): Celery's autodiscovery loads them all.
        current_app.loader.import_default_modules()
    return tasks[name]


def _apply(name: str, args, options) -> None:
    task = _task(name)
    try:
        task.apply_async(args=args, **options)
    finally:
        if task.app.conf.task_always_eager:
            # The task ran right here (embedded default, tests): hand its connection back.
            connections.close_all()


async def _publish(name: str, *args, **options) -> None:
    try:
        await asyncio.to_thread(_apply, name, args, options)
    except Exception as exc:  # noqa: BLE001  (the broker may be down; the sweep recovers)
        logger.warning("could not enqueue %s (%s); the sweep will", name, type(exc).__name__)


def flush_window_ms() -> int | None:
    """The window between flushes; None (flush every time) when tasks run inline."""
    return None if current_app.conf.task_always_eager else FLUSH_WINDOW_MS


async def publish_flush() -> None:
    window = flush_window_ms()
    await _publish(JOURNAL_FLUSH, countdown=window / 1000 if window else 0)


async def schedule_flush(store) -> None:
    if await store.claim_flush(flush_window_ms()):
        await publish_flush()


async def enqueue_drain(key: str, countdown: float = 0) -> None:
    """Drain the outbox of the conversation that message `key` belongs to."""
    await _publish(OUTBOX_DELIVER, key, countdown=countdown)


async def enqueue_answer(key: str, lane: str) -> None:
    """Ask the lane's task for the answer to message `key` (its reply is pending)."""
    await _publish(ANSWER_TASKS.get(lane, LLM_ANSWER), key)


# --- a pending reply's answer, written by its lane's task ---------------------------------------
async def answer_record(store, key: str, journal: Journal, values: dict) -> bool:
    """Write the answer if the reply is still pending (atomically: a racing copy of the task
    finds it taken); then update the conversation's live state. False: answered already."""
    if not await store.transition(key, {ReplyState.PENDING}, **values):
        return False
    # The gateway echoes our reply back as a fromMe message: remember it is ours, not staff's.
    session = {echo_field(values["reply_text"]): "1"} | values.get("session_changes", {})
    if journal.conversation:
        await store.session_save(journal.conversation, session)
    return True


async def answer_deliver(store, key: str, conversation: str) -> None:
    """Send a just-written answer from the task that wrote it, saving the patient a trip
    through the queue; when the outbox cannot move yet (an earlier reply is still pending) or
    the gateway refuses, the outbox task takes over with its retries."""
    try:
        await outbox_drain(store, conversation)
    except (NotYet, SendFailed):
        await enqueue_drain(key)
