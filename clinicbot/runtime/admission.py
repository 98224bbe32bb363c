"""Webhooks take turns at the event loop: WEBHOOKS_AT_ONCE per process at work at once (one).

    async with admitted():              # clinicbot.routing, around each webhook
        ...
        async with stepped_aside():     # conversations.inbound, around a wait on the database,
            await slow_outside_call()   # the gateway or an earlier message of the conversation

Why a bound, and why one: every webhook at work adds its steps to each turn of the event loop,
and a turn must end before the loop even reads a waiting request. Fly's health check arrives on
the same loop, so the fewer webhooks at work, the sooner /health is read in a burst; a second
one at work lengthens every turn and buys little throughput, since the work is CPU on one loop
(the README has the burst's and `make bench`'s figures for one and two).
A turn is kept through a webhook's three or four Redis round trips, so a process's rate is
bounded by Redis's latency; that leaves ample room even with Redis a few milliseconds away, as a
clinic receives a few messages per second at most (the README works it out). Without any bound,
a slow moment lets half-done requests pile up on one loop, each holding a Redis connection, until
the Redis client runs out of connections and messages are refused with 503.

Why stepping aside: a webhook waiting on something slow does no work, so it gives its turn to
the next one and queues again (in arrival order) when the wait is over. Otherwise a webhook
waiting on the database for its session would hold everything else back: every webhook behind
it would wait out the database's latency too (the README has what that cost). Waiting for a turn
costs nothing and holds no connection.
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
