"""Helpers the pipeline's tests share: gateway bodies and posting them (from the Evolution
channel's tests), and counting every database query and Redis command, from any thread. (The
fixtures are in the root conftest.py.)"""

import threading
import time
from contextlib import contextmanager

import redis
from django.conf import settings
from django.db.backends.utils import CursorWrapper

# The Evolution channel's bodies are the realistic traffic of the pipeline's tests.
from channels.evolution.tests.helpers import (  # noqa: F401
    PATIENT,
    SECRET,
    fixture_body,
    post_webhook,
    text_message,
)

# Message key -> its journal as stage B last stored it (filled by the `stored_journals` fixture).
STORED_JOURNALS: dict = {}


async def journal_seen(key: str):
    """A message's journal: from Redis while it is there, else as stage B last stored it (it
    shrinks a journal to its reply's state once stored with the reply settled)."""
    from conversations.hotstore import hot_store

    return await hot_store().journal(key) or STORED_JOURNALS.get(key)


class QueryLog(list):
    pass


@contextmanager
def queries_in_any_thread():
    """Every SQL statement run by any thread meanwhile (Django's own query capture sees only
    the current thread's connection; stage A's lookups run in worker threads)."""
    log = QueryLog()
    original_execute, original_many = CursorWrapper._execute, CursorWrapper._executemany

    def execute(self, sql, params, *ignored):
        log.append(sql)
        return original_execute(self, sql, params, *ignored)

    def executemany(self, sql, param_list, *ignored):
        log.append(sql)
        return original_many(self, sql, param_list, *ignored)

    CursorWrapper._execute, CursorWrapper._executemany = execute, executemany
    try:
        yield log
    finally:
        CursorWrapper._execute, CursorWrapper._executemany = original_execute, original_many


@contextmanager
def redis_commands():
    """Every command the Redis server receives on the test database meanwhile (MONITOR)."""
    client = redis.Redis.from_url(settings.REDIS_URL, socket_timeout=5)
    database = client.connection_pool.connection_kwargs.get("db", 0)
    seen: list[str] = []
    monitor = client.monitor()
    monitor.__enter__()
    stop = threading.Event()

    def listen():
        while not stop.is_set():
            try:
                event = monitor.next_command()
            except (redis.ConnectionError, redis.TimeoutError, ValueError, OSError):
                return
            if event.get("db") == database and "MONITOR" not in event["command"].upper():
                seen.append(event["command"])

    listener = threading.Thread(target=listen, daemon=True)
    listener.start()
    client.ping()  # a marker: the monitor is attached once this shows up
    time.sleep(0.05)
    seen.clear()
    try:
        yield seen
    finally:
        time.sleep(0.1)  # let the monitor stream catch up
        stop.set()
        monitor.connection.disconnect()
        listener.join(2)


def wait_until(condition, timeout: float = 10.0, interval: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout} s")
