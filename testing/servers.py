"""Starts the real ASGI server in a subprocess for tests that need a whole process: uvicorn, or
gunicorn with uvicorn workers as deployed (fly.toml)."""

import os
import shlex
import socket
import subprocess
import sys
import time
import tomllib
from contextlib import contextmanager
from pathlib import Path

import httpx

from testing.pytest_env import TEST_KEYS

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment(**overrides: str) -> dict[str, str]:
    """The process environment without any clinicbot variable, plus the overrides."""
    names = {
        "DEBUG",
        "SECRET_KEY",
        "ALLOWED_HOSTS",
        "DATABASE_URL",
        "REDIS_URL",
        "CELERY_BROKER_URL",
        "EVOLUTION_API_URL",
        "EVOLUTION_API_KEY",
        "EVOLUTION_WEBHOOK_SECRET",
        "OPENAI_API_KEY",
        "OPENAI_BASE_URL",
        "PHI_MASTER_KEY",
        "PHI_RSA_PRIVATE_KEY",
        "HIPAA_AUDIT_KEY",
        "DJANGO_SETTINGS_MODULE",
        "REQUEST_BODY_READ_TIMEOUT",
        "CLIENT_IP_HEADER",
    }
    environment = {k: v for k, v in os.environ.items() if k not in names}
    # The service refuses to start without its keys: give it this run's test keys, unless an
    # override names a key (an empty value counts as unset).
    return environment | TEST_KEYS | overrides


@contextmanager
def running_server(
    environment: dict[str, str],
    cwd: Path = PROJECT_ROOT,
    timeout: float = 20,
    gunicorn_workers: int = 0,
):
    """The server on a free port; with `gunicorn_workers`, gunicorn's master and that many
    uvicorn workers, as fly.toml starts them (the master's process is `base_url.process`)."""
    port = free_port()
    if gunicorn_workers:
        command = production_web_argv(port, workers=gunicorn_workers, extra=QUIET_GUNICORN)
    else:
        command = _uvicorn(port)
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = ServerURL(f"http://127.0.0.1:{port}")
    base_url.process = process
    try:
        _wait_until_listening(process, base_url, timeout)
        yield base_url
    finally:
        stop_process(process)


class ServerURL(str):
    """The server's base URL, which also knows the server's process."""

    process: subprocess.Popen


def _uvicorn(port: int) -> list[str]:
    return [
        *(sys.executable, "-m", "uvicorn", "clinicbot.asgi:application"),
        *("--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"),
    ]


# Flags after fly.toml's own override them: quieter, and a test's server stops sooner.
QUIET_GUNICORN = ("--log-level", "warning", "--graceful-timeout", "5")


def child_pids(pid: int) -> list[int]:
    """The processes whose parent is `pid` (a gunicorn master's workers), from /proc."""
    children = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue  # it exited meanwhile
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(entry.name))
    return sorted(children)


def stop_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, and SIGKILL if it has not exited within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


def _wait_until_listening(
    process: subprocess.Popen, base_url: str, timeout: float, log: Path | None = None
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            output += log.read_text(errors="replace") if log else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            httpx.get(f"{base_url}/health", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"server did not answer within {timeout} s")


def production_web_argv(port: int, *, workers: int = 1, extra: tuple[str, ...] = ()) -> list[str]:
    """fly.toml's web command as deployed (gunicorn, uvicorn workers, its flags), bound to
    loopback on `port` with `workers` workers, plus `extra` flags."""
    fly = tomllib.loads((PROJECT_ROOT / "fly.toml").read_text())
    args = shlex.split(fly["processes"]["web"])
    assert args[0] == "gunicorn"
    args[args.index("-w") + 1] = str(workers)
    args[args.index("--bind") + 1] = f"127.0.0.1:{port}"
    return [sys.executable, "-m", "gunicorn", *args[1:], *extra]


@contextmanager
def running_production_server(environment: dict[str, str], log: Path, *, extra=(), timeout=30):
    """The production web command (production_web_argv) in a subprocess, everything it writes
    in the file `log`; yields its base URL."""
    port = free_port()
    with open(log, "wb") as output:
        process = subprocess.Popen(
            production_web_argv(port, extra=tuple(extra)),
            cwd=PROJECT_ROOT,
            env=environment,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(process, base_url, timeout, log=log)
        yield base_url
    finally:
        stop_process(process, timeout=20)
