"""Writing an LLM answer into its message's journal exactly once.

The answer's fields and `reply_state = "ready"` are written in one atomic step, and only while
the reply is still `pending`: of two copies of the task racing (a redelivery, a retry), one
writes and the other finds the reply taken and stops, so the outbox sees one reply, complete,
or none. On Redis the step is a Lua script on the journal hash (conversations.hotstore's
`cb:j:{message}`); the embedded store does it under its own lock.
"""

from __future__ import annotations

import weakref

from conversations.hotstore import MemoryHotStore, RedisHotStore

WRITE_IF_PENDING = """
-- KEYS: journal; ARGV: field, value, ...
if redis.call('HGET', KEYS[1], 'reply_state') ~= 'pending' then
  return 0
end
redis.call('HSET', KEYS[1], unpack(ARGV))
return 1
"""

_scripts: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _strings(fields: dict) -> dict[str, str]:
    return {name: "" if value is None else str(value) for name, value in fields.items()}


async def write_if_pending(store, message: str, fields: dict) -> bool:
    """Write `fields` into the journal of `message` if its reply is still pending; True when
    this call wrote them."""
    values = _strings(fields)
    if isinstance(store, RedisHotStore):
        script = _scripts.get(store.redis)
        if script is None:
            script = _scripts[store.redis] = store.redis.register_script(WRITE_IF_PENDING)
        flat = [item for pair in values.items() for item in pair]
        return bool(await script(keys=[f"cb:j:{message}"], args=flat))
    if isinstance(store, MemoryHotStore):
        with store._lock:  # the embedded store's atomicity, as its own methods use it
            journal = store.records.get(message)
            if journal is None or journal.get("reply_state") != "pending":
                return False
            journal.update(values)
            return True
    raise TypeError(f"unknown hot store {type(store).__name__}")
