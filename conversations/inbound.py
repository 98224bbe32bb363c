"""Stage A: a verified patient message in, its reply out, in the request, without the database.

1. Find the clinic (process memory).
2. Accept: one Redis round trip de-duplicates, journals the message for stage B, takes the
   conversation's turn ticket and reads the session state and price-list version.
3. Wait for the conversation's turn, so replies leave in arrival order.
4. Decide the reply in memory (conversations.decide).
5. Send it, waiting at most 1 s; a slower or failed send continues through the ordered outbox.
6. Hand the journal to stage B (conversations.tasks.message_store) and answer the gateway.
"""

import asyncio
import enum
import hashlib
import logging
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from conversations import outbox
from conversations.decide import Decision, reply_decide
from conversations.directory import ClinicSnapshot, clinics, session_state_load
from conversations.evolution import InboundMessage
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.models import Lane
from conversations.sending import Outcome, get_backend
from pricing.cache import price_lists, version_key

logger = logging.getLogger(__name__)

ORDER_WAIT_S = 3.0  # a crashed turn holder blocks its conversation no longer than this
SEND_WAIT_S = 1.0
SEND_LEASE_S = 15.0  # longer than any send can take (httpx timeouts add up to < 10 s)


class Answer(enum.StrEnum):
    ACCEPTED = "accepted"
    DUPLICATE = "duplicate"
    IGNORED = "ignored"


class UnknownInstance(Exception):
    pass


class NotAccepted(Exception):
    """The message could not be durably accepted (Redis unreachable): answer 503."""


@dataclass(slots=True)
class Handled:
    answer: Answer
    reason: str = ""
    decision: Decision | None = None
    total_ms: float = 0.0


def _ms_since(start_ns: int) -> float:
    return (time.perf_counter_ns() - start_ns) / 1e6


def reply_digest(text: str) -> str:
    """Identifies a reply text in the conversation, to recognise our own echo from the gateway."""
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


async def inbound_handle(message: InboundMessage, *, started_ns: int) -> Handled:
    clinic = await clinics.get(message.instance)
    if clinic is None:
        raise UnknownInstance(message.instance)
    store = hot_store()
    key = message_key(message.instance, message.message_id)
    conversation = conversation_key(message.instance, message.phone)
    try:
        accepted = await store.accept(
            message=key,
            conversation=conversation,
            journal=_journal(message, clinic, conversation),
            prices_key=version_key(clinic.id),
            take_ticket=not message.from_me,
        )
    except (RedisError, OSError) as exc:
        raise NotAccepted(type(exc).__name__) from exc
    if accepted is None:
        return Handled(Answer.DUPLICATE)
    if message.from_me:
        return await _staff_echo(store, message, key, conversation, accepted.session)
    try:
        return await _answer(store, message, key, conversation, clinic, accepted, started_ns)
    finally:
        await outbox.enqueue_store(key)


def _journal(message: InboundMessage, clinic: ClinicSnapshot, conversation: str) -> dict:
    return {
        "clinic_id": clinic.id,
        "instance": message.instance,
        "message_id": message.message_id,
        "conversation": conversation,
        "phone": message.phone,
        "name": message.push_name,
        "text": message.text,
        "kind": "staff" if message.from_me else "patient",
        "received_at": time.time(),
        "reply_state": "",
    }


async def _staff_echo(store, message, key: str, conversation: str, session: dict) -> Handled:
    """A fromMe message: either our own reply coming back, or a person at the clinic writing."""
    if message.text and session.get(f"echo:{reply_digest(message.text)}"):
        await store.journal_update(key, {"kind": "own_echo", "reply_state": "none"})
        await outbox.enqueue_store(key)
        return Handled(Answer.IGNORED, "own echo (fromMe)")
    now = time.time()
    await store.session_save(conversation, {"control": "staff", "control_at": now})
    await store.journal_update(key, {"reply_state": "none", "control_at": now})
    await outbox.enqueue_store(key)
    return Handled(Answer.IGNORED, "staff echo (fromMe): the bot stays silent here")


async def _answer(store, message, key, conversation, clinic, accepted, started_ns) -> Handled:
    await _wait_for_turn(store, conversation, accepted.ticket)
    try:
        db_start = time.perf_counter_ns()
        cache_hits = 0
        session = accepted.session
        if "control" in session:
            cache_hits += 1
        else:
            session = await session_state_load(clinic, message.phone)
        prices, price_hit = await price_lists.get(clinic.id, accepted.price_version)
        cache_hits += price_hit + 1  # + the clinic, which came from memory
        db_ms = _ms_since(db_start) if cache_hits < 3 else 0.0
        decide_start = time.perf_counter_ns()
        decision = reply_decide(
            text=message.text,
            has_media=message.has_media,
            clinic=clinic,
            session=session,
            prices=prices,
        )
        fast_lane_ms = _ms_since(decide_start)
        await _remember(store, key, conversation, session, decision)
        timings = {"fast_lane_ms": fast_lane_ms, "db_ms": db_ms, "cache_hits": cache_hits}
        send_ms = await _deliver(store, message, key, conversation, decision, timings)
    finally:
        await store.advance_turn(conversation, accepted.ticket)
    total_ms = _ms_since(started_ns)
    await store.journal_update(key, {"total_ms": total_ms, "send_ms": send_ms or ""})
    return Handled(Answer.ACCEPTED, decision=decision, total_ms=total_ms)


async def _wait_for_turn(store, conversation: str, ticket: int) -> None:
    deadline = time.monotonic() + ORDER_WAIT_S
    pause = 0.0005
    while True:
        served, _ = await store.turn_state(conversation)
        if served >= ticket - 1:
            return
        if time.monotonic() >= deadline:
            # The turn before ours never ended (its worker died): skip it rather than stall.
            logger.warning("conversation turn %s timed out; moving on", ticket - 1)
            await store.advance_turn(conversation, ticket - 1)
            return
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.02)


async def _remember(store, key, conversation, session, decision: Decision) -> None:
    changes = dict(decision.session_changes)
    if "control" not in session:
        changes = {
            "control": session.get("control", "bot"),
            "status": session.get("status", ""),
        } | changes
    if decision.text:
        # The gateway echoes our reply back as a fromMe message: remember it is ours.
        changes[f"echo:{reply_digest(decision.text)}"] = "1"
    await store.session_save(conversation, changes)
    await store.journal_update(
        key,
        {
            "intent": decision.intent,
            "lane": decision.lane,
            "language": decision.language,
            "service": decision.service or "",
            "reply_text": decision.text or "",
            "reply_state": _initial_reply_state(decision),
            **{f"session_{name}": value for name, value in decision.session_changes.items()},
        },
    )


def _initial_reply_state(decision: Decision) -> str:
    if decision.lane == Lane.NONE:
        return "none"
    return "pending" if decision.lane == Lane.LLM else "ready"


async def _deliver(store, message, key, conversation, decision, timings) -> float | None:
    """Send the reply now, or queue it behind earlier replies; returns send ms when sent here."""
    await store.journal_update(key, timings)
    if decision.lane == Lane.NONE:
        return None
    _, waiting = await store.turn_state(conversation)
    if decision.lane == Lane.LLM or waiting:
        await store.outbox_push(conversation, key)
        if decision.lane == Lane.LLM:
            await outbox.enqueue_llm(key)
        else:
            await outbox.enqueue_drain(key)
        return None
    await store.claim_reply(key, to="sending", lease_s=SEND_LEASE_S, from_states=("ready",))
    send_start = time.perf_counter_ns()
    sending = asyncio.ensure_future(_send(store, message, key, decision.text))
    done, _ = await asyncio.wait({sending}, timeout=SEND_WAIT_S)
    if sending in done:
        if sending.result() == Outcome.NOT_SENT:
            await store.outbox_push(conversation, key)
            await outbox.enqueue_drain(key)
        return _ms_since(send_start)
    # Past 1 s the reply goes on in the background; queue it so later replies wait behind it,
    # and the outbox task retries it if the gateway refuses.
    await store.outbox_push(conversation, key)
    _background.add(sending)
    sending.add_done_callback(lambda task: _after_slow_send(task, key))
    await outbox.enqueue_drain(key, countdown=SEND_LEASE_S)
    return None


_background: set[asyncio.Task] = set()


def _after_slow_send(task: asyncio.Task, key: str) -> None:
    _background.discard(task)
    follow_up = asyncio.ensure_future(_settle_slow_send(key))
    _background.add(follow_up)
    follow_up.add_done_callback(_background.discard)


async def _settle_slow_send(key: str) -> None:
    # The queued reply is settled: store its outcome, and let the outbox move on now rather
    # than at its countdown.
    await outbox.enqueue_store(key)
    await outbox.enqueue_drain(key)


async def _send(store, message: InboundMessage, key: str, text: str) -> Outcome:
    result = await get_backend().asend(instance=message.instance, number=message.phone, text=text)
    await outbox.record_send(store, key, result)
    return result.outcome
