"""Shared checks for the test doubles: no test may leave a thread behind."""

from __future__ import annotations

import json
import select
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def no_thread_outlives_its_test():
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 3.0
    for thread in set(threading.enumerate()) - before:
        thread.join(max(0.0, deadline - time.monotonic()))
    leftovers = [t.name for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not leftovers, f"threads left running: {leftovers}"


@pytest.fixture
def run_module():
    """Start `python -m MODULE ARGS` and return (process, url) once it prints its URL."""
    processes: list[subprocess.Popen] = []

    def start(module: str, *arguments: str) -> tuple[subprocess.Popen, str]:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *arguments],
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        processes.append(process)
        ready, _, _ = select.select([process.stdout], [], [], 10.0)
        assert ready, f"{module} printed nothing within 10 s"
        return process, json.loads(process.stdout.readline())["url"]

    yield start
    for process in processes:
        process.terminate()
        process.wait(timeout=5)
        process.stdout.close()
