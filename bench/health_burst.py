"""/health through bursts of webhooks: Fly's health check must never fail, nor slow down, because
the bot is busy.

    burst_s, statuses, health_ms = burst("127.0.0.1", port, headers, bodies)

The webhooks leave as fast as SENDERS keep-alive clients can send them, from a process of their
own at a lower CPU priority (bench.loadgen's lean HTTP client: httpx from threads would take most
of a core from the server under test on a 2-core machine); a second process probes `/health`
every 10 ms at normal priority (testing.health_probe). `make bench` judges the probes' p99 over
BURSTS bursts of new patients; the fault tests run the same burst and check only what does not
depend on the machine's load (every probe and every webhook answered 200, everything stored).
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from testing import STAND_IN_NICENESS
from testing.health_probe import HealthProbe

BURSTS = 3
BURST_SIZE = 1000
SENDERS = 20
HEALTH_P99_TARGET_MS = 5.0

# Run with `python -c`: argv port and path, stdin {"headers": ..., "bodies": [...]}; prints the
# statuses.
SENDER = f"""
import asyncio, json, sys
from bench.loadgen import Pool, build_request
port, path = int(sys.argv[1]), sys.argv[2]
job = json.loads(sys.stdin.read())
headers, bodies = job["headers"], job["bodies"]

async def main():
    pool, queue, statuses = Pool("127.0.0.1", port), list(reversed(bodies)), []
    await pool.prefill({SENDERS})

    async def client():
        while queue:
            body = queue.pop().encode()
            request = build_request("POST", path, f"127.0.0.1:{{port}}", body, headers)
            statuses.append((await pool.request(request))[1])

    await asyncio.gather(*(client() for _ in range({SENDERS})))
    print(json.dumps(statuses))

asyncio.run(main())
"""


def burst(
    host: str, port: int, headers: dict, bodies: list[str], path: str = "/webhooks/evolution"
) -> tuple[float, list[int], list[float]]:
    """Send `bodies` as one burst while probing /health: (the burst's seconds, the webhooks'
    statuses, the probes' latencies in ms, a non-200 probe counting as
    testing.health_probe.NOT_OK_MS)."""
    probe = HealthProbe(host, port)
    time.sleep(0.5)  # the probe's first requests see the server idle
    began = time.monotonic()
    sent = subprocess.run(
        ["nice", "-n", str(STAND_IN_NICENESS), sys.executable, "-c", SENDER, str(port), path],
        input=json.dumps({"headers": headers, "bodies": bodies}),
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    burst_s = time.monotonic() - began
    return burst_s, json.loads(sent.stdout), probe.finish()
