"""Stage B and the outbox, in Celery. Tasks take ids only (never a phone or a text), read their
state again, and are safe to run twice."""

import logging
import time

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from clinicbot import aio
from clinicbot.breaker import CircuitOpen, database_breaker
from conversations import outbox
from conversations.hotstore import hot_store
from conversations.nlu import handoff_reply
from conversations.services import journal_store

logger = logging.getLogger(__name__)

FLUSH_BATCH = 200
FINAL_REPLY_STATES = {"sent", "unknown", "none", "gave_up"}


async def _unflushed(limit: int) -> list[tuple[str, dict[str, str]]]:
    store = hot_store()
    keys = await store.unstored_before(time.time(), limit)
    return list(zip(keys, await store.journals(keys), strict=True))


async def _mark_flushed(flushed: dict[str, str]) -> None:
    """Remember which reply state each journal was stored in; forget the final ones."""
    store = hot_store()
    for key, state in flushed.items():
        await store.journal_update(key, {"stored_state": state})
        if state in FINAL_REPLY_STATES:
            await store.mark_stored(key)


def _flush_batch(batch: list[tuple[str, dict[str, str]]]) -> dict[str, str]:
    flushed = {}
    for key, journal in batch:
        if not journal:
            logger.error("journal %s expired before it was stored", key)
            flushed[key] = "sent"  # nothing left to store; stop listing it
            continue
        state = journal.get("reply_state", "")
        if journal.get("stored_state") == state:
            continue  # stored in this state already; a later change will list it again
        try:
            journal_store(journal=journal)
        except (OperationalError, InterfaceError):
            raise  # the database is unavailable: retry the whole flush later
        except DatabaseError as exc:
            # A row the database refuses must not hold up every other message; it stays
            # listed and the minute flush tries it again.
            logger.error("journal %s could not be stored (%s)", key, type(exc).__name__)
            continue
        flushed[key] = state
    return flushed


@shared_task(
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
    rows are upserted, so running it twice changes nothing."""
    total = 0
    while batch := aio.run(_unflushed(FLUSH_BATCH)):
        with database_breaker.guard():
            flushed = _flush_batch(batch)
        aio.run(_mark_flushed(flushed))
        total += len(flushed)
        if len(batch) < FLUSH_BATCH or not flushed:
            break
    return total


@shared_task(bind=True, max_retries=None)
def outbox_deliver(self, key: str) -> None:
    """Send the queued replies of the conversation that message `key` belongs to, in order."""
    journal = aio.run(_journal(key))
    if not journal:
        return
    try:
        aio.run(_drain(journal["conversation"]))
    except outbox.NotYet:
        raise self.retry(countdown=2) from None
    except outbox.SendFailed as exc:
        # Exponential backoff with a cap: 2, 4, 8 ... 300 s; the reply keeps its place in line.
        raise self.retry(countdown=min(2 ** (self.request.retries + 1), 300)) from exc


async def _journal(key: str) -> dict[str, str]:
    return await hot_store().journal(key)


async def _drain(conversation: str) -> int:
    return await outbox.outbox_drain(hot_store(), conversation)


async def _handoff(key: str) -> bool:
    """Write the hand-off reply for a pending LLM-lane message; False if already answered."""
    store = hot_store()
    journal = await store.journal(key)
    if not journal or journal.get("reply_state") != "pending":
        return False
    text = handoff_reply(journal.get("language") or "en")
    await store.journal_update(key, {"reply_text": text, "reply_state": "ready"})
    await outbox.schedule_flush(store)
    return True


@shared_task
def llm_answer(key: str) -> None:
    """The LLM lane. Until the LLM adapter lands, the patient gets the hand-off reply (a person
    will answer) and the conversation waits for staff."""
    if not aio.run(_handoff(key)):
        return  # already answered: a retried task must not write a second reply
    outbox_deliver.delay(key)
