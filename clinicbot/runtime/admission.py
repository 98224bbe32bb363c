"""Webhooks take turns at the event loop: WEBHOOKS_AT_ONCE per process at work at once (one).

    async with admitted():              # clinicbot.routing, around each webhook
        ...
        async with stepped_aside():     # conversations.inbound, around a wait on the database,
            await slow_outside_call()   # the gateway or an earlier message of the conversation

Why a bound, and why one: every webhook at work adds its steps to each turn of the event loop,
and a turn must end before the loop even reads a waiting request. Fly's health check arrives on
the same loop. In a burst of 1,000 webhooks from 20 clients (fault scenario 6), /health p99 was
2.8 to 3.5 ms with one webhook at work (7 runs), and 3.4 to 6.4 ms with two (20 runs, a third of
them over 4.5 ms); the burst took about a tenth longer with one (2.25 to 2.4 s, against 2.0 to
2.3 s), and `make bench` measured 0.76 and 0.83 of the bare endpoint's throughput with one,
0.84 and 0.85 with two.
A turn is kept through a webhook's three or four Redis round trips (a fraction of a millisecond
here): with Redis 1 ms away a process would still take about 200 webhooks per second, about 50
with Redis 5 ms away, where a clinic receives a few per second at most. Without any bound, a
slow moment piled hundreds of half-done requests onto one loop until the Redis client ran out of
connections and messages were refused with 503 (seen at 200 messages per second).

Why stepping aside: a webhook waiting on something slow does no work, so it gives its turn to
the next one and queues again (in arrival order) when the wait is over. Otherwise a webhook
waiting on the database for its session would hold everything else back (measured: with 16
turns held through the wait, the first seconds of the benchmark's open loop had a reply p50 of
555 ms). Waiting for a turn costs nothing and holds no connection.
"""

import asyncio
import weakref
from contextlib import asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass

WEBHOOKS_AT_ONCE = 1


@dataclass
class _Turn:
    held: bool = False


_turn: ContextVar[_Turn | None] = ContextVar("clinicbot_admission_turn", default=None)
_turns_by_loop: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


def _turns() -> asyncio.Semaphore:
    """The running event loop's turns (a semaphore belongs to one loop)."""
    loop = asyncio.get_running_loop()
    turns = _turns_by_loop.get(loop)
    if turns is None:
        turns = _turns_by_loop[loop] = asyncio.Semaphore(WEBHOOKS_AT_ONCE)
    return turns


@asynccontextmanager
async def admitted():
    """Wait for a turn, in arrival order, and keep it until the webhook is answered."""
    turns, turn = _turns(), _Turn()
    await turns.acquire()
    turn.held = True
    token = _turn.set(turn)
    try:
        yield
    finally:
        _turn.reset(token)
        if turn.held:  # not if cancelled while queueing again after stepping aside
            turns.release()


@asynccontextmanager
async def stepped_aside():
    """Give the turn up for the length of a wait, then queue for one again. Outside a turn
    (a Celery task, a test), nothing changes."""
    turn = _turn.get()
    if turn is None or not turn.held:
        yield
        return
    turns = _turns()
    turns.release()
    turn.held = False
    try:
        yield
    finally:
        await turns.acquire()
        turn.held = True
