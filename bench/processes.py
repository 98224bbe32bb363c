"""Starting and stopping the benchmark's processes, so that none outlives the run.

Each process is started in a session of its own (gunicorn and Celery fork children: stopping
means signalling the whole process group), logs to .benchmarks/logs/NAME.log, and is asked to
die with the orchestrator (PR_SET_PDEATHSIG) in case the orchestrator itself is killed.
"""

from __future__ import annotations

import contextlib
import ctypes
import json
import os
import select
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
STOP_TIMEOUT_S = 10.0
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    # Runs in the child between fork and exec: SIGTERM it when the orchestrator dies.
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log_path: Path

    @property
    def running(self) -> bool:
        return self.popen.poll() is None


class Processes:
    """Every process the benchmark started; `stop_all()` (or leaving the `with`) stops them."""

    def __init__(self, log_dir: Path):
        self.log_dir = log_dir
        self.started: list[Process] = []
        log_dir.mkdir(parents=True, exist_ok=True)

    def __enter__(self) -> Processes:
        return self

    def __exit__(self, *exc_info) -> None:
        self.stop_all()

    def start(self, name: str, argv: list[str], env: dict, pipe_stdout: bool = False) -> Process:
        log_path = self.log_dir / f"{name}.log"
        log = log_path.open("wb")
        popen = subprocess.Popen(  # noqa: PLW1509  (preexec_fn: no threads run yet)
            argv,
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if pipe_stdout else log,
            stderr=log,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        log.close()  # the child holds its own descriptor
        process = Process(name, popen, log_path)
        self.started.append(process)
        return process

    def stop(self, process: Process) -> None:
        if process.running:
            # The master only: gunicorn and Celery stop their own children in order (a
            # signal to the whole group would kill a Celery child mid-task).
            with contextlib.suppress(ProcessLookupError):
                process.popen.send_signal(signal.SIGTERM)
            try:
                process.popen.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.popen.wait(STOP_TIMEOUT_S)
        # Children (gunicorn or Celery workers) may outlive a master that exited first.
        _signal_group(process, signal.SIGKILL)
        if process.popen.stdout:
            process.popen.stdout.close()
        if process in self.started:
            self.started.remove(process)

    def stop_all(self) -> None:
        for process in reversed(list(self.started)):
            self.stop(process)


def _signal_group(process: Process, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.popen.pid, signum)


# --- CPU accounting: how much of the machine the benchmark had -----------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _busy_seconds() -> float:
    """CPU time spent by everything on the machine (all cores), from /proc/stat."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


def _cpu_seconds(sessions: dict[int, str], database: str) -> tuple[dict[str, float], float]:
    """CPU time of (each process we started, with its children, by name, this process as
    "orchestrator"; the PostgreSQL backends serving `database`)."""
    ours: dict[str, float] = {}
    theirs = 0.0
    me = os.getpid()
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
            seconds = (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
            session = int(fields[3])
            if int(proc.name) == me or session in sessions:  # fields[3]: session id
                name = "orchestrator" if int(proc.name) == me else sessions[session]
                ours[name] = ours.get(name, 0.0) + seconds
            elif database.encode() in (proc / "cmdline").read_bytes():
                theirs += seconds
        except (OSError, ValueError):
            continue  # it exited meanwhile, or is not ours to read
    return ours, theirs


class CpuMeter:
    """Splits the machine's CPU time over an interval: the benchmark's own processes (the
    orchestrator with its load generator, and every process it started, each by name), the
    PostgreSQL backends of the benchmark's database, and the rest (Redis, which other users
    share, and anything else running on the machine)."""

    def __init__(self, running: Processes, database: str):
        self.running, self.database = running, database

    def sample(self) -> tuple[float, float, dict[str, float], float]:
        sessions = {p.popen.pid: p.name for p in self.running.started}
        ours, postgres = _cpu_seconds(sessions, self.database)
        return time.monotonic(), _busy_seconds(), ours, postgres

    @staticmethod
    def split(start, end) -> dict:
        """Cores busy on average over the interval, by who used them."""
        elapsed = max(end[0] - start[0], 1e-9)
        total = (end[1] - start[1]) / elapsed
        by_process = {
            name: (seconds - start[2].get(name, 0.0)) / elapsed for name, seconds in end[2].items()
        }
        ours = sum(by_process.values())
        postgres = (end[3] - start[3]) / elapsed
        return {
            "total": total,
            "bench_processes": ours,
            "by_process": by_process,
            "bench_postgres": postgres,
            "other": max(total - ours - postgres, 0.0),
        }


POSTGRES = "postgres"  # in wait_until_quiet's names: the benchmark database's backends too


def wait_until_quiet(
    meter: CpuMeter, names: set[str], below_cores: float = 0.05, timeout_s: float = 30
) -> float:
    """Wait until the named processes (each with its children; POSTGRES for the database's
    backends) together use under `below_cores` over half a second: started, forked and warmed
    up, or done with the previous run, so that what is measured next is the service, not its
    start-up or leftovers. Returns the seconds waited."""
    started = time.monotonic()
    before = meter.sample()
    while time.monotonic() - started < timeout_s:
        time.sleep(0.5)
        after = meter.sample()
        split = CpuMeter.split(before, after)
        busy = sum(split["by_process"].get(name, 0.0) for name in names)
        if POSTGRES in names:
            busy += split["bench_postgres"]
        if busy < below_cores:
            break
        before = after
    return time.monotonic() - started


def read_json_line(process: Process, timeout_s: float) -> dict:
    """The first stdout line of `process`, parsed as JSON (the fake gateway's address)."""
    ready, _, _ = select.select([process.popen.stdout], [], [], timeout_s)
    if not ready:
        raise RuntimeError(f"{process.name} printed nothing within {timeout_s} s")
    line = process.popen.stdout.readline()
    if not line:
        raise RuntimeError(f"{process.name} exited: see {process.log_path}")
    return json.loads(line)


def http_status(url: str, body: bytes | None = None, headers: dict | None = None) -> int:
    request = urllib.request.Request(url, data=body, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=2) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


def wait_until(process: Process, probe, timeout_s: float) -> None:
    """Poll `probe()` until it returns True; fail when the process exits or time runs out."""
    deadline = time.monotonic() + timeout_s
    while not probe():
        if not process.running:
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}: see "
                               f"{process.log_path}")  # fmt: skip
        if time.monotonic() > deadline:
            raise RuntimeError(f"{process.name} not ready within {timeout_s} s: see "
                               f"{process.log_path}")  # fmt: skip
        time.sleep(0.2)


def get_json(url: str, timeout_s: float = 10) -> object:
    with urllib.request.urlopen(url, timeout=timeout_s) as response:
        return json.loads(response.read())


def run_checked(argv: list[str], env: dict, what: str) -> str:
    """Run a short command to completion; raise with its output when it fails."""
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return done.stdout


def web_server_argv(app: str, port: int, workers: int = 2) -> list[str]:
    """The production web command (fly.toml, the README's processes), bound to loopback."""
    return [
        str(VENV_BIN / "gunicorn"),
        app,
        "-k",
        "uvicorn.workers.UvicornWorker",
        "-w",
        str(workers),
        "--backlog",
        "2048",
        "--bind",
        f"127.0.0.1:{port}",
        # Not in fly.toml's command's performance-relevant part: only bounds how long stopping
        # the benchmark's server can take.
        "--graceful-timeout",
        "5",
    ]


def celery_worker_argv(concurrency: int) -> list[str]:
    return [
        str(VENV_BIN / "celery"),
        "-A",
        "clinicbot",
        "worker",
        "--concurrency",
        str(concurrency),
        "--loglevel",
        "WARNING",
    ]
