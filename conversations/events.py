"""What the gateway reports besides a new message: a message its sender edited or deleted for
everyone, and the clinic number's connection to WhatsApp.

An edit or a delete is taken in two steps, so that it is not lost whichever of it and stage B
comes first (stage B creates a message's row from its journal once, and never rewrites it):
1. In the request, in Redis: the change is kept as the message's pending change
   (`cb:ev:{instance}:{message id}`, 7 days, an edited text sealed with the PHI key as a
   journal's is), and written into the message's journal while that is whole (not stored yet,
   or its reply not settled). A reply not written yet is then decided on the edited text: the
   LLM and booking lanes read the journal's text when they run, and a message nobody decided
   yet is decided by a worker from it. A deleted message's reply not written yet is dropped.
2. In a worker (conversations.tasks.message_change_apply): the change is applied to the stored
   row; while the row is not stored yet but its journal waits for stage B, the task tries again.
A delete erases the text and media content, keeps the row as a tombstone (`deleted_at`), and
writes an audit entry that names the row, never its content. An edit of a deleted message
changes nothing.

Answers: accepted once the change is in Redis and its task enqueued; ignored when it is about
a message clinicbot never had (neither its journal nor its row); 503 when Redis or the broker
cannot take it (the gateway's retry is safe: applying a change twice changes nothing more).

A connection change (`connection.update`) is written into the clinic's row in the request (not
the fast lane: no patient waits on it), only when it is newer than the state recorded, so a
report arriving late does not overwrite a later one; the database unreachable, it is a 503.
A drop is recorded for the clinic's staff in the same transaction (notifications), and sent by
Celery after the commit.
"""

import asyncio
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from asgiref.sync import sync_to_async
from celery import current_app
from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.db.models import Q
from redis.exceptions import RedisError

from channels.base import ConnectionChanged, MessageDeleted, MessageEdited
from clinicbot.runtime.breaker import database_breaker
from clinicbot.runtime.redis_client import async_redis
from conversations import outbox
from conversations.directory import STORED_ONCE, ClinicSnapshot, clinics, message_stored
from conversations.hotstore import JOURNAL_TTL_S, hot_store, message_key
from conversations.inbound import Answer, Handled, NotAccepted, UnknownInstance
from conversations.journal import ReplyState
from conversations.models import CONNECTION_DOWN, Clinic, Message
from notifications.services import disconnected_event, staff_events_record
from security import crypto
from security.audit import audit_record
from security.models import AuditAction

logger = logging.getLogger(__name__)

MESSAGE_CHANGE_APPLY = "conversations.tasks.message_change_apply"
UNKNOWN_MESSAGE = "a message clinicbot does not have"
AFTER_DELETE = "an edit of a message deleted for everyone"
OLDER_STATE = "older than the connection state recorded"
CHANGE_TTL_S = JOURNAL_TTL_S
CHANGE_SCOPE = "cb:ev"  # an edited text's associated data: "cb:ev.text"
CONNECTION_WRITE_S = 2.0
# Replies not written yet: a deleted message's is dropped, an edited one's is decided on the
# edited text.
NOT_WRITTEN = frozenset({ReplyState.UNDECIDED, ReplyState.PENDING})


async def event_handle(event: MessageEdited | MessageDeleted | ConnectionChanged) -> Handled:
    """Take an edit, a delete or a connection change. Raises UnknownInstance (no clinic has the
    instance), NotAccepted (Redis, the broker or the database could not take it now)."""
    clinic = await clinics.get(event.channel, event.instance)
    if clinic is None:
        raise UnknownInstance(event.instance)
    if isinstance(event, ConnectionChanged):
        return await _connection_record(clinic, event)
    return await _message_change(clinic, event)


# --- edits and deletes: the request's part ------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PendingChange:
    """A message's change not yet applied to its row. The times are kept as written (strings),
    so that the worker can tell whether the change moved on while it applied it."""

    text: str = ""
    edited_at: str = ""
    deleted_at: str = ""

    @property
    def deleted(self) -> bool:
        return bool(self.deleted_at)


async def _message_change(clinic: ClinicSnapshot, event: MessageEdited | MessageDeleted):
    key = message_key(event.instance, event.message_id)
    store = hot_store()
    deleting = isinstance(event, MessageDeleted)
    try:
        journal = await store.journal(key)
        if journal is None and not await _stored_or_unknown(clinic, event.message_id):
            return Handled(Answer.IGNORED, UNKNOWN_MESSAGE)
        if not await changes().save(key, None if deleting else event.text):
            return Handled(Answer.IGNORED, AFTER_DELETE)
        if journal is not None:
            await _journal_change(store, key, None if deleting else event.text)
    except (RedisError, OSError) as exc:
        raise NotAccepted(type(exc).__name__) from exc
    await _enqueue_apply(clinic.id, event.instance, event.message_id)
    return Handled(Answer.ACCEPTED)


async def _stored_or_unknown(clinic: ClinicSnapshot, message_id: str) -> bool:
    """Whether the message is stored; True when the database cannot say now: the change is
    taken, and the worker finds out (it drops a change whose message it never finds)."""
    try:
        return await message_stored(clinic, message_id)
    except (TimeoutError, DatabaseError) as exc:
        logger.warning(
            "message lookup failed (%s); change taken for the worker", type(exc).__name__
        )
        return True


async def _journal_change(store, key: str, text: str | None) -> None:
    """The change in a whole journal (a shrunk one is stored and settled: only its row changes).
    A deleted message's reply not written yet is not written; the outbox is asked to move past
    it at once rather than when the conversation's next reply comes."""
    if text is not None:
        await store.journal_update(key, text=text)
        return
    await store.journal_update(key, text="", media_content="")
    if await store.transition(key, NOT_WRITTEN, reply_state=ReplyState.NONE):
        await outbox.enqueue_drain(key)
    await outbox.schedule_flush(store)


def _apply_blocking(args: list) -> None:
    tasks = current_app.tasks
    if MESSAGE_CHANGE_APPLY not in tasks:
        current_app.loader.import_default_modules()  # see conversations.outbox._task
    task = current_app.tasks[MESSAGE_CHANGE_APPLY]
    try:
        task.apply_async(args=args)
    finally:
        if task.app.conf.task_always_eager:
            connection.close()  # the task ran in this thread: hand its connection back


async def _enqueue_apply(clinic_id: int, instance: str, message_id: str) -> None:
    """Ask a worker to apply the change to the row. A publish that fails is a 503: the pending
    change stays in Redis, and the gateway's retry enqueues it again."""
    try:
        await asyncio.to_thread(_apply_blocking, [clinic_id, instance, message_id])
    except Exception as exc:  # the broker unreachable, or the task's own error when inline
        raise NotAccepted(type(exc).__name__) from exc


# --- the pending changes, in Redis (or in memory for the embedded default) ----------------------

# KEYS: change; ARGV: ttl, now, "delete" or the sealed edited text. 0: an edit refused, the
# message is deleted.
SAVE_SCRIPT = """
if ARGV[3] == 'delete' then
  redis.call('HDEL', KEYS[1], 'text')
  redis.call('HSET', KEYS[1], 'deleted_at', ARGV[2])
else
  if redis.call('HEXISTS', KEYS[1], 'deleted_at') == 1 then
    return 0
  end
  redis.call('HSET', KEYS[1], 'text', ARGV[3], 'edited_at', ARGV[2])
end
redis.call('EXPIRE', KEYS[1], ARGV[1])
return 1
"""

# KEYS: change; ARGV: edited_at, deleted_at as applied. Drops the change unless a newer one came.
DONE_SCRIPT = """
local edited = redis.call('HGET', KEYS[1], 'edited_at') or ''
local deleted = redis.call('HGET', KEYS[1], 'deleted_at') or ''
if edited == ARGV[1] and deleted == ARGV[2] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


def _seal(text: str) -> str:
    return crypto.encrypt(text, table=CHANGE_SCOPE, column="text") if text else ""


def _open(token: str) -> str:
    return crypto.decrypt(token, table=CHANGE_SCOPE, column="text") if token else ""


def _now() -> str:
    return repr(time.time())


class RedisChanges:
    def __init__(self, client):
        self.redis = client
        self._save = client.register_script(SAVE_SCRIPT)
        self._done = client.register_script(DONE_SCRIPT)

    async def save(self, key: str, text: str | None) -> bool:
        """Keep an edit (`text`) or a delete (None); False for an edit of a deleted message."""
        args = [CHANGE_TTL_S, _now(), "delete" if text is None else _seal(text)]
        return bool(await self._save(keys=[f"cb:ev:{key}"], args=args))

    async def load(self, key: str) -> PendingChange | None:
        raw = await self.redis.hgetall(f"cb:ev:{key}")
        return _change_of({_text(k): _text(v) for k, v in raw.items()})

    async def done(self, key: str, change: PendingChange) -> None:
        await self._done(keys=[f"cb:ev:{key}"], args=[change.edited_at, change.deleted_at])


class MemoryChanges:
    """The embedded default's twin (one process; expiry not modelled, as in its hot store)."""

    def __init__(self):
        self._lock = threading.Lock()
        self.records: dict[str, dict[str, str]] = {}

    async def save(self, key, text):
        with self._lock:
            record = self.records.setdefault(key, {})
            if text is None:
                record.pop("text", None)
                record["deleted_at"] = _now()
            elif "deleted_at" in record:
                return False
            else:
                record |= {"text": _seal(text), "edited_at": _now()}
            return True

    async def load(self, key):
        with self._lock:
            return _change_of(dict(self.records.get(key, {})))

    async def done(self, key, change):
        with self._lock:
            record = self.records.get(key, {})
            if (record.get("edited_at", ""), record.get("deleted_at", "")) == (
                change.edited_at,
                change.deleted_at,
            ):
                self.records.pop(key, None)


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _change_of(raw: dict[str, str]) -> PendingChange | None:
    if not raw:
        return None
    return PendingChange(
        text=_open(raw.get("text", "")),
        edited_at=raw.get("edited_at", ""),
        deleted_at=raw.get("deleted_at", ""),
    )


_memory_changes = MemoryChanges()


def changes():
    """The pending changes' store for the running event loop (as conversations.hotstore's)."""
    if not settings.REDIS_URL:
        return _memory_changes
    return RedisChanges(async_redis())


# --- edits and deletes: the worker's part --------------------------------------------------------


class RowMissing(Exception):
    """The message's row is not stored (yet)."""


def _time(stamp: str) -> datetime:
    return datetime.fromtimestamp(float(stamp), tz=UTC)


@transaction.atomic
def change_store(*, clinic_id: int, message_id: str, change: PendingChange) -> None:
    """Apply the change to the message's row (a patient's message or a staff message WhatsApp
    delivered). Raises RowMissing. Applying it again changes nothing; one audit entry per
    delete."""
    row = (
        Message.objects.select_for_update()
        .filter(STORED_ONCE, clinic_id=clinic_id, wa_message_id=message_id)
        .first()
    )
    if row is None:
        raise RowMissing(message_id)
    if row.deleted_at is not None:
        return  # a tombstone stays one
    if change.deleted:
        _tombstone(row, _time(change.deleted_at))
    elif change.edited_at and row.edited_at != _time(change.edited_at):
        row.text, row.edited_at = change.text, _time(change.edited_at)
        row.save(update_fields=["text", "edited_at"])


def _tombstone(row: Message, at: datetime) -> None:
    row.text, row.media_content, row.deleted_at = "", "", at
    row.save(update_fields=["text", "media_content", "deleted_at"])
    # Who deleted it is the sender, not a user of clinicbot: "system" records what it did.
    audit_record(
        actor="system",
        action=AuditAction.DELETE_MESSAGE,
        object_type="message",
        object_id=str(row.pk),
        details={"by": "sender", "sender": "staff" if row.from_staff else "patient"},
        clinic_id=row.clinic_id,
    )


# --- the clinic's connection --------------------------------------------------------------------


def _connection_write(clinic_id: int, event: ConnectionChanged, at: datetime) -> bool:
    """Record the state unless a later one is recorded already; True when it was recorded.
    A number that goes down tells staff (notifications), once, sent after the commit."""
    try:
        newest = Q(connection_changed_at__isnull=True) | Q(connection_changed_at__lte=at)
        with transaction.atomic():
            was = (
                Clinic.objects.select_for_update()
                .filter(pk=clinic_id)
                .values_list("connection_state", "connection_changed_at")
                .first()
            )
            recorded = bool(
                Clinic.objects.filter(newest, pk=clinic_id).update(
                    connection_state=event.state[:12],
                    connection_reason=event.reason,
                    connection_changed_at=at,
                )
            )
            if recorded and event.state in CONNECTION_DOWN and _was_up(was, at):
                staff_events_record(events=[disconnected_event(clinic_id, at)])
        return recorded
    finally:
        connection.close()  # back to the pool: no request_finished reaches this thread


def _was_up(was: tuple[str, datetime | None] | None, at: datetime) -> bool:
    """Whether this report starts a drop. The gateway cycles close -> connecting -> close while
    it tries to reconnect: that is one drop, until the number is open again. A redelivered
    report of the drop (same time) is the same event: its key says so."""
    if was is None:
        return False
    state, changed_at = was
    return state in ("open", "") or changed_at == at


_connection_write_async = sync_to_async(_connection_write, thread_sensitive=False)


async def _connection_record(clinic: ClinicSnapshot, event: ConnectionChanged) -> Handled:
    # The gateway's own time when the event carries it; else when it arrived (reports of one
    # instance come one after the other, in order).
    at = datetime.fromtimestamp(event.at or time.time(), tz=UTC)
    try:
        async with database_breaker.aguard():
            recorded = await asyncio.wait_for(
                _connection_write_async(clinic.id, event, at), CONNECTION_WRITE_S
            )
    except (TimeoutError, DatabaseError) as exc:
        raise NotAccepted(type(exc).__name__) from exc
    if not recorded:
        return Handled(Answer.IGNORED, OLDER_STATE)
    if event.state in CONNECTION_DOWN:
        logger.warning(
            "instance %s disconnected (%s, %s)", event.instance, event.state, event.reason
        )
    return Handled(Answer.ACCEPTED)
