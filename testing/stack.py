"""The whole service for fault tests: the web server and a Celery worker as real processes,
with PostgreSQL behind a fault proxy, Redis, and a fake gateway in this process.

    with running_stack(database_url=..., redis_url=..., secret=..., environment=...) as stack:
        stack.post(body); stack.gateway.sent(); stack.postgres.hang(); stack.kill_worker() ...
"""

import os
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx

from testing import STAND_IN_NICENESS
from testing.fake_evolution import FakeEvolution
from testing.fault_proxy import FaultProxy

PROJECT_ROOT = Path(__file__).resolve().parents[1]
WEB_ARGV = [sys.executable, "-m", "uvicorn", "clinicbot.asgi:application", "--host", "127.0.0.1"]
WORKER_ARGV = [
    *(sys.executable, "-m", "celery", "-A", "clinicbot", "worker"),
    *("--loglevel", "WARNING", "--without-heartbeat", "--without-gossip", "--without-mingle"),
]


@dataclass
class Stack:
    base_url: str
    gateway: FakeEvolution
    postgres: FaultProxy
    secret: str
    client: httpx.Client
    env: dict
    worker_pool: str = "solo"
    worker: subprocess.Popen | None = None

    def post(self, body: bytes, timeout: float = 5.0) -> httpx.Response:
        return self.client.post(
            f"{self.base_url}/webhooks/evolution",
            content=body,
            timeout=timeout,
            headers={"X-Webhook-Secret": self.secret, "Content-Type": "application/json"},
        )

    def start_worker(self) -> None:
        # solo: one process, so a SIGKILL hits the task itself; prefork (one child) as deployed.
        pool = ["--pool", self.worker_pool, *(["-c", "1"] if self.worker_pool == "prefork" else [])]
        # Deployed, the worker runs on machines of its own (fly.toml's process groups); here it
        # shares two cores with the web server whose reply latency the scenarios measure, so it
        # yields to it: stage B catching up after an outage must not stand in for a slow web.
        self.worker = _start([*WORKER_ARGV, *pool], self.env, niceness=WORKER_NICENESS)

    def kill_worker(self) -> None:
        """SIGKILL the Celery worker mid-whatever, as an OOM kill or a lost machine would."""
        self.worker.kill()
        self.worker.wait(timeout=10)


def _via(url: str, port: int) -> str:
    parts = urlsplit(url)
    netloc = f"{parts.username or 'postgres'}@127.0.0.1:{port}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


@contextmanager
def running_stack(
    *, database_url: str, redis_url: str, secret: str, environment: dict, worker_pool="solo"
):
    """`database_url` names the (test) database; the processes reach it through the proxy."""
    from testing.servers import free_port, stop_process

    target = urlsplit(database_url)
    with ExitStack() as stack:
        postgres = stack.enter_context(FaultProxy(target.hostname, target.port or 5432))
        gateway = stack.enter_context(FakeEvolution(api_key="stack-key"))
        env = environment | {
            "DATABASE_URL": _via(database_url, postgres.port),
            "REDIS_URL": redis_url,
            "EVOLUTION_API_URL": gateway.url,
            "EVOLUTION_API_KEY": "stack-key",
            "EVOLUTION_WEBHOOK_SECRET": secret,
            "DEBUG": "true",
        }
        port = free_port()
        web = _start([*WEB_ARGV, "--port", str(port), "--log-level", "warning"], env)
        stack.callback(stop_process, web)
        client = stack.enter_context(httpx.Client())
        running = Stack(
            f"http://127.0.0.1:{port}", gateway, postgres, secret, client, env, worker_pool
        )
        _wait_ready(web, f"{running.base_url}/ready")
        running.start_worker()
        stack.callback(lambda: stop_process(running.worker))
        yield running


LOG_DIR = Path(tempfile.gettempdir()) / "clinicbot-stack-logs"


WORKER_NICENESS = STAND_IN_NICENESS


def _start(argv: list[str], env: dict, niceness: int = 0) -> subprocess.Popen:
    """Start a process with its stderr in a file of its own (LOG_DIR, named after its pid): an
    unread pipe would block the process once full, and the file is there to read after a
    failure."""
    LOG_DIR.mkdir(exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=LOG_DIR, prefix="starting-", delete=False) as log:
        process = subprocess.Popen(
            argv, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL, stderr=log
        )
    if niceness:
        # Set from here, not in the child before exec: this process runs threads (the fakes).
        # Milliseconds after the start, before Celery forks its pool, which inherits it.
        os.setpriority(os.PRIO_PROCESS, process.pid, niceness)
    process.log_path = Path(log.name).rename(LOG_DIR / f"{argv[2]}-{process.pid}.log")
    return process


def log_tail(process: subprocess.Popen, chars: int = 3000) -> str:
    return process.log_path.read_text(errors="replace")[-chars:]


def _wait_ready(process: subprocess.Popen, url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(log_tail(process, 2000))
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise TimeoutError(f"{url} not ready within {timeout} s")
