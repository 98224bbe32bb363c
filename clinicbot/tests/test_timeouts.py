"""Every call to something outside the process has a timeout, and this test lists them all.

The first tests check the configured values. The last one reads the code for every place that
builds a client of an outside service: a new one fails here until it is added to OUTSIDE_CALLS
with the timeout it uses.
"""

import re

from django.conf import settings

from channels.base import Outcome
from channels.evolution import sender as sending
from clinicbot.runtime.dbconfig import database_config
from testing.servers import PROJECT_ROOT

# file -> why its client cannot hang (each line that builds a client must mention "timeout"
# within its call, or use the options named here).
OUTSIDE_CALLS = {
    "channels/evolution/sender.py": "the gateway: connect 1.5 s, read/write 2.5 s, pool 5 s",
    "channels/evolution/media.py": "the gateway's files: connect 1.5 s, read 30 s, all 60 s",
    "clinicbot/runtime/redis_client.py": "Redis: REDIS_SOCKET_TIMEOUT / REDIS_CONNECT_TIMEOUT",
    "conversations/llm/adapters.py": "the LLM: httpx client timeout plus a per-call deadline",
    "conversations/voice.py": "speech to text: TRANSCRIPTION_DEADLINE_S per call, no retry",
    "conversations/llm/rehearsal.py": "none outside: a canned in-process transport (1 s anyway)",
    "clinicbot/runtime/async_db.py": "the database: pool 5 s, Django's connect/statement timeouts",
}
CLIENT_CONSTRUCTORS = re.compile(
    r"httpx\.(Async)?Client\(|aiohttp\.ClientSession\(|Redis\.from_url\(|redis\.Redis\(|psycopg\.connect\(|"
    r"AsyncConnectionPool\(|(Async)?OpenAI\(|urlopen\(|socket\.create_connection\(|loop\.create_connection\(|"
    r"loop\.start_tls\("
)
SKIPPED = (".venv", "tests", "testing", "bench", "migrations")


def test_the_database_has_a_connect_and_a_statement_timeout():
    options = database_config("postgres://u:p@db.example.com:5432/x")["OPTIONS"]
    assert options["connect_timeout"] == 5
    assert "statement_timeout=5000" in options["options"]
    assert options["pool"]["timeout"] == 5  # waiting for a pooled connection


def test_redis_clients_time_out_on_connect_and_on_every_command():
    assert settings.REDIS_SOCKET_TIMEOUT == 0.5
    assert settings.REDIS_CONNECT_TIMEOUT == 0.5
    cache_options = settings.CACHES["default"]["OPTIONS"]
    assert cache_options["socket_timeout"] == settings.REDIS_SOCKET_TIMEOUT
    assert cache_options["socket_connect_timeout"] == settings.REDIS_CONNECT_TIMEOUT
    broker = settings.CELERY_BROKER_TRANSPORT_OPTIONS
    assert broker["socket_timeout"] and broker["socket_connect_timeout"]


def test_the_gateway_client_has_the_webhook_s_timeouts():
    timeouts = sending.TIMEOUT.as_dict()
    assert timeouts == {"connect": 1.5, "read": 2.5, "write": 2.5, "pool": 5.0}
    assert sending.KEEPALIVE_S == 30


async def test_sends_from_the_event_loop_have_the_same_timeouts():
    session = sending._gateway_session({}, ssl_context=None)
    try:
        timeout, connector = session.timeout, session.connector
    finally:
        await session.close()
    assert (timeout.sock_connect, timeout.sock_read) == (1.5, 2.5)
    assert timeout.connect == 5.0 + 1.5  # a free connection within the pool timeout, then connect
    assert timeout.total == 5.0 + 1.5 + 2.5 + 2.5  # aiohttp has no write timeout: all of it
    assert connector.limit == sending.SENDS_IN_FLIGHT


def _bounded(source: str, start: int, call: str) -> bool:
    """The call names a timeout, uses the Redis client options, or runs inside an
    `async with asyncio.timeout(...)` opened on one of the three lines before it."""
    before = "\n".join(source[:start].splitlines()[-3:])
    return "timeout" in call.lower() or "_client_options()" in call or "asyncio.timeout(" in before


def test_every_client_of_an_outside_service_is_listed_with_its_timeout():
    found = {}
    for path in sorted(PROJECT_ROOT.rglob("*.py")):
        relative = path.relative_to(PROJECT_ROOT).as_posix()
        if any(part in SKIPPED for part in relative.split("/")):
            continue
        source = path.read_text(encoding="utf-8")
        for match in CLIENT_CONSTRUCTORS.finditer(source):
            call = source[match.start() : source.find(")\n", match.start()) + 1]
            found.setdefault(relative, []).append((call, _bounded(source, match.start(), call)))
    unlisted = set(found) - set(OUTSIDE_CALLS)
    assert not unlisted, f"outside clients without a listed timeout: {unlisted}"
    for relative, calls in found.items():
        for call, bounded in calls:
            assert bounded, (relative, call)


async def test_a_send_waiting_for_a_slot_past_the_pool_timeout_is_not_sent(gateway, monkeypatch):
    """At most SENDS_IN_FLIGHT sends per event loop; one that cannot start within the pool
    timeout reports NOT_SENT (so the outbox retries it), never UNKNOWN."""
    import asyncio

    import httpx

    monkeypatch.setattr(sending, "TIMEOUT", httpx.Timeout(2.5, connect=0.1, pool=0.2))
    gateway.set_latency(1.0)
    backend = sending.EvolutionSender(settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
    sends = [
        backend.asend(instance="smile-main", number=f"7900000000{n}", text="hi")
        for n in range(sending.SENDS_IN_FLIGHT + 1)
    ]
    results = await asyncio.gather(*sends)
    await backend.aclose()

    outcomes = sorted(result.outcome for result in results)
    assert outcomes.count(Outcome.SENT) == sending.SENDS_IN_FLIGHT
    assert outcomes.count(Outcome.NOT_SENT) == 1
    assert len(gateway.sent()) == sending.SENDS_IN_FLIGHT
