"""Stage A: a verified patient message in, its reply out, in the request, without the database.

1. Find the clinic (process memory).
2. Accept: one Redis round trip de-duplicates, journals the message for stage B, takes the
   conversation's turn ticket and reads the session state and price-list version. A message
   sent before Redis's 48 h de-duplication window is first looked up in the database (one
   indexed query): stored already, it is a duplicate; the database unreachable, a 503.
3. Wait for the conversation's turn, so replies leave in arrival order. A message that waited
   (or was transcribed) reads its journal again: the patient may have edited or deleted it.
4. Decide the reply in memory (conversations.decide). Not when the session state is neither in
   Redis nor given by the database: who is in control is unknown, so the reply stays undecided
   until the database answers. A voice note is first transcribed (conversations.voice), its
   transcript read as its text.
5. Send it, waiting at most 1 s; a slower or failed send continues through the ordered outbox.
6. End the turn and, at most every 200 ms, enqueue stage B (conversations.tasks.journal_flush),
   which stores the journals in Postgres; then answer the gateway.

Redis round trips on the fast lane: acceptance, the decision, the outcome (three in all); one
more for a message naming its patient only by a LID (the phone learned for it), and for one that
waited for its turn.
"""

import asyncio
import dataclasses
import enum
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError
from redis.exceptions import RedisError

from channels.base import InboundMessage, Outcome
from channels.echo import echo_field, is_own_echo
from channels.registry import sender_for
from clinicbot.runtime import clock
from clinicbot.runtime.admission import stepped_aside
from conversations import outbox
from conversations.decide import Decision, reply_decide
from conversations.directory import ClinicSnapshot, clinics, message_stored, session_state_load
from conversations.hotstore import SEEN_TTL_S, conversation_key, hot_store, message_key
from conversations.journal import Kind, ReplyState
from conversations.models import Lane
from conversations.voice import needs_transcription, voice_note_heard
from pricing.cache import price_lists, version_key

logger = logging.getLogger(__name__)

ORDER_WAIT_S = 3.0  # a crashed turn holder blocks its conversation no longer than this
SEND_WAIT_S = 1.0
CONTROL_UNKNOWN = "reply deferred: control unknown"
DELETED_WHILE_WAITING = "deleted for everyone before its turn came"
AUTOMATED = "gateway's automatic message"


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


async def inbound_handle(message: InboundMessage, *, started_ns: int) -> Handled:
    clinic = await clinics.get(message.channel, message.instance)
    if clinic is None:
        raise UnknownInstance(message.instance)
    store = hot_store()
    if message.lid_only:
        message = await _with_learned_phone(store, message)
    key = message_key(message.instance, message.message_id)
    conversation = conversation_key(message.instance, message.phone)
    if _sent_before_the_window(message):
        async with stepped_aside():  # the database: milliseconds away, more when it is slow
            if await _stored_already(clinic, message):
                return Handled(Answer.DUPLICATE)
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
    except (RedisError, OSError) as exc:
        # Accepted and journaled, so not lost: stage B's flush finds it undecided and a worker
        # answers it (conversations.tasks.late_answer). A retry would only be a duplicate.
        logger.warning("message %s accepted, reply deferred to a worker (%s)", key, exc)
        return Handled(Answer.ACCEPTED, reason="reply deferred")


async def _with_learned_phone(store, message: InboundMessage) -> InboundMessage:
    """A message that names its patient only by a LID, addressed to the phone an earlier message
    named beside that LID: the patient keeps one conversation. A LID never seen with a phone
    stays a conversation of its own, answered at the LID."""
    lid = message.lid or message.phone
    try:
        phone = await store.lid_phone(message.instance, lid)
    except (RedisError, OSError) as exc:
        raise NotAccepted(type(exc).__name__) from exc
    return dataclasses.replace(message, phone=phone, lid=lid) if phone else message


def _sent_before_the_window(message: InboundMessage) -> bool:
    """Whether WhatsApp's timestamp is older than the de-duplication window: past it, Redis no
    longer knows a redelivery (or a captured request played again) from a new message."""
    return message.timestamp is not None and message.timestamp < time.time() - SEEN_TTL_S


async def _stored_already(clinic: ClinicSnapshot, message: InboundMessage) -> bool:
    """Whether stage B stored this message (every accepted message is stored, unique on
    instance + WhatsApp id). A message delayed for days (a phone offline) is not, and is answered;
    one played again after the window is. When the database cannot say, nothing is accepted."""
    try:
        return await message_stored(clinic, message.message_id)
    except (TimeoutError, DatabaseError) as exc:
        raise NotAccepted(type(exc).__name__) from exc


def _journal(message: InboundMessage, clinic: ClinicSnapshot, conversation: str) -> dict:
    return {
        "clinic_id": clinic.id,
        "channel": message.channel,
        "instance": message.instance,
        "message_id": message.message_id,
        "conversation": conversation,
        "phone": message.phone,
        "name": message.push_name,
        "text": message.text,
        "kind": Kind.STAFF if message.from_me else Kind.PATIENT,
        "has_media": message.has_media,
        **_media_fields(message),
        "received_at": time.time(),
        "reply_state": ReplyState.UNDECIDED,
    }


def _media_fields(message: InboundMessage) -> dict:
    """What the message's row keeps of its media and links (the file itself stays with the
    gateway: staff fetch it on demand, channels.base.MediaFetcher)."""
    fields = {"lid": message.lid, "quoted_id": message.quoted_id, "choice_id": message.choice_id}
    media = message.media
    if media is not None:
        fields |= {
            "media_kind": media.kind,
            "media_mime": media.mime_type,
            "media_size": media.size,
            "media_content": media.content,
        }
    # Most messages are plain text: no empty fields for them in the hash.
    return {name: value for name, value in fields.items() if value not in ("", None)}


async def _staff_echo(store, message, key: str, conversation: str, session: dict) -> Handled:
    """A fromMe message: our own reply coming back, the gateway's own automatic message (a
    call's auto-reply), or a person at the clinic writing, from the phone or from another
    client of the gateway (Chatwoot, Evolution Manager: `send.message`), who takes the
    conversation over."""
    if message.automated:
        # Stored among the conversation's messages, as staff's are, but nobody took it over.
        await store.journal_update(key, reply_state=ReplyState.NONE)
        await outbox.schedule_flush(store)
        return Handled(Answer.IGNORED, AUTOMATED)
    if is_own_echo(message, session):
        await store.journal_update(key, kind=Kind.OWN_ECHO, reply_state=ReplyState.NONE)
        await outbox.schedule_flush(store)
        return Handled(Answer.IGNORED, "own echo (fromMe)")
    now = time.time()
    await store.session_save(conversation, {"control": "staff", "control_at": now})
    await store.journal_update(key, reply_state=ReplyState.NONE, control_at=now)
    await outbox.schedule_flush(store)
    return Handled(Answer.IGNORED, "staff echo (fromMe): the bot stays silent here")


async def _answer(store, message, key, conversation, clinic, accepted, started_ns) -> Handled:
    ticket = accepted.ticket
    finish: dict = {}
    try:
        waiting = accepted.waiting
        waited = accepted.served < ticket - 1
        if waited:
            async with stepped_aside():  # the message before ours may need a turn to finish
                waiting = await _wait_for_turn(store, conversation, ticket)
        session, prices, timings, loaded = await _context(clinic, message, accepted)
        if session is None:
            # Nobody can say whether staff have this conversation: the bot must not answer
            # it on a guess. The message stays journaled with its reply undecided; once the
            # database answers, stage B's sweep decides it (conversations.tasks.late_answer).
            return Handled(Answer.ACCEPTED, reason=CONTROL_UNKNOWN)
        heard = await _heard(store, conversation, message, clinic, session)
        if waited or heard.voice:
            # Time passed since acceptance: the patient may have edited or deleted it meanwhile.
            heard = await _as_it_stands(store, key, message, heard)
            if heard is None:
                return Handled(Answer.ACCEPTED, reason=DELETED_WHILE_WAITING)
        timings |= heard.journal_values()
        decide_start = time.perf_counter_ns()
        decision = reply_decide(
            text=heard.text,
            has_media=message.has_media,
            clinic=clinic,
            session=session,
            prices=prices,
            quotes=bool(message.quoted_id),
            voice_unheard=heard.unheard,
            now=clock.now(),
        )
        timings["fast_lane_ms"] = _ms_since(decide_start)
        direct = decision.lane == Lane.FAST and not waiting
        await _save_decision(store, key, conversation, loaded, decision, timings, direct)
        finish = await _deliver(store, message, key, conversation, decision, direct)
    finally:
        # Ends the turn even when something above failed, so the conversation never stalls.
        finish["total_ms"] = _ms_since(started_ns)
        if await store.finish(conversation, key, ticket, outbox.flush_window_ms(), **finish):
            await outbox.publish_flush()
    return Handled(Answer.ACCEPTED, decision=decision, total_ms=finish["total_ms"])


async def _as_it_stands(store, key: str, message: InboundMessage, heard):
    """The message as its journal holds it now: None when it was deleted for everyone (its
    reply is no longer to be written), its edited text when it was edited (conversations.events
    writes both into the journal)."""
    current = await store.journal(key)
    if current is None or current.reply_state != ReplyState.UNDECIDED:
        return None
    if not heard.voice and current.text != message.text:
        return dataclasses.replace(heard, text=current.text)
    return heard


async def _heard(store, conversation, message, clinic, session):
    """The message's text, a voice note's transcript standing in for it. Transcribing takes
    seconds: the conversation's next message waits for them rather than overtake it."""
    if not needs_transcription(message):
        return await voice_note_heard(message, clinic, session)
    await store.turn_hold(conversation, settings.TRANSCRIPTION_DEADLINE_S + ORDER_WAIT_S)
    try:
        return await voice_note_heard(message, clinic, session)
    finally:
        await store.turn_hold(conversation, 0)


async def _context(clinic, message, accepted):
    """The session state and price list the reply depends on, from memory or Redis when warm.
    Returns (session, prices, timings, the session if it had to be loaded from the database);
    the session is None when neither Redis nor the database could say who is in control."""
    lookup_start = time.perf_counter_ns()
    hits = 1  # the clinic came from memory
    session = accepted.session
    loaded = None
    if "control" in session:
        hits += 1
    else:
        async with stepped_aside():  # the database: milliseconds away, more when it is slow
            session = loaded = await session_state_load(clinic, message.phone, message.lid)
        if session is None:
            return None, None, {}, None
    prices, price_hit = await price_lists.get(clinic.id, accepted.price_version)
    hits += price_hit
    db_ms = _ms_since(lookup_start) if hits < 3 else 0.0
    return session, prices, {"db_ms": db_ms, "cache_hits": hits}, loaded


async def _wait_for_turn(store, conversation: str, ticket: int) -> int:
    """Wait until the previous message's turn is over; returns the replies queued meanwhile."""
    deadline = time.monotonic() + ORDER_WAIT_S
    pause = 0.0005
    while True:
        served, waiting, held_s = await store.turn_state(conversation)
        if served >= ticket - 1:
            return waiting
        # A turn transcribing a voice note said how long it may take: waited for that long.
        deadline = max(deadline, time.monotonic() + held_s)
        if time.monotonic() >= deadline:
            # The turn before ours never ended (its worker died): skip it rather than stall.
            logger.warning("conversation turn %s timed out; moving on", ticket - 1)
            return waiting
        await asyncio.sleep(pause)
        pause = min(pause * 2, 0.02)


async def _save_decision(store, key, conversation, loaded, decision, timings, direct) -> None:
    changes = dict(decision.session_changes)
    if loaded is not None:
        # Loaded from the database: keep it in Redis so the next message needs no query.
        changes = {name: value for name, value in loaded.items() if value != ""} | changes
    if decision.text:
        # The gateway echoes our reply back as a fromMe message: remember it is ours.
        changes[echo_field(decision.text)] = "1"
    fields = decision.journal_values() | timings
    if direct:
        # We hold the conversation's turn: nobody else can be sending this reply.
        fields |= {"reply_state": ReplyState.SENDING, "reply_lease": outbox.lease_until()}
    await store.decision_save(conversation, key, changes, **fields)


async def _deliver(store, message, key, conversation, decision, direct) -> dict:
    """Send the reply now, or queue it behind earlier replies. Returns journal fields to record."""
    if decision.lane == Lane.NONE:
        return {}
    if not direct:
        await store.outbox_push(conversation, key)
        if decision.lane == Lane.FAST:
            await outbox.enqueue_drain(key)
        else:  # the LLM lane or the booking lane writes it
            await outbox.enqueue_answer(key, decision.lane)
        return {}
    send_start = time.perf_counter_ns()
    sending = asyncio.ensure_future(_send(message, decision.text))
    async with stepped_aside():
        done, _ = await asyncio.wait({sending}, timeout=SEND_WAIT_S)
    if sending in done:
        result = sending.result()
        if result.outcome == Outcome.NOT_SENT:
            await store.outbox_push(conversation, key)
            await outbox.enqueue_drain(key)
        return outbox.send_fields(result, attempt=1) | {"send_ms": _ms_since(send_start)}
    # Past 1 s the send goes on in the background; queue the reply so later ones wait behind
    # it, and the outbox task retries it if the gateway refuses.
    await store.outbox_push(conversation, key)
    _background.add(sending)
    sending.add_done_callback(lambda task: _after_slow_send(task, key))
    await outbox.enqueue_drain(key, countdown=outbox.SEND_LEASE_S)
    return {}


_background: set[asyncio.Task] = set()


def _after_slow_send(task: asyncio.Task, key: str) -> None:
    _background.discard(task)
    follow_up = asyncio.ensure_future(_settle_slow_send(key, task.result()))
    _background.add(follow_up)
    follow_up.add_done_callback(_background.discard)


async def _settle_slow_send(key: str, result) -> None:
    # Record the late outcome, store it, and let the outbox move on now rather than at its
    # countdown.
    store = hot_store()
    await outbox.record_send(store, key, result, attempt=1)
    await outbox.schedule_flush(store)
    await outbox.enqueue_drain(key)


async def _send(message: InboundMessage, text: str):
    sender = sender_for(message.channel)
    return await sender.asend(instance=message.instance, number=message.phone, text=text)
