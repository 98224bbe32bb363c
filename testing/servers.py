"""Starts the real ASGI server (uvicorn) in a subprocess for tests that need a whole process."""

import os
import socket
import subprocess
import sys
import time
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
    }
    environment = {k: v for k, v in os.environ.items() if k not in names}
    # The service refuses to start without its keys: give it this run's test keys, unless an
    # override names a key (an empty value counts as unset).
    return environment | TEST_KEYS | overrides


@contextmanager
def running_server(environment: dict[str, str], cwd: Path = PROJECT_ROOT, timeout: float = 20):
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "clinicbot.asgi:application",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(
        command, cwd=cwd, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_listening(process, base_url, timeout)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def _wait_until_listening(process: subprocess.Popen, base_url: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise RuntimeError(f"server exited with {process.returncode}:\n{output}")
        try:
            httpx.get(f"{base_url}/health", timeout=0.5)
            return
        except httpx.TransportError:
            time.sleep(0.1)
    raise TimeoutError(f"server did not answer within {timeout} s")
