"""Helpers the webhook tests share: gateway bodies, posting them, and counting every database
query and Redis command, from any thread. (The fixtures are in the root conftest.py.)"""

import copy
import itertools
import json
import threading
import time
from contextlib import contextmanager

import redis
from django.conf import settings
from django.db.backends.utils import CursorWrapper

from conftest import FIXTURES

SECRET = "test-webhook-secret"
PATIENT = "79001234567"
_ids = itertools.count(1)


def fixture_body(name: str) -> dict:
    return json.loads((FIXTURES / "evolution" / f"{name}.json").read_text(encoding="utf-8"))


def text_message(
    text: str,
    *,
    phone: str = PATIENT,
    message_id: str | None = None,
    instance: str = "smile-main",
    from_me: bool = False,
) -> dict:
    body = copy.deepcopy(fixture_body("v2_text_greeting_ru"))
    body["instance"] = instance
    body["data"]["key"].update(
        remoteJid=f"{phone}@s.whatsapp.net",
        fromMe=from_me,
        id=message_id or f"TEST{next(_ids):08d}{time.monotonic_ns() % 10**6:06d}",
    )
    body["data"]["message"]["conversation"] = text
    return body


async def post_webhook(client, body, *, path="/webhooks/evolution", headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Webhook-Secret": SECRET} if headers is None else headers
    return await client.post(path, data=raw, content_type="application/json", headers=headers)


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
