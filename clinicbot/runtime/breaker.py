"""A circuit breaker for the database, per process, for the request path and the workers.

closed     calls go through; 5 consecutive failures (errors or timeouts) open it.
open       calls fail at once with CircuitOpen for 45 s: the request path serves from its caches
           instead of waiting on a database that is not answering, and stage B retries later.
half-open  after the 45 s, a bounded number of trial calls go through; a success closes it, a
           failure opens it for another 45 s.

Our own (about 100 lines) rather than a library: the maintained ones either serialise every call
through one lock (pybreaker) or cannot bound the half-open trials (purgatory), and we need the
same breaker from threads and from the event loop. Every state change is logged and counted.
"""

import logging
import threading
import time
from collections import Counter
from contextlib import asynccontextmanager, contextmanager

from django.db import DatabaseError, InterfaceError, OperationalError

logger = logging.getLogger(__name__)

CLOSED, OPEN, HALF_OPEN = "closed", "open", "half-open"
# What counts as "the database is not answering". A constraint violation or a bad query is our
# own problem, not the database's health, and does not trip the breaker.
DATABASE_FAILURES = (OperationalError, InterfaceError, TimeoutError, OSError)


class CircuitOpen(DatabaseError):
    """The breaker is open: the call was not attempted."""


class CircuitBreaker:
    def __init__(
        self,
        name: str,
        *,
        failure_threshold: int = 5,
        open_seconds: float = 45.0,
        half_open_trials: int = 2,
        clock=time.monotonic,
    ):
        self.name = name
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self.half_open_trials = half_open_trials
        self._clock = clock
        self._lock = threading.Lock()
        self._state = CLOSED
        self._failures = 0
        self._opened_at = 0.0
        self._trials = 0
        self.transitions: Counter[str] = Counter()

    @property
    def state(self) -> str:
        with self._lock:
            self._maybe_half_open()
            return self._state

    def allow(self) -> bool:
        """Whether a call may go ahead now (in half-open, it takes one of the trial slots)."""
        with self._lock:
            self._maybe_half_open()
            if self._state == CLOSED:
                return True
            if self._state == HALF_OPEN and self._trials < self.half_open_trials:
                self._trials += 1
                return True
            return False

    def record_success(self) -> None:
        with self._lock:
            self._failures = 0
            if self._state == HALF_OPEN:
                self._move_to(CLOSED)

    def record_failure(self) -> None:
        with self._lock:
            self._failures += 1
            if self._state == HALF_OPEN or (
                self._state == CLOSED and self._failures >= self.failure_threshold
            ):
                self._opened_at = self._clock()
                self._move_to(OPEN)

    def release_trial(self) -> None:
        with self._lock:
            if self._state == HALF_OPEN and self._trials > 0:
                self._trials -= 1

    def reset(self) -> None:
        with self._lock:
            self._failures, self._trials = 0, 0
            if self._state != CLOSED:
                self._move_to(CLOSED)

    @contextmanager
    def guard(self):
        """`with breaker.guard(): <database call>` — raises CircuitOpen when open."""
        self._enter()
        try:
            yield
        except BaseException as exc:
            self._settle(exc)
            raise
        self.record_success()

    @asynccontextmanager
    async def aguard(self):
        """The same around an awaited call (a timeout counts as a failure)."""
        self._enter()
        try:
            yield
        except BaseException as exc:
            self._settle(exc)
            raise
        self.record_success()

    def _enter(self) -> None:
        if not self.allow():
            raise CircuitOpen(f"{self.name} circuit is open")

    def _settle(self, exc: BaseException) -> None:
        """Count how a guarded call failed."""
        if isinstance(exc, DATABASE_FAILURES):
            self.record_failure()
        elif isinstance(exc, DatabaseError):
            self.record_success()  # the database answered (a constraint, a bad query)
        else:
            self.release_trial()  # not the database's doing (a cancelled task, a bug)

    def _maybe_half_open(self) -> None:
        if self._state == OPEN and self._clock() - self._opened_at >= self.open_seconds:
            self._trials = 0
            self._move_to(HALF_OPEN)

    def _move_to(self, state: str) -> None:
        logger.warning("%s circuit: %s -> %s", self.name, self._state, state)
        self.transitions[f"{self._state}->{state}"] += 1
        self._state = state


database_breaker = CircuitBreaker("database")
