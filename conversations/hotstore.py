"""The request path's state, in Redis: de-duplication, the inbound journal, conversation turns,
session state and the ordered outbox. Nothing here touches the database.

Per inbound message (instance + WhatsApp id):
  cb:seen:{m}     SET NX, 48 h: the first delivery wins; redeliveries are duplicates.
  cb:j:{m}        hash, 7 days: the message's journal (conversations.journal: everything stage B
                  stores, and the reply's state; its PHI fields sealed with the PHI key). Once
                  stage B stored it with its reply settled, it is shrunk to its reply's state.
                  `cb:unstored` (sorted by time) lists journals not yet in the database, so a
                  sweep can re-enqueue any whose task was lost.
                  `cb:unstorable` (sorted by time) lists those stage B set aside because the
                  database refuses their values; the dashboard shows them until they expire.
Per conversation (instance + phone):
  cb:c:{c}:ticket INCR at acceptance: the arrival order.
  cb:c:{c}:served the last ticket whose turn is over; ticket t goes when served >= t - 1.
  cb:c:{c}:outbox journal ids whose replies wait to be sent, in order (see conversations.outbox).
  cb:c:{c}:held   set, with a TTL, by a turn that will take long (transcribing a voice note): the
                  next message waits for it that long rather than the usual few seconds.
  cb:s:{c}        hash, 5 min: the session state the reply depends on (control, status, language).
Per patient LID (instance + LID):
  cb:lid:{l}      90 days: the phone a message named beside this LID (sealed), so that a later
                  message carrying only the LID joins the phone's conversation. Stage B writes it.

`MemoryHotStore` is the embedded default's single-process twin with the same semantics.
"""

import contextlib
import hmac
import threading
import time
import weakref
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from django.conf import settings
from redis.exceptions import LockError

from clinicbot.runtime.redis_client import async_redis
from conversations import journal as journals
from conversations.journal import Journal, ReplyState
from security import crypto

SEEN_TTL_S = 48 * 3600
JOURNAL_TTL_S = 7 * 24 * 3600
TURN_TTL_S = 24 * 3600
SESSION_TTL_S = 5 * 60
UNSTORED = "cb:unstored"
UNSTORABLE = "cb:unstorable"
FLUSH_LOCK = "cb:flush:lock"
FLUSH_AGAIN = "cb:flush:again"
FLUSH_LOCK_S = 120  # longer than a flush takes; a dead holder's lock expires after it
FLUSH_CLAIM = "cb:flush"

ACCEPT_SCRIPT = """
-- KEYS: seen, journal, ticket, served, session, unstored, price version, outbox
-- ARGV: seen_ttl, journal_ttl, turn_ttl, now, member, take_ticket, ticket field, field, value...
-- A journal outlives the seen key: one still here was accepted before, past the seen key's TTL.
if redis.call('EXISTS', KEYS[2]) == 1 then
  return false
end
if not redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return false
end
redis.call('HSET', KEYS[2], unpack(ARGV, 8))
redis.call('EXPIRE', KEYS[2], ARGV[2])
redis.call('ZADD', KEYS[6], ARGV[4], ARGV[5])
local ticket = 0
if ARGV[6] == '1' then
  ticket = redis.call('INCR', KEYS[3])
  redis.call('HSET', KEYS[2], ARGV[7], ticket)
  redis.call('EXPIRE', KEYS[3], ARGV[3])
  redis.call('EXPIRE', KEYS[4], ARGV[3])
end
return {ticket, redis.call('HGETALL', KEYS[5]), redis.call('GET', KEYS[7]) or '0',
        tonumber(redis.call('GET', KEYS[4]) or '0'), redis.call('LLEN', KEYS[8])}
"""

FINISH_SCRIPT = """
-- KEYS: journal, served, flush; ARGV: ticket, turn_ttl, flush_ms ('always' or ms), field, value...
-- Records the outcome, ends the turn (moving `served` forward only) and claims the stage B flush
-- window: returns 1 when the caller should enqueue a flush.
if #ARGV > 3 then
  redis.call('HSET', KEYS[1], unpack(ARGV, 4))
end
local served = tonumber(redis.call('GET', KEYS[2]) or '0')
if served < tonumber(ARGV[1]) then
  redis.call('SET', KEYS[2], ARGV[1], 'EX', ARGV[2])
end
if ARGV[3] == 'always' then
  return 1
end
if redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[3]) then
  return 1
end
return 0
"""


# KEYS: journal; ARGV: field, value, ... Writes only into a whole journal: one that expired must
# not come back as a stray hash with no expiry, nor one shrunk once stored grow again.
UPDATE_SCRIPT = """
if redis.call('HEXISTS', KEYS[1], 'message_id') == 0 then
  return 0
end
return redis.call('HSET', KEYS[1], unpack(ARGV))
"""


# KEYS: journal; ARGV: stored state, field to keep, ... Records the state a journal was stored in
# and sheds every field but the kept ones (conversations.journal.KEPT_ONCE_STORED).
SHRINK_SCRIPT = """
if redis.call('EXISTS', KEYS[1]) == 0 then
  return 0
end
redis.call('HSET', KEYS[1], 'stored_state', ARGV[1])
local keep = {}
for i = 2, #ARGV do
  keep[ARGV[i]] = true
end
for _, name in ipairs(redis.call('HKEYS', KEYS[1])) do
  if not keep[name] then
    redis.call('HDEL', KEYS[1], name)
  end
end
return 1
"""


def message_key(instance: str, message_id: str) -> str:
    return f"{instance}:{message_id}"


def conversation_key(instance: str, phone: str) -> str:
    """A conversation's name in Redis: keyed by a hash, so no phone number shows in key names,
    MONITOR output or task arguments."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{instance}:{phone}".encode(), "sha256")
    return f"{instance}:{digest.hexdigest()[:24]}"


LID_TTL_S = 90 * 24 * 3600
LID_SCOPE = "cb:lid"  # the associated data of a sealed phone


def lid_key(instance: str, lid: str) -> str:
    """Where a LID's phone is kept: keyed by a hash, like a conversation."""
    digest = hmac.new(settings.SECRET_KEY.encode(), f"{instance}:{lid}".encode(), "sha256")
    return f"cb:lid:{instance}:{digest.hexdigest()[:24]}"


def _sealed_phone(phone: str) -> str:
    return crypto.encrypt(phone, table=LID_SCOPE, column="phone")


def _opened_phone(token: str | bytes | None) -> str:
    if not token:
        return ""
    return crypto.decrypt(_text(token), table=LID_SCOPE, column="phone")


@dataclass(frozen=True, slots=True)
class Accepted:
    ticket: int
    session: dict[str, str] = field(default_factory=dict)
    # The clinic's price-list version (pricing.cache), read in the same round trip; None when
    # there is no Redis to hold one.
    price_version: str | None = None
    # The conversation's turn state at acceptance: the last served ticket and queued replies.
    served: int = 0
    waiting: int = 0


def _strings(mapping: dict[str, object]) -> dict[str, str]:
    return {name: "" if value is None else str(value) for name, value in mapping.items()}


def _flat(fields: Mapping[str, str]) -> list[str]:
    """Encoded fields (journal.changes) as the flat argument list of a Lua script."""
    return [item for pair in fields.items() for item in pair]


class RedisHotStore:
    def __init__(self, client):
        self.redis = client
        self._accept = client.register_script(ACCEPT_SCRIPT)
        self._finish = client.register_script(FINISH_SCRIPT)
        self._transition = client.register_script(journals.TRANSITION_SCRIPT)
        self._update = client.register_script(UPDATE_SCRIPT)
        self._shrink = client.register_script(SHRINK_SCRIPT)

    async def accept(
        self,
        *,
        message: str,
        conversation: str,
        journal: Mapping[str, object],
        prices_key: str,
        take_ticket: bool = True,
    ) -> Accepted | None:
        """Journal a first delivery (`journal`: values of conversations.journal.Journal's
        fields) and take its turn ticket; None for a duplicate."""
        keys = [
            f"cb:seen:{message}",
            f"cb:j:{message}",
            f"cb:c:{conversation}:ticket",
            f"cb:c:{conversation}:served",
            f"cb:s:{conversation}",
            UNSTORED,
            prices_key,
            f"cb:c:{conversation}:outbox",
        ]
        args = [
            SEEN_TTL_S,
            JOURNAL_TTL_S,
            TURN_TTL_S,
            time.time(),
            message,
            "1" if take_ticket else "0",
            journals.TICKET,
            *_flat(journals.changes(**journal)),
        ]
        result = await self._accept(keys=keys, args=args)
        if not result:
            return None
        ticket, session, version, served, waiting = result
        return Accepted(int(ticket), _decode_pairs(session), _text(version), served, waiting)

    async def turn_state(self, conversation: str) -> tuple[int, int, float]:
        """(last served ticket, replies waiting in the outbox, seconds the turn in progress
        said it may still take) in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        pipe.get(f"cb:c:{conversation}:served")
        pipe.llen(f"cb:c:{conversation}:outbox")
        pipe.pttl(f"cb:c:{conversation}:held")
        served, waiting, held_ms = await pipe.execute()
        return int(served or 0), int(waiting), max(held_ms, 0) / 1000

    async def turn_hold(self, conversation: str, seconds: float) -> None:
        """Say that the turn in progress may take up to `seconds` more (conversations.inbound);
        0: it will not."""
        if seconds > 0:
            await self.redis.set(f"cb:c:{conversation}:held", "1", px=int(seconds * 1000))
        else:
            await self.redis.delete(f"cb:c:{conversation}:held")

    async def finish(
        self, conversation: str, message: str, ticket: int, flush_ms: int | None, **values
    ) -> bool:
        """Record `values` in the journal and end the turn, in one round trip; True when the
        caller should enqueue a stage B flush (flush_ms None: always)."""
        keys = [f"cb:j:{message}", f"cb:c:{conversation}:served", FLUSH_CLAIM]
        fields = _flat(journals.changes(**values))
        args = [ticket, TURN_TTL_S, "always" if flush_ms is None else flush_ms, *fields]
        return bool(await self._finish(keys=keys, args=args))

    async def claim_flush(self, flush_ms: int | None) -> bool:
        if flush_ms is None:
            return True
        return bool(await self.redis.set(FLUSH_CLAIM, "1", nx=True, px=flush_ms))

    async def decision_save(self, conversation: str, message: str, session: dict, **values) -> None:
        """The session's new state and the journal's decision, in one round trip."""
        pipe = self.redis.pipeline(transaction=False)
        if session:  # HSET refuses an empty mapping (a silent decision may change nothing)
            pipe.hset(f"cb:s:{conversation}", mapping=_strings(session))
            pipe.expire(f"cb:s:{conversation}", SESSION_TTL_S)
        pipe.hset(f"cb:j:{message}", mapping=journals.changes(**values))
        await pipe.execute()

    async def session_save(self, conversation: str, state: dict) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.hset(f"cb:s:{conversation}", mapping=_strings(state))
        pipe.expire(f"cb:s:{conversation}", SESSION_TTL_S)
        await pipe.execute()

    async def journal_update(self, message: str, **values) -> None:
        fields = _flat(journals.changes(**values))
        await self._update(keys=[f"cb:j:{message}"], args=fields)

    async def lid_phone(self, instance: str, lid: str) -> str:
        """The phone learned for this LID, or ""."""
        return _opened_phone(await self.redis.get(lid_key(instance, lid)))

    async def sessions_forget(self, conversations: Iterable[str]) -> None:
        """Drop these conversations' session state: the next message reads it from the
        database."""
        names = [f"cb:s:{conversation}" for conversation in conversations]
        if names:
            await self.redis.delete(*names)

    async def lid_pairs_save(self, pairs: Iterable[tuple[str, str, str]]) -> None:
        """Remember (instance, lid, phone) pairs."""
        pipe = self.redis.pipeline(transaction=False)
        for instance, lid, phone in pairs:
            pipe.set(lid_key(instance, lid), _sealed_phone(phone), ex=LID_TTL_S)
        await pipe.execute()

    async def journal(self, message: str) -> Journal | None:
        return journals.decode(await self.redis.hgetall(f"cb:j:{message}"))

    async def transition(self, message: str, from_states: Iterable[ReplyState], **values) -> bool:
        """Write `values` if the reply is in one of `from_states`, atomically: of two workers
        racing (a redelivered task, a retry), exactly one moves it. False for a journal that
        is gone."""
        args = journals.transition_args(from_states, journals.changes(**values))
        return bool(await self._transition(keys=[f"cb:j:{message}"], args=args))

    async def outbox_push(self, conversation: str, message: str) -> None:
        pipe = self.redis.pipeline(transaction=False)
        pipe.rpush(f"cb:c:{conversation}:outbox", message)
        pipe.expire(f"cb:c:{conversation}:outbox", JOURNAL_TTL_S)
        await pipe.execute()

    async def outbox_head(self, conversation: str) -> str | None:
        head = await self.redis.lindex(f"cb:c:{conversation}:outbox", 0)
        return head.decode() if head is not None else None

    async def outbox_remove(self, conversation: str, message: str) -> None:
        await self.redis.lrem(f"cb:c:{conversation}:outbox", 1, message)

    async def mark_flushed(self, states: dict[str, str], final: Iterable[str]) -> None:
        """Record the reply state each journal was stored in; stop listing the final ones and
        shrink them to their reply's state (stored, their replies settled: nothing reads the
        rest again)."""
        pipe = self.redis.pipeline(transaction=False)
        for message, state in states.items():
            if state in final:
                pipe.zrem(UNSTORED, message)
                args = [state, *journals.KEPT_ONCE_STORED]
                await self._shrink(keys=[f"cb:j:{message}"], args=args, client=pipe)
            else:  # into a whole journal only: one that expired meanwhile must not come back
                fields = _flat(journals.changes(stored_state=state))
                await self._update(keys=[f"cb:j:{message}"], args=fields, client=pipe)
        await pipe.execute()

    async def unlist(self, messages: Iterable[str]) -> None:
        """Stop listing journals as unstored (they expired: nothing is left to store), and drop
        what a late write may have left of them."""
        if messages := list(messages):
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(UNSTORED, *messages)
            pipe.delete(*(f"cb:j:{message}" for message in messages))
            await pipe.execute()

    async def set_aside(self, messages: Iterable[str]) -> None:
        """Stop listing journals as unstored and list them as unstorable: the database refuses
        their values. They stay until their TTL, for the dashboard."""
        if messages := list(messages):
            now = time.time()
            pipe = self.redis.pipeline(transaction=False)
            pipe.zrem(UNSTORED, *messages)
            pipe.zadd(UNSTORABLE, dict.fromkeys(messages, now))
            pipe.zremrangebyscore(UNSTORABLE, "-inf", now - JOURNAL_TTL_S)
            await pipe.execute()

    async def set_aside_since(self, since: float) -> list[tuple[str, Journal | None]]:
        """The journals set aside since `since`, latest first (None: expired meanwhile)."""
        members = [_text(m) for m in await self.redis.zrevrangebyscore(UNSTORABLE, "+inf", since)]
        return list(zip(members, await self.journals(members), strict=True))

    async def flush_lock(self):
        """One flush at a time across the workers (redis-py's token lock, expiring in case its
        holder dies); None when another flush holds it."""
        lock = self.redis.lock(FLUSH_LOCK, timeout=FLUSH_LOCK_S, blocking=False)
        return lock if await lock.acquire() else None

    async def flush_unlock(self, lock) -> None:
        with contextlib.suppress(LockError):  # it expired: another flush may hold it now
            await lock.release()

    async def flush_request(self) -> None:
        """Ask the flush in progress to look again before it stops."""
        await self.redis.set(FLUSH_AGAIN, "1", ex=FLUSH_LOCK_S)

    async def flush_requested(self) -> bool:
        return bool(await self.redis.getdel(FLUSH_AGAIN))

    async def unstored_before(self, cutoff: float, limit: int, offset: int = 0) -> list[str]:
        members = await self.redis.zrangebyscore(UNSTORED, "-inf", cutoff, start=offset, num=limit)
        return [m.decode() for m in members]

    async def journals(self, messages: list[str]) -> list[Journal | None]:
        pipe = self.redis.pipeline(transaction=False)
        for message in messages:
            pipe.hgetall(f"cb:j:{message}")
        return [journals.decode(mapping) for mapping in await pipe.execute()]


def _text(value) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)


def _decode_pairs(flat: list) -> dict[str, str]:
    items = [_text(x) for x in flat]
    return dict(zip(items[::2], items[1::2], strict=True))


class MemoryHotStore:
    """The embedded default's store: one process, so a lock stands in for Redis's atomicity.
    Expiry is not modelled; an embedded run is short-lived."""

    def __init__(self):
        self._lock = threading.Lock()
        self.seen: set[str] = set()
        self.records: dict[str, dict[str, str]] = {}
        self.tickets: dict[str, int] = {}
        self.served: dict[str, int] = {}
        self.sessions: dict[str, dict[str, str]] = {}
        self.outboxes: dict[str, list[str]] = {}
        self.unstored: dict[str, float] = {}
        self.unstorable: dict[str, float] = {}
        self.lids: dict[str, str] = {}
        self.held: dict[str, float] = {}
        self._flush_lock = threading.Lock()
        self.flush_again = False

    async def accept(self, *, message, conversation, journal, prices_key, take_ticket=True):
        with self._lock:
            if message in self.seen:
                return None
            self.seen.add(message)
            self.records[message] = journals.changes(**journal)
            self.unstored[message] = time.time()
            ticket = 0
            if take_ticket:
                ticket = self.tickets[conversation] = self.tickets.get(conversation, 0) + 1
                self.records[message][journals.TICKET] = str(ticket)
            return Accepted(
                ticket,
                dict(self.sessions.get(conversation, {})),
                None,
                self.served.get(conversation, 0),
                len(self.outboxes.get(conversation, [])),
            )

    async def turn_state(self, conversation):
        with self._lock:
            held = max(self.held.get(conversation, 0.0) - time.monotonic(), 0.0)
            return self.served.get(conversation, 0), len(self.outboxes.get(conversation, [])), held

    async def turn_hold(self, conversation, seconds):
        with self._lock:
            self.held[conversation] = time.monotonic() + seconds

    async def finish(self, conversation, message, ticket, flush_ms, **values):
        with self._lock:
            if values:
                self.records.setdefault(message, {}).update(journals.changes(**values))
            self.served[conversation] = max(self.served.get(conversation, 0), ticket)
        return True  # one process: no window to share, and flushing is cheap

    async def claim_flush(self, flush_ms):
        return True

    async def decision_save(self, conversation, message, session, **values):
        await self.session_save(conversation, session)
        await self.journal_update(message, **values)

    async def session_save(self, conversation, state):
        with self._lock:
            self.sessions.setdefault(conversation, {}).update(_strings(state))

    async def journal_update(self, message, **values):
        with self._lock:
            if "message_id" in self.records.get(message, {}):
                self.records[message].update(journals.changes(**values))

    async def lid_phone(self, instance, lid):
        return _opened_phone(self.lids.get(lid_key(instance, lid)))

    async def sessions_forget(self, conversations):
        with self._lock:
            for conversation in conversations:
                self.sessions.pop(conversation, None)

    async def lid_pairs_save(self, pairs):
        with self._lock:
            for instance, lid, phone in pairs:
                self.lids[lid_key(instance, lid)] = _sealed_phone(phone)

    async def journal(self, message):
        with self._lock:
            return journals.decode(dict(self.records.get(message, {})))

    async def transition(self, message, from_states, **values):
        fields = journals.changes(**values)
        with self._lock:
            journal = self.records.get(message, {})
            if not journals.transition_allowed(journal, from_states):
                return False
            journal.update(fields)
            return True

    async def outbox_push(self, conversation, message):
        with self._lock:
            self.outboxes.setdefault(conversation, []).append(message)

    async def outbox_head(self, conversation):
        with self._lock:
            box = self.outboxes.get(conversation, [])
            return box[0] if box else None

    async def outbox_remove(self, conversation, message):
        with self._lock:
            box = self.outboxes.get(conversation, [])
            if message in box:
                box.remove(message)

    async def mark_flushed(self, states, final):
        with self._lock:
            for message, state in states.items():
                if state in final:
                    self.unstored.pop(message, None)
                record = self.records.get(message)
                if record is None:
                    continue  # expired: it must not come back
                record.update(journals.changes(stored_state=state))
                if state in final:
                    kept = journals.KEPT_ONCE_STORED
                    self.records[message] = {k: v for k, v in record.items() if k in kept}

    async def unlist(self, messages):
        with self._lock:
            for message in messages:
                self.unstored.pop(message, None)
                self.records.pop(message, None)

    async def set_aside(self, messages):
        with self._lock:
            for message in messages:
                self.unstored.pop(message, None)
                self.unstorable[message] = time.time()

    async def set_aside_since(self, since):
        with self._lock:
            members = sorted(
                (m for m, at in self.unstorable.items() if at >= since),
                key=self.unstorable.__getitem__,
                reverse=True,
            )
        return list(zip(members, await self.journals(members), strict=True))

    async def flush_lock(self):
        return self._flush_lock if self._flush_lock.acquire(blocking=False) else None

    async def flush_unlock(self, lock):
        lock.release()

    async def flush_request(self):
        self.flush_again = True

    async def flush_requested(self):
        again, self.flush_again = self.flush_again, False
        return again

    async def unstored_before(self, cutoff, limit, offset=0):
        with self._lock:
            return [m for m, at in self.unstored.items() if at <= cutoff][offset : offset + limit]

    async def journals(self, messages):
        with self._lock:
            return [journals.decode(dict(self.records.get(message, {}))) for message in messages]


_memory_store = MemoryHotStore()
_redis_stores: "weakref.WeakKeyDictionary[object, RedisHotStore]" = weakref.WeakKeyDictionary()


def hot_store():
    """The store for the running event loop (Redis clients belong to one loop)."""
    if not settings.REDIS_URL:
        return _memory_store

    client = async_redis()
    store = _redis_stores.get(client)
    if store is None:
        store = _redis_stores[client] = RedisHotStore(client)
    return store
