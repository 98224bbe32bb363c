"""Running async code from sync code (Celery tasks, management commands).

Each process keeps one event loop in a background thread, so async clients (redis.asyncio, the
gateway's aiohttp session, the database's async pool) keep their connections between calls
instead of opening new ones per task.
"""

import asyncio
import atexit
import contextlib
import os
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

_loop: asyncio.AbstractEventLoop | None = None
_loop_pid: int | None = None
_lock = threading.Lock()


def _background_loop() -> asyncio.AbstractEventLoop:
    global _loop, _loop_pid
    with _lock:
        # A forked Celery child must not share its parent's loop thread (which it doesn't have).
        if _loop is None or _loop_pid != os.getpid():
            _loop = asyncio.new_event_loop()
            _loop_pid = os.getpid()
            threading.Thread(target=_loop.run_forever, name="clinicbot-aio", daemon=True).start()
        return _loop


def run(coroutine: Coroutine[Any, Any, Any], timeout: float = 30.0) -> Any:
    """Run a coroutine on the process's background loop and wait for its result."""
    future = asyncio.run_coroutine_threadsafe(coroutine, _background_loop())
    return future.result(timeout)


# Who keeps connections per event loop (a gateway's HTTP sessions, the database lookups' pool)
# registers how to close the running loop's. Held strongly: a sender that was replaced (tests
# change its settings) may still have connections open.
_loop_closers: list[Callable[[], Awaitable[None]]] = []


def on_loop_close(close: Callable[[], Awaitable[None]]) -> None:
    """Have `close_loop_connections` await `close()`."""
    _loop_closers.append(close)


async def close_loop_connections() -> None:
    """Close the connections that belong to the running event loop (at the web's shutdown, at
    exit, after each async test), instead of leaving them to the garbage collector and its
    warnings."""
    for close in list(_loop_closers):
        await close()


@atexit.register
def _close_background_loop_connections() -> None:
    if _loop is None or _loop_pid != os.getpid() or not _loop.is_running():
        return
    with contextlib.suppress(Exception):  # exiting anyway: a connection left open is no harm
        run(close_loop_connections(), timeout=2.0)
