"""In-flight de-duplication: concurrent callers asking for one key share one call."""

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any


class SingleFlight:
    def __init__(self):
        self._calls: dict[Any, asyncio.Future] = {}

    async def do(self, key: Any, load: Callable[[], Awaitable[Any]]) -> Any:
        call = self._calls.get(key)
        if call is None or call.get_loop() is not asyncio.get_running_loop():
            call = asyncio.ensure_future(load())
            self._calls[key] = call
            call.add_done_callback(lambda _: self._forget(key, call))
        # A caller that gives up (a timeout around this await) must not cancel the shared call.
        return await asyncio.shield(call)

    def _forget(self, key: Any, call: asyncio.Future) -> None:
        if self._calls.get(key) is call:
            del self._calls[key]

    def __len__(self) -> int:
        return len(self._calls)
