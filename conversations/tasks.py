"""Stage B and the outbox, in Celery. Every task takes ids only (never a phone or a text), reads
its state again, and is safe to run twice."""

import logging
import time

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError

from clinicbot import aio
from conversations import outbox
from conversations.hotstore import hot_store
from conversations.nlu import handoff_reply
from conversations.services import journal_store

logger = logging.getLogger(__name__)

SWEEP_AGE_S = 60
SWEEP_BATCH = 500
FINAL_REPLY_STATES = {"sent", "unknown", "none", "gave_up"}


async def _journal(key: str) -> dict[str, str]:
    return await hot_store().journal(key)


async def _mark_stored(key: str) -> None:
    await hot_store().mark_stored(key)


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
    return True


async def _unstored(cutoff: float) -> list[str]:
    return await hot_store().unstored_before(cutoff, SWEEP_BATCH)


@shared_task(
    bind=True,
    autoretry_for=(OperationalError, InterfaceError, DatabaseError),
    retry_backoff=1,
    retry_backoff_max=60,
    retry_jitter=True,
    max_retries=None,  # the database comes back; a journal must not be dropped meanwhile
)
def message_store(self, key: str) -> None:
    """Stage B: store the journaled message, its reply and metrics; retried until it succeeds."""
    journal = aio.run(_journal(key))
    if not journal:
        logger.error("journal %s has expired before it was stored", key)
        return
    journal_store(journal=journal)
    if journal.get("reply_state") in FINAL_REPLY_STATES:
        aio.run(_mark_stored(key))


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


@shared_task
def llm_answer(key: str) -> None:
    """The LLM lane. Until the LLM adapter lands, the patient gets the hand-off reply (a person
    will answer) and the conversation waits for staff."""
    if not aio.run(_handoff(key)):
        return  # already answered: a retried task must not write a second reply
    message_store.delay(key)
    outbox_deliver.delay(key)


@shared_task
def journal_sweep() -> int:
    """Re-enqueue stage B for journals still unstored after a minute (a lost task, a broker
    hiccup at enqueue time). Runs every minute from beat."""
    keys = aio.run(_unstored(time.time() - SWEEP_AGE_S))
    for key in keys:
        message_store.delay(key)
    if keys:
        logger.info("sweep re-enqueued %d unstored journals", len(keys))
    return len(keys)
