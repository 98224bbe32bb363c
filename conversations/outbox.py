"""Replies that could not be sent in the request, delivered in conversation order, exactly once.

A conversation's outbox is an ordered list of journal ids in Redis (see conversations.hotstore).
A reply goes there when the LLM lane is writing it, when the gateway was slow (> 1 s) or refused,
or when an earlier reply of the same conversation is still waiting. `outbox_drain` sends from the
head only, so a reply never overtakes an earlier one.

Exactly once: a reply is claimed (`ready`/`failed` -> `sending`, with a lease) before it is sent,
and its outcome recorded after. Only a send the gateway certainly did not perform (`failed`) is
tried again; one whose answer never came (`unknown`) is not, since the patient may have it.
"""

import asyncio
import logging
import time

from django.db import connections

from channels.base import Outcome, SendResult
from channels.registry import DEFAULT_KIND, sender_for

logger = logging.getLogger(__name__)

# Longer than any send can take (the gateway's timeouts add up to 11.5 s): a reply `sending`
# for longer belongs to a sender that died.
SEND_LEASE_S = 15.0
# How long past the LLM deadline a reply may stay pending before its task is asked again.
LLM_GRACE_S = 30.0
SETTLED = {"sent", "unknown", "none"}
SENDABLE = ("ready", "failed")


REPLY_STATE = {Outcome.SENT: "sent", Outcome.UNKNOWN: "unknown", Outcome.NOT_SENT: "failed"}


def send_fields(result: SendResult) -> dict:
    """What a send's outcome records in the journal."""
    fields = {"reply_state": REPLY_STATE[result.outcome], "reply_detail": result.detail}
    if result.outcome == Outcome.SENT:
        fields |= {"reply_gateway_id": result.gateway_id, "reply_sent_at": time.time()}
    else:
        logger.warning("reply not confirmed: %s (%s)", fields["reply_state"], result.detail)
    return fields


async def record_send(store, key: str, result: SendResult) -> None:
    await store.journal_update(key, send_fields(result))


class NotYet(Exception):
    """The outbox head cannot move now (still being written or sent): try again later."""


async def outbox_drain(store, conversation: str) -> int:
    """Send the conversation's queued replies in order; returns how many were settled.
    Raises NotYet when the head is not ready, and SendFailed when the gateway refused it."""
    settled = 0
    while (key := await store.outbox_head(conversation)) is not None:
        journal = await store.journal(key)
        state = journal.get("reply_state", "")
        if state in SETTLED or not journal:
            await store.outbox_remove(conversation, key)
            settled += 1
            continue
        if state == "sending" and float(journal.get("reply_lease") or 0) > time.time():
            raise NotYet(f"{key} is being sent")
        if state == "sending":
            # Its sender died mid-send: the gateway may have sent it, so it is not sent again.
            await store.journal_update(key, {"reply_state": "unknown", "reply_detail": "lease"})
            continue
        if state == "pending" and _overdue(journal):
            # Its LLM task was lost (a failed publish, a dead worker): ask again; the task
            # answers a pending reply only once.
            await enqueue_llm(key)
        if state not in SENDABLE:
            raise NotYet(f"{key} is {state or 'not decided'}")
        if not await store.claim_reply(
            key, to="sending", lease_s=SEND_LEASE_S, from_states=SENDABLE
        ):
            continue  # another drain claimed it; re-read
        await _send_claimed(store, key, journal)
    return settled


def _overdue(journal: dict) -> bool:
    from django.conf import settings

    received = float(journal.get("received_at") or time.time())
    return time.time() - received > settings.LLM_DEADLINE_S + LLM_GRACE_S


class SendFailed(Exception):
    pass


async def _send_claimed(store, key: str, journal: dict) -> None:
    sender = sender_for(journal.get("channel") or DEFAULT_KIND)
    result = await sender.asend(
        instance=journal["instance"], number=journal["phone"], text=journal["reply_text"]
    )
    await record_send(store, key, result)
    await schedule_flush(store)
    if result.outcome == Outcome.NOT_SENT:
        raise SendFailed(result.detail)


# --- enqueueing from the request path ----------------------------------------------------------
# Celery's publish is blocking I/O: it runs in a thread so the event loop keeps serving. A failed
# publish loses nothing: the journal stays listed as unstored and beat's minute flush stores it.
#
# Stage B is one batched task, `journal_flush`, enqueued at most once per FLUSH_WINDOW_MS (a
# Redis SET NX claims the window): under load one flush stores many messages in one go, and the
# request path publishes to the broker a few times a second rather than once per message.

FLUSH_WINDOW_MS = 200


def _apply(task, args, options) -> None:
    try:
        task.apply_async(args=args, **options)
    finally:
        if task.app.conf.task_always_eager:
            # The task ran right here (embedded default, tests): hand its connection back.
            connections.close_all()


async def _publish(task, *args, **options) -> None:
    try:
        await asyncio.to_thread(_apply, task, args, options)
    except Exception as exc:  # noqa: BLE001  (the broker may be down; the sweep recovers)
        logger.warning("could not enqueue %s (%s); the sweep will", task.name, type(exc).__name__)


def flush_window_ms() -> int | None:
    """The window between flushes; None (flush every time) when tasks run inline."""
    from clinicbot.celery import app

    return None if app.conf.task_always_eager else FLUSH_WINDOW_MS


async def publish_flush() -> None:
    from conversations.tasks import journal_flush

    window = flush_window_ms()
    await _publish(journal_flush, countdown=window / 1000 if window else 0)


async def schedule_flush(store) -> None:
    if await store.claim_flush(flush_window_ms()):
        await publish_flush()


async def enqueue_drain(key: str, countdown: float = 0) -> None:
    """Drain the outbox of the conversation that message `key` belongs to."""
    from conversations.tasks import outbox_deliver

    await _publish(outbox_deliver, key, countdown=countdown)


async def enqueue_llm(key: str) -> None:
    from conversations.tasks import llm_answer

    await _publish(llm_answer, key)
