"""Staff control holds through a database outage: when the session copy in Redis has expired and
the database cannot say who is in control, the bot does not answer, nothing is lost, and no
guessed `control=bot` is cached; once the database is back the message is stored and decided
by what the database says."""

import asyncio
import time
from contextlib import asynccontextmanager, contextmanager
from datetime import UTC, datetime

import pytest
from django.db import connections

from clinicbot.celery import app as celery_app
from clinicbot.runtime import async_db
from clinicbot.runtime.breaker import database_breaker
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.models import ConversationSession, Message
from conversations.tasks import journal_flush
from conversations.tests.conftest import PATIENT, post_webhook, redis_commands, text_message
from conversations.tests.test_webhook_breaker import open_the_circuit
from security.blind_index import blind_index
from testing.fault_proxy import FaultProxy

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]
OTHER_PATIENT = "79990000077"


@contextmanager
def tasks_inline():
    # Not for the whole test: while the database is down, an inline flush would retry inline.
    eager = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = True
    try:
        yield
    finally:
        celery_app.conf.task_always_eager = eager


@asynccontextmanager
async def circuit_open():
    open_the_circuit()
    yield
    database_breaker.reset()


@asynccontextmanager
async def database_refusing():
    """The request path's database lookups go through a proxy that refuses every connection."""
    database = connections["default"].settings_dict
    saved = database["HOST"], database["PORT"]
    with FaultProxy(database["HOST"] or "127.0.0.1", int(database["PORT"] or 5432)) as proxy:
        proxy.refuse(True)
        database["HOST"], database["PORT"] = "127.0.0.1", str(proxy.port)
        await async_db.close()  # this event loop's pool: the next lookup opens a new one
        try:
            yield
        finally:
            database["HOST"], database["PORT"] = saved
            await async_db.close()
            database_breaker.reset()


OUTAGES = {"circuit open": circuit_open, "database refusing connections": database_refusing}


def caches_bot_control(command: str, conversation: str) -> bool:
    """A Redis command (as MONITOR shows it) that writes control=bot into the session copy."""
    return f'"cb:s:{conversation}"' in command and '"control" "bot"' in command


@pytest.mark.timeout(60)
@pytest.mark.parametrize("outage", OUTAGES.values(), ids=OUTAGES.keys())
async def test_a_conversation_staff_took_over_gets_no_bot_reply_while_the_database_is_down(
    async_client, clinic, outbox, outage
):
    await post_webhook(async_client, text_message("Здравствуйте", phone=OTHER_PATIENT))
    assert len(outbox) == 1  # the clinic is in the process's cache now
    await ConversationSession.objects.acreate(
        clinic=clinic,
        patient_phone=PATIENT,
        patient_phone_index=blind_index(PATIENT),
        control=ConversationSession.Control.STAFF,
        control_changed_at=datetime.now(tz=UTC),
    )
    conversation = conversation_key("smile-main", PATIENT)
    # No session copy in Redis (it lasts 5 minutes), and the database does not answer.
    assert not await hot_store().redis.exists(f"cb:s:{conversation}")
    body = text_message("Сколько стоит пломба?", message_id="WHILE-DB-DOWN")
    with redis_commands() as commands:
        async with outage():
            response = await post_webhook(async_client, body)
            assert response.json() == {"status": "accepted"}
            assert len(outbox) == 1  # no bot reply
        assert not await Message.objects.filter(wa_message_id="WHILE-DB-DOWN").aexists()

        # The database is back: stage B stores the message; the sweep that decides a reply
        # left undecided (its request could not) reads control from the database.
        key = message_key("smile-main", "WHILE-DB-DOWN")
        await hot_store().journal_update(key, received_at=time.time() - 60)
        with tasks_inline():  # the sweep's late answer runs here
            await asyncio.to_thread(journal_flush.apply)
            await asyncio.to_thread(journal_flush.apply)
    stored = await Message.objects.aget(wa_message_id="WHILE-DB-DOWN")
    assert stored.lane == "none"
    assert not await Message.objects.filter(reply_to=stored).aexists()
    assert len(outbox) == 1
    assert [c for c in commands if caches_bot_control(c, conversation)] == []
    session = await ConversationSession.objects.aget(patient_phone_index=blind_index(PATIENT))
    assert session.control == ConversationSession.Control.STAFF
