"""Probing `/health` every 10 ms from a process of its own (so that the probe's CPU is not taken
from the server it measures), for the fault scenarios and the clinic-day benchmark.

    probe = HealthProbe("127.0.0.1", port)
    ...                          # the load under test
    latencies_ms = probe.finish()   # one per probe; a non-200 answer counts as 1e9 ms
"""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

NOT_OK_MS = 1e9

# Run with `python -c`: the standard library only, so the probe starts at once.
PROGRAM = f"""
import http.client, json, os, sys, time
host, port, stop_file = sys.argv[1], int(sys.argv[2]), sys.argv[3]
connection, latencies = http.client.HTTPConnection(host, port, timeout=2), []
while not os.path.exists(stop_file):
    began = time.perf_counter()
    connection.request("GET", "/health")
    response = connection.getresponse()
    response.read()
    ok = response.status == 200
    latencies.append((time.perf_counter() - began) * 1000 if ok else {NOT_OK_MS})
    time.sleep(0.01)
print(json.dumps(latencies))
"""


class HealthProbe:
    def __init__(self, host: str, port: int):
        self._stop = Path(tempfile.mkdtemp(prefix="clinicbot-health-")) / "stop"
        argv = [sys.executable, "-c", PROGRAM, host, str(port), str(self._stop)]
        self.popen = subprocess.Popen(argv, stdout=subprocess.PIPE)

    def finish(self) -> list[float]:
        """Stop probing; the latency of every probe, in milliseconds."""
        self._stop.touch()
        return json.loads(self.popen.communicate(timeout=30)[0])
