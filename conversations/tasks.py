"""Stage B and the outbox, in Celery. Tasks take ids only (never a phone or a text), read their
state again, and are safe to run twice. They are entry points: nothing imports this module
(conversations.outbox enqueues them by name)."""

import logging
import time

from cachalot.api import cachalot_disabled
from celery import shared_task
from django.db import DatabaseError, DataError, IntegrityError, InterfaceError, OperationalError
from redis.exceptions import RedisError

from channels.echo import echo_field
from clinicbot.runtime import aio, clock
from clinicbot.runtime.breaker import CircuitOpen, database_breaker
from conversations import events, outbox
from conversations.decide import reply_decide
from conversations.directory import clinics, session_state_load
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.journal import SENDABLE, SETTLED, Journal, Kind, ReplyState
from conversations.llm.answer import llm_reply  # here, not in the task: see below
from conversations.models import LID_SUFFIX, Lane
from conversations.services.storage import journals_store
from conversations.voice import VOICE_KINDS
from pricing.cache import price_lists

logger = logging.getLogger(__name__)
# The LLM lane is imported with the tasks, so the worker's parent process pays for importing the
# OpenAI client once, before it forks its pool, rather than each pool process on its first
# question, a heavy import that patient's answer would wait for.

FLUSH_BATCH = 200
# A patient message whose request died after acceptance (before its reply was decided) is
# answered by a worker once it has been undecided this long.
UNDECIDED_AFTER_S = 30
# A queued reply whose outbox task should have run this long ago is asked for again.
OUTBOX_STALL_GRACE_S = 30


async def _unflushed(limit: int, offset: int) -> list[tuple[str, Journal | None]]:
    store = hot_store()
    keys = await store.unstored_before(time.time(), limit, offset)
    return list(zip(keys, await store.journals(keys), strict=True))


def _flush_batch(
    batch: list[tuple[str, Journal | None]],
) -> tuple[dict[str, str], set[str], set[str]]:
    """Store the batch's journals that changed since they were last stored. Returns the state
    each was stored in, the journals that expired before they could be stored, and those whose
    values the database refuses. One transaction for the batch; if the database refuses a row,
    the rest are stored one by one so that row alone is held back."""
    todo: dict[str, Journal] = {}
    expired = set()
    refused: set[str] = set()
    asked: dict[str, dict] = {}
    for key, journal in batch:
        if journal is None:
            logger.error("journal %s expired before it was stored", key)
            expired.add(key)
            continue
        if _undecided_for_too_long(journal):
            late_answer.delay(key)
            asked[key] = {"late_asked_at": time.time()}
        elif _outbox_stalled(journal):
            outbox_deliver.delay(key)
            asked[key] = {"outbox_due_at": time.time()}
        if journal.stored_state != _stored_state(journal):
            todo[key] = journal
    try:
        journals_store(journals=list(todo.values()))
    except (OperationalError, InterfaceError):
        raise  # the database is unavailable: retry the whole flush later
    except DatabaseError:
        todo, refused = _store_one_by_one(todo)
    finally:
        # Asked once per grace period, not on every flush: under load a flush runs several
        # times a second, and re-asking each time would flood the queue it waits on.
        aio.run(_journals_update(asked))
        aio.run(_lid_pairs_remember(todo.values()))
    return {key: _stored_state(journal) for key, journal in todo.items()}, expired, refused


async def _journals_update(updates: dict[str, dict]) -> None:
    store = hot_store()
    for key, values in updates.items():
        await store.journal_update(key, **values)


async def _lid_pairs_remember(journals) -> None:
    """Let stage A address a message that names only a LID to the phone it was seen with
    (conversations.inbound); the database knows the pair too (conversations.services.patients).
    Only a patient's own message teaches it (one from the clinic's number may carry the
    clinic's phone)."""
    pairs = {
        (j.instance, j.lid, j.phone)
        for j in journals
        if j.is_patient and j.lid and j.phone and not j.phone.endswith(LID_SUFFIX)
    }
    if not pairs:
        return
    store = hot_store()
    try:
        # A pair new to Redis: stage B just merged what was kept under the LID into the phone's
        # conversation, so the session state Redis holds under either name may be stale (staff
        # may have taken the LID's over): the next message reads the merged state.
        new = [pair for pair in pairs if await store.lid_phone(pair[0], pair[1]) != pair[2]]
        await store.lid_pairs_save(pairs)
        await store.sessions_forget(
            conversation_key(instance, name)
            for instance, lid, phone in new
            for name in (lid, phone)
        )
    except (RedisError, OSError) as exc:
        # The database has the pair: stage B stores such a message in the right conversation
        # anyway, and the next message naming both teaches Redis again.
        logger.warning("LID pairs not remembered in Redis (%s)", type(exc).__name__)


def _store_one_by_one(todo: dict[str, Journal]) -> tuple[dict[str, Journal], set[str]]:
    """The journals stored, and those whose values the database refuses."""
    stored, refused = {}, set()
    for key, journal in todo.items():
        try:
            journals_store(journals=[journal])
        except (OperationalError, InterfaceError):
            raise
        except (DataError, IntegrityError) as exc:
            # The row's own values are refused (too long, a NUL, ...): no later flush can store
            # them. It is set aside, once, where the dashboard shows it, rather than tried and
            # logged again on every flush.
            logger.error(
                "journal %s set aside: it can never be stored (%s)", key, type(exc).__name__
            )
            refused.add(key)
            continue
        except DatabaseError as exc:
            # A row the database refuses must not hold up every other message; it stays
            # listed and the minute flush tries it again.
            logger.error("journal %s could not be stored (%s)", key, type(exc).__name__)
            continue
        stored[key] = journal
    return stored, refused


def _stored_state(journal: Journal) -> str:
    # A patient message is final only once stage A has timed it: until then its metric cannot
    # be stored, so it stays listed (an inline LLM answer can settle first).
    timed = not journal.is_patient or journal.total_ms is not None
    return journal.reply_state if timed else f"{journal.reply_state} (untimed)"


@shared_task(
    name=outbox.JOURNAL_FLUSH,
    bind=True,
    # CircuitOpen: the database breaker is open; the flush waits rather than piling on.
    autoretry_for=(OperationalError, InterfaceError, CircuitOpen),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,  # the database comes back; a journal must not be dropped meanwhile
)
def journal_flush(self) -> int:
    """Stage B: store every journaled message not yet stored in its current state (the
    message, the conversation, the reply and its metrics). Retried until the database answers;
    rows are upserted, so running it twice changes nothing.

    One flush runs at a time: concurrent flushes would each store the same journals, doing the
    same work several times over, and wait on each other's row locks.
    A flush that finds another running asks it to look again before it stops, and ends."""
    total = 0
    while True:
        lock = aio.run(_store_call("flush_lock"))
        if lock is None:
            aio.run(_store_call("flush_request"))
            return total
        try:
            total += _flush_until_empty()
            while aio.run(_store_call("flush_requested")):
                total += _flush_until_empty()
        finally:
            aio.run(_store_call("flush_unlock", lock))
        # A flush that found the lock taken between our last look and the unlock left its
        # request for us: look again rather than leave it to beat's minute flush.
        if not aio.run(_store_call("flush_requested")):
            return total


async def _store_call(method: str, *args):
    # The hot store belongs to the event loop it is used on: aio.run's.
    return await getattr(hot_store(), method)(*args)


def _flush_until_empty() -> int:
    """One pass over every listed journal, oldest first, a page at a time."""
    total = offset = 0
    while batch := aio.run(_unflushed(FLUSH_BATCH, offset)):
        # cachalot would only add work here: every table stage B touches is uncachable, yet
        # each query would still be parsed for its tables, in Python, on every flush.
        with database_breaker.guard(), cachalot_disabled():
            flushed, expired, refused = _flush_batch(batch)
        aio.run(_store_call("mark_flushed", flushed, SETTLED))
        aio.run(_store_call("unlist", expired))  # nothing left of them to store
        aio.run(_store_call("set_aside", refused))
        total += len(flushed)
        # Journals not final yet (an answer pending, a reply queued) stay listed ahead of the
        # next page: step over them, so that a page of them cannot hide the newer messages.
        listed = [key for key, _ in batch if key not in expired and key not in refused]
        offset += sum(1 for key in listed if flushed.get(key) not in SETTLED)
        if len(batch) < FLUSH_BATCH:
            break
    return total


@shared_task(name=outbox.OUTBOX_DELIVER, bind=True, max_retries=None)
def outbox_deliver(self, key: str) -> None:
    """Send the queued replies of the conversation that message `key` belongs to, in order."""
    journal = aio.run(_journal(key))
    if journal is None:
        return
    try:
        aio.run(_drain(journal.conversation))
    except (outbox.NotYet, outbox.SendFailed) as exc:
        # A refused reply keeps its place in line, with its backoff, until it is given up.
        aio.run(_note_retry(key, exc.retry_in))
        raise self.retry(countdown=exc.retry_in) from exc


async def _note_retry(key: str, countdown: float) -> None:
    """When this outbox's next try is due: past it (plus a grace) the flush asks again, so a
    retry held by a worker that died is not left to the broker's 10-minute redelivery."""
    await hot_store().journal_update(key, outbox_due_at=time.time() + countdown)


async def _journal(key: str) -> Journal | None:
    return await hot_store().journal(key)


async def _drain(conversation: str) -> int:
    return await outbox.outbox_drain(hot_store(), conversation)


def _answer_values(result, started_at: float) -> dict:
    """What the journal records of an LLM-lane answer (stage B stores it with the metric)."""
    now = time.time()
    values = {
        "reply_text": result.text,
        "reply_state": ReplyState.READY,
        "llm_ms": round(result.llm_ms, 3),
        "llm_model": result.model,
        "llm_prompt_tokens": result.prompt_tokens,
        "llm_completion_tokens": result.completion_tokens,
        "llm_rounds": result.rounds,
        "llm_tools": ",".join(result.tools),
        "llm_error": result.error,
        "llm_handoff": result.handoff,
        "llm_handoff_reason": result.handoff_reason,
        "llm_started_at": started_at,
        "llm_ready_at": now,
    }
    changes = {}
    if result.handoff:  # staff take the conversation over: urgent, or a person was asked for
        changes = {"control": "staff", "control_at": now}
    if result.attention:  # stage B flags the stored conversation (and tells staff)
        changes["attention"] = result.attention
    if changes:
        values["session_changes"] = changes
    return values


@shared_task(
    name=outbox.LLM_ANSWER,
    bind=True,
    autoretry_for=(RedisError, OSError),
    retry_backoff=1,
    retry_backoff_max=10,
    retry_jitter=True,
    max_retries=5,
)
def llm_answer(self, key: str) -> None:
    """The LLM lane: answer the journaled message `key` (instance:message id) within
    settings.LLM_DEADLINE_S, or hand it to staff, and send the answer through the ordered
    outbox. Safe to run twice: only a pending reply is answered, and only one answer is
    written (a transition from pending, conversations.journal)."""
    journal = aio.run(_journal(key))
    state = journal.reply_state if journal else ReplyState.UNDECIDED
    if state != ReplyState.PENDING:
        if state in SENDABLE:
            # Answered, but the run that wrote it may have died before enqueueing the send.
            outbox_deliver.delay(key)
        return
    started_at = journal.llm_started_at or time.time()
    if journal.llm_started_at is None:
        # Should this run die, the next one knows the answer is late through our fault.
        aio.run(_journal_update(key, llm_started_at=started_at))
    result = llm_reply(key, journal=journal)
    if not aio.run(_answer_record(key, journal, _answer_values(result, started_at))):
        return  # another run of this task answered first
    try:
        aio.run(_answer_deliver(key, journal.conversation))
    finally:
        # After the send, not before: stage B stores the answer either way, and the patient
        # does not wait for the flush's publish.
        aio.run(_schedule_flush())


async def _journal_update(key: str, **values) -> None:
    await hot_store().journal_update(key, **values)


async def _answer_record(key: str, journal: Journal, values: dict) -> bool:
    # The hot store belongs to the event loop it is used on: aio.run's.
    return await outbox.answer_record(hot_store(), key, journal, values)


async def _answer_deliver(key: str, conversation: str) -> None:
    await outbox.answer_deliver(hot_store(), key, conversation)


async def _schedule_flush() -> None:
    await outbox.schedule_flush(hot_store())


def _outbox_stalled(journal: Journal) -> bool:
    # A staff message sent from the admin waits in the same outbox as the bot's replies.
    if journal.kind not in (Kind.PATIENT, Kind.STAFF_SEND):
        return False
    if journal.reply_state not in SENDABLE:
        return False
    due = journal.outbox_due_at or journal.received_at or time.time()
    return time.time() - due > OUTBOX_STALL_GRACE_S


def _undecided_for_too_long(journal: Journal) -> bool:
    if not journal.is_patient or journal.reply_state != ReplyState.UNDECIDED:
        return False
    since = journal.late_asked_at or journal.received_at or time.time()
    return time.time() - since > UNDECIDED_AFTER_S


@shared_task
def late_answer(key: str) -> None:
    """Decide and queue the reply of a message whose request died after accepting it."""
    aio.run(_late_answer(key))


async def _late_answer(key: str) -> None:
    store = hot_store()
    journal = await store.journal(key)
    clinic = await clinics.get(journal.channel, journal.instance) if journal else None
    if clinic is None:
        return
    session = await session_state_load(clinic, journal.phone, journal.lid)
    if session is None:
        return  # who is in control is unknown: the sweep asks again after its grace period
    prices, _ = await price_lists.get(clinic.id)
    decision = reply_decide(
        text=journal.text,
        has_media=journal.has_media,
        clinic=clinic,
        session=session,
        prices=prices,
        quotes=bool(journal.quoted_id),
        # A voice note is not transcribed this late (its audio left with the request that
        # died): the patient is asked to type, and staff see the flag.
        voice_unheard=journal.media_kind in VOICE_KINDS and not journal.text,
        now=clock.now(),
    )
    waited_ms = (time.time() - (journal.received_at or time.time())) * 1000
    values = decision.journal_values() | {"total_ms": waited_ms}
    if not await store.transition(key, {ReplyState.UNDECIDED}, **values):
        return  # decided meanwhile: answered once already
    if decision.text:
        await store.session_save(journal.conversation, {echo_field(decision.text): "1"})
    if decision.lane != Lane.NONE:
        await store.outbox_push(journal.conversation, key)
        if decision.lane == Lane.FAST:
            await outbox.enqueue_drain(key)
        else:
            await outbox.enqueue_answer(key, decision.lane)
    await outbox.schedule_flush(store)


# --- a message edited or deleted for everyone (conversations.events) ----------------------------

# While the row waits for stage B, tried again after this long (doubling up to the cap).
CHANGE_RETRY_S = 2
CHANGE_RETRY_MAX_S = 300


@shared_task(
    name=events.MESSAGE_CHANGE_APPLY,
    bind=True,
    autoretry_for=(OperationalError, InterfaceError, CircuitOpen, RedisError, OSError),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,  # the database comes back; a change must not be dropped meanwhile
)
def message_change_apply(self, clinic_id: int, instance: str, message_id: str) -> None:
    """Apply the pending edit or delete of message `message_id` to its stored row. A row not
    stored yet is waited for while its journal waits for stage B; a message whose journal is
    gone and whose row is not stored was never ours: its change is dropped."""
    if change_apply(clinic_id, instance, message_id) != CHANGE_WAITS:
        return
    if not self.request.is_eager:
        countdown = min(CHANGE_RETRY_S * 2**self.request.retries, CHANGE_RETRY_MAX_S)
        raise self.retry(countdown=countdown)
    # Run inline (the embedded default): no countdown to wait out, so stage B stores the
    # journal here and now.
    journal_flush()
    if change_apply(clinic_id, instance, message_id) == CHANGE_WAITS:
        logger.warning("change of message %s waits for a row stage B cannot store", message_id)


CHANGE_APPLIED, CHANGE_WAITS, CHANGE_DROPPED = "applied", "waits", "dropped"


def change_apply(clinic_id: int, instance: str, message_id: str) -> str:
    """One try at applying the pending change: applied (or nothing pending), waits (the row is
    not stored yet, its journal waits for stage B) or dropped (the message was never stored)."""
    key = message_key(instance, message_id)
    change = aio.run(_change_load(key))
    if change is None:
        return CHANGE_APPLIED  # by an earlier run
    # The journal before the row: a journal shrunk or gone meanwhile means the row is stored.
    waiting_for_stage_b = aio.run(_journal(key)) is not None
    try:
        with database_breaker.guard():
            events.change_store(clinic_id=clinic_id, message_id=message_id, change=change)
    except events.RowMissing:
        if waiting_for_stage_b:
            return CHANGE_WAITS
        logger.warning("change of message %s dropped: the message was never stored", key)
        aio.run(_change_done(key, change))
        return CHANGE_DROPPED
    aio.run(_change_done(key, change))
    return CHANGE_APPLIED


async def _change_load(key: str):
    return await events.changes().load(key)


async def _change_done(key: str, change) -> None:
    await events.changes().done(key, change)
