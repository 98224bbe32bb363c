"""The database circuit breaker: 5 consecutive failures open it for 45 s, then a bounded number of
trial calls decide whether it closes again."""

import asyncio
import threading

import pytest
from django.db import IntegrityError, OperationalError

from clinicbot.runtime.breaker import CLOSED, HALF_OPEN, OPEN, CircuitBreaker, CircuitOpen


class FakeClock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def breaker(clock):
    return CircuitBreaker(
        "test", failure_threshold=5, open_seconds=45, half_open_trials=2, clock=clock
    )


def fail(breaker, times=1, error=OperationalError):
    for _ in range(times):
        with pytest.raises(error), breaker.guard():
            raise error("down")


def test_it_opens_after_five_consecutive_failures(breaker):
    fail(breaker, 4)
    assert breaker.state == CLOSED
    fail(breaker)
    assert breaker.state == OPEN
    with pytest.raises(CircuitOpen), breaker.guard():
        pytest.fail("an open circuit must not run the call")


def test_a_success_resets_the_count_of_consecutive_failures(breaker):
    fail(breaker, 4)
    with breaker.guard():
        pass
    fail(breaker, 4)
    assert breaker.state == CLOSED


def test_it_stays_open_45_seconds_then_lets_trials_through(breaker, clock):
    fail(breaker, 5)
    clock.now += 44.9
    assert breaker.state == OPEN
    clock.now += 0.2
    assert breaker.state == HALF_OPEN
    assert breaker.allow() and breaker.allow()
    assert not breaker.allow(), "only two trial calls at a time"


def test_a_successful_trial_closes_it(breaker, clock):
    fail(breaker, 5)
    clock.now += 45
    with breaker.guard():
        pass
    assert breaker.state == CLOSED


def test_a_failed_trial_opens_it_for_another_45_seconds(breaker, clock):
    fail(breaker, 5)
    clock.now += 45
    fail(breaker)
    assert breaker.state == OPEN
    clock.now += 44
    assert breaker.state == OPEN


def test_errors_that_are_not_the_database_being_down_do_not_trip_it(breaker):
    fail(breaker, 10, error=IntegrityError)
    assert breaker.state == CLOSED


def test_a_trial_interrupted_by_something_else_gives_its_slot_back(breaker, clock):
    fail(breaker, 5)
    clock.now += 45
    for _ in range(3):
        with pytest.raises(KeyError), breaker.guard():
            raise KeyError("a bug, not the database")
    assert breaker.state == HALF_OPEN
    assert breaker.allow()


async def test_a_timeout_in_async_code_counts_as_a_failure(breaker):
    for _ in range(5):
        with pytest.raises(TimeoutError):
            async with breaker.aguard():
                await asyncio.wait_for(asyncio.sleep(1), 0.001)
    assert breaker.state == OPEN


def test_every_state_change_is_counted_and_logged(breaker, clock, caplog):
    fail(breaker, 5)
    clock.now += 45
    breaker.allow()
    with breaker.guard():
        pass
    assert breaker.transitions == {"closed->open": 1, "open->half-open": 1, "half-open->closed": 1}
    assert "test circuit: closed -> open" in caplog.text


def test_it_is_safe_to_share_between_threads(breaker):
    def hammer():
        for _ in range(1000):
            with breaker.guard():
                pass

    threads = [threading.Thread(target=hammer) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert breaker.state == CLOSED
