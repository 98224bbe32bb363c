"""Fault scenarios 1 and 2: PostgreSQL hangs for 30 s, or goes away and comes back, during steady
traffic. Fast-lane replies keep flowing (p99 at most 50 ms), /health stays instant, and every
message is stored exactly once after the database returns. Real processes, real servers."""

import json
import statistics
import threading
import time

import httpx
import pytest

from conversations.models import Message
from conversations.tests.conftest import SECRET, text_message
from testing import STAND_IN_NICENESS
from testing.health_probe import NOT_OK_MS, HealthProbe
from testing.servers import clean_environment
from testing.stack import log_tail, running_stack

pytestmark = [pytest.mark.fault, pytest.mark.django_db(transaction=True)]
PATIENTS = [f"7966000{n:04d}" for n in range(20)]
RATE = 10  # messages per second


def p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98] if len(values) >= 2 else max(values)


@pytest.fixture
def stack(settings, clinic):
    database = settings.DATABASES["default"]["NAME"]
    url = settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}"
    with running_stack(database_url=url, redis_url=settings.REDIS_URL, secret=SECRET,
                       environment=clean_environment()) as running:  # fmt: skip
        for phone in PATIENTS:  # warm conversations: their state is in Redis and memory
            running.post(json.dumps(text_message("Здравствуйте", phone=phone)).encode())
        running.gateway.wait_for(len(PATIENTS), timeout=20)
        yield running


def steady_traffic(stack, seconds: float, fault_at: float, fault, heal_at: float, heal):
    """Price questions at RATE/s for `seconds`; returns (reply latencies ms, health ms, ids)."""
    sent_at: dict[str, int] = {}
    health_ms: list[float] = []
    started = time.monotonic()
    stop = threading.Event()

    def probe_health():
        with httpx.Client() as client:
            while not stop.is_set():
                began = time.perf_counter()
                client.get(f"{stack.base_url}/health", timeout=2)
                health_ms.append((time.perf_counter() - began) * 1000)
                stop.wait(0.1)

    prober = threading.Thread(target=probe_health)
    prober.start()
    faulted = healed = False
    n = 0
    while (elapsed := time.monotonic() - started) < seconds:
        if not faulted and elapsed >= fault_at:
            fault()
            faulted = True
        if not healed and elapsed >= heal_at:
            heal()
            healed = True
        phone = PATIENTS[n % len(PATIENTS)]
        message_id = f"STEADY{n:05d}"
        body = json.dumps(text_message("Сколько стоит чистка?", phone=phone,
                                       message_id=message_id)).encode()  # fmt: skip
        sent_at[message_id] = time.monotonic_ns()
        assert stack.post(body).json() == {"status": "accepted"}
        n += 1
        time.sleep(max(0.0, started + n / RATE - time.monotonic()))
    stop.set()
    prober.join()
    return sent_at, health_ms


def reply_latencies(stack, sent_at: dict[str, int], already: int) -> list[float]:
    replies = stack.gateway.wait_for(already + len(sent_at), timeout=30)[already:]
    starts = sorted(sent_at.values())
    # One conversation at a time per phone and replies in order: the k-th reply answers the
    # k-th message.
    return [
        (reply["monotonic_ns"] - start) / 1e6 for reply, start in zip(replies, starts, strict=True)
    ]


def wait_until_stored(message_ids, timeout: float) -> int:
    deadline = time.monotonic() + timeout
    while True:
        stored = Message.objects.filter(wa_message_id__in=message_ids).count()
        if stored >= len(message_ids) or time.monotonic() > deadline:
            return stored
        time.sleep(1)


@pytest.mark.timeout(240)
def test_postgres_hanging_30_seconds_does_not_stop_the_fast_lane(stack):
    already = len(stack.gateway.sent())
    sent_at, health_ms = steady_traffic(
        stack,
        seconds=40,
        fault_at=5,
        fault=stack.postgres.hang,
        heal_at=35,
        heal=stack.postgres.resume,
    )
    latencies = reply_latencies(stack, sent_at, already)
    assert len(latencies) == len(sent_at)
    assert p99(latencies) <= 50, f"reply p99 {p99(latencies):.1f} ms"
    assert p99(health_ms) <= 50, f"/health p99 {p99(health_ms):.1f} ms"
    stored = wait_until_stored(list(sent_at), timeout=120)
    assert stored == len(sent_at)  # each once: the constraint would refuse a second row
    print(f"\nhang 30 s: {len(sent_at)} replies, p50 {statistics.median(latencies):.1f} ms, "
          f"p99 {p99(latencies):.1f} ms; /health p99 {p99(health_ms):.1f} ms; "
          f"{stored} stored after the database returned")  # fmt: skip


@pytest.mark.timeout(240)
def test_postgres_stopped_and_restarted_loses_nothing(stack):
    already = len(stack.gateway.sent())

    def stop_postgres():
        stack.postgres.refuse(True)
        stack.postgres.reset_all()

    sent_at, health_ms = steady_traffic(
        stack,
        seconds=30,
        fault_at=5,
        fault=stop_postgres,
        heal_at=20,
        heal=lambda: stack.postgres.refuse(False),
    )
    latencies = reply_latencies(stack, sent_at, already)
    assert len(latencies) == len(sent_at)
    assert p99(latencies) <= 50, f"reply p99 {p99(latencies):.1f} ms"
    assert p99(health_ms) <= 50, f"/health p99 {p99(health_ms):.1f} ms"
    stored = wait_until_stored(list(sent_at), timeout=150)
    assert stored == len(sent_at)


@pytest.mark.timeout(240)
def test_a_worker_killed_mid_task_loses_nothing_and_sends_nothing_twice(stack):
    """Scenario 4: the gateway refuses, the worker holding the retry is SIGKILLed, a new worker
    starts; the reply still arrives, once, and every message is stored."""
    already = len(stack.gateway.sent())
    stack.gateway.fail(500, times=1)
    body = json.dumps(text_message("Сколько стоит пломба?", phone=PATIENTS[0],
                                   message_id="KILLED-1")).encode()  # fmt: skip
    assert stack.post(body).json() == {"status": "accepted"}
    deadline = time.monotonic() + 20
    while not stack.gateway.attempts() or stack.gateway.attempts()[-1]["status"] != 500:
        assert time.monotonic() < deadline, "the refused send never happened"
        time.sleep(0.05)
    stack.kill_worker()  # it held the retry of the refused send
    stack.start_worker()
    # Later traffic keeps stage B flushing; the flush notices the stalled outbox.
    for n in range(45):
        later = json.dumps(text_message("Здравствуйте", phone=PATIENTS[1 + n % 5],
                                        message_id=f"AFTER{n:03d}")).encode()  # fmt: skip
        assert stack.post(later).json() == {"status": "accepted"}
        time.sleep(1)
    sends = stack.gateway.sent()[already:]
    to_first = [s for s in sends if s["number"] == PATIENTS[0]]
    assert len(to_first) == 1, to_first
    assert "3\xa0500" in to_first[0]["text"]
    ids = ["KILLED-1"] + [f"AFTER{n:03d}" for n in range(45)]
    if wait_until_stored(ids, timeout=60) < len(ids):
        stored = set(Message.objects.filter(wa_message_id__in=ids).values_list("wa_message_id"))
        missing = sorted(set(ids) - {row[0] for row in stored})
        pytest.fail(f"not stored: {missing}; the worker's log ends:\n{log_tail(stack.worker)}")


BURST = """
import asyncio, json, sys
from bench.loadgen import Pool, build_request
port, secret, bodies = int(sys.argv[1]), sys.argv[2], json.loads(sys.stdin.read())
headers = {"X-Webhook-Secret": secret, "Content-Type": "application/json"}
PATH = "/webhooks/evolution"

async def main():
    pool, queue, statuses = Pool("127.0.0.1", port), list(reversed(bodies)), []
    await pool.prefill(20)

    async def client():
        while queue:
            body = queue.pop().encode()
            request = build_request("POST", PATH, f"127.0.0.1:{port}", body, headers)
            statuses.append((await pool.request(request))[1])

    await asyncio.gather(*(client() for _ in range(20)))
    print(json.dumps(statuses))

asyncio.run(main())
"""


BURSTS = 3


@pytest.mark.timeout(240)
def test_health_stays_instant_through_a_burst_of_1000_webhooks(stack):
    """Scenario 6: /health p99 under 5 ms while 1,000 webhooks arrive as fast as 20 keep-alive
    clients can send them (Fly's health check must never fail because the bot is busy).

    The senders and the probe run in processes of their own; the senders are the benchmark's
    lean HTTP client (bench.loadgen), since httpx from test threads would take most of a core
    from the server under test on this 2-core machine. What stands in for other machines (the
    senders, the gateway, the database's proxy) yields the CPU to the web server, as the Celery
    worker does: deployed, none of them shares its cores; the probe, which measures, does not
    yield. The p99 is taken over the probes of three bursts of new patients, each starting once
    the previous one is stored: one burst's few hundred probes make its p99 the third-slowest
    probe, which one hiccup of a shared machine moves by milliseconds."""
    from urllib.parse import urlsplit

    address = urlsplit(stack.base_url)
    stack.gateway.yield_cpu()
    stack.postgres.yield_cpu()
    health_ms = []
    for burst in range(BURSTS):
        patients = range(burst * 1000, (burst + 1) * 1000)
        burst_s, probed = _burst(stack, address, patients)
        health_ms += probed
        print(
            f"\nburst {burst + 1}: 1000 webhooks in {burst_s:.2f} s; /health p50 "
            f"{statistics.median(probed):.2f} ms, p99 {p99(probed):.2f} ms "
            f"over {len(probed)} probes"
        )
        # The next burst starts from the same state: this one stored, the worker idle again.
        assert wait_until_stored([f"BURST{n:05d}" for n in patients], timeout=60) == 1000
    print(f"{BURSTS} bursts: /health p99 {p99(health_ms):.2f} ms over {len(health_ms)} probes")
    assert p99(health_ms) < 5, f"/health p99 {p99(health_ms):.2f} ms"


def _burst(stack, address, patients: range) -> tuple[float, list[float]]:
    """One webhook per new patient, as fast as 20 clients send them, probing /health
    meanwhile: the burst's duration and the probes' latencies."""
    import subprocess
    import sys

    bodies = [
        json.dumps(text_message("Привет", phone=f"7977{n:07d}", message_id=f"BURST{n:05d}"))
        for n in patients
    ]
    probe = HealthProbe(address.hostname, address.port)
    time.sleep(0.5)
    burst_began = time.monotonic()
    senders = [sys.executable, "-c", BURST, str(address.port), stack.secret]
    sent = subprocess.run(
        ["nice", "-n", str(STAND_IN_NICENESS), *senders],
        input=json.dumps(bodies),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    burst_s = time.monotonic() - burst_began
    health_ms = probe.finish()
    assert max(health_ms) < NOT_OK_MS, "a /health probe was not answered 200"
    assert json.loads(sent.stdout).count(200) == len(patients)
    return burst_s, health_ms
