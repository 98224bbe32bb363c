"""Webhook bodies through the real server, gunicorn with two uvicorn workers as deployed: a client
that sends its body slowly, or stops, holds up no one else's webhook and is dropped when the
read's deadline passes (408); an oversized body is refused without being read to its end and
leaves nothing on disk (413); a media body up to the limit is answered, its file held once
(over 5 MiB, a body without media is refused)."""

import base64
import json
import os
import select
import socket
import time
from contextlib import ExitStack, closing, contextmanager
from pathlib import Path

import httpx
import pytest

from channels.evolution.tests.helpers import fixture_body
from conversations.models import Message
from conversations.tests.conftest import PATIENT, SECRET, text_message
from testing.fake_evolution import FakeEvolution
from testing.servers import child_pids, clean_environment, running_server

pytestmark = pytest.mark.django_db(transaction=True)

MiB = 1024 * 1024
WORKERS = 2
SLOW_CLIENTS = 8
ANSWER_TIMEOUT = 30  # seconds: generous, the machine may be busy; not a timing target
CONTENT_TYPE = b"Content-Type: application/json\r\n"


@pytest.fixture
def server_temp(tmp_path) -> Path:
    """The server's temporary directory (TMPDIR), empty at the start."""
    directory = tmp_path / "server-tmp"
    directory.mkdir()
    return directory


@contextmanager
def gunicorn(settings, server_temp: Path, read_timeout: float):
    database = settings.DATABASES["default"]["NAME"]
    with ExitStack() as stack:
        gateway = stack.enter_context(FakeEvolution(api_key="bodies-key"))
        environment = clean_environment(
            DEBUG="true",
            DATABASE_URL=settings.DATABASE_URL.rsplit("/", 1)[0] + f"/{database}",
            REDIS_URL=settings.REDIS_URL,
            EVOLUTION_API_URL=gateway.url,
            EVOLUTION_API_KEY="bodies-key",
            EVOLUTION_WEBHOOK_SECRET=SECRET,
            REQUEST_BODY_READ_TIMEOUT=str(read_timeout),
            TMPDIR=str(server_temp),
        )
        base_url = stack.enter_context(
            running_server(environment, timeout=60, gunicorn_workers=WORKERS)
        )
        _wait_for_workers(base_url.process.pid)
        base_url.gateway = gateway
        yield base_url


def _wait_for_workers(master: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while len(child_pids(master)) < WORKERS:
        assert time.monotonic() < deadline, "gunicorn did not start its workers"
        time.sleep(0.2)


def files_open_in(directory: Path, master: int) -> list[str]:
    """What the server's processes hold open in `directory` (a spooled body is an unlinked file
    there, which a listing of the directory would not show), but gunicorn's worker heartbeats."""
    held = []
    for pid in [master, *child_pids(master)]:
        fd_dir = Path(f"/proc/{pid}/fd")
        for fd in fd_dir.iterdir() if fd_dir.exists() else ():
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith(str(directory)) and "/wgunicorn-" not in target:
                held.append(target)
    return held


def connect(base_url: str) -> socket.socket:
    host, port = base_url.removeprefix("http://").split(":")
    return socket.create_connection((host, int(port)), timeout=ANSWER_TIMEOUT)


def request_head(content_length: int | None) -> bytes:
    length = (
        b"Transfer-Encoding: chunked\r\n"
        if content_length is None
        else f"Content-Length: {content_length}\r\n".encode()
    )
    start = b"POST /webhooks/evolution HTTP/1.1\r\nHost: 127.0.0.1\r\n"
    return start + CONTENT_TYPE + length + b"\r\n"


def answer_of(sock: socket.socket) -> bytes:
    """The bytes the server sent until it closed the connection (or ANSWER_TIMEOUT passed)."""
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except (TimeoutError, ConnectionResetError):
        pass
    return received


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


def nothing_received(sock: socket.socket) -> bool:
    readable, _, _ = select.select([sock], [], [], 0)
    return not readable


def post_signed(base_url: str, body: dict | bytes, tries: int = 5) -> httpx.Response:
    """Post as the gateway does, which retries a 503 (a worker just started may answer one while
    its caches are cold and the machine is busy)."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    for _ in range(tries):
        response = httpx.post(
            f"{base_url}/webhooks/evolution",
            content=raw,
            timeout=ANSWER_TIMEOUT,
            headers={"X-Webhook-Secret": SECRET, "Content-Type": "application/json"},
        )
        if response.status_code != 503:
            break
        time.sleep(0.5)
    return response


@pytest.mark.timeout(240)
def test_stalled_bodies_hold_up_no_signed_webhook(settings, clinic, server_temp):
    with gunicorn(settings, server_temp, read_timeout=600) as base_url, ExitStack() as stack:
        slow = []
        for _ in range(SLOW_CLIENTS):  # a head, the start of a body, then nothing
            sock = stack.enter_context(closing(connect(base_url)))
            sock.sendall(request_head(100_000) + b'{"a":')
            slow.append(sock)
        answers = [
            post_signed(base_url, text_message("Здравствуйте", phone=f"7966100{n:04d}"))
            for n in range(5)
        ]
        still_waiting = [nothing_received(sock) for sock in slow]
    assert [(answer.status_code, answer.text) for answer in answers] == [
        (200, '{"status": "accepted"}')
    ] * 5
    assert still_waiting == [True] * SLOW_CLIENTS  # not answered merely by dropping them first


@pytest.mark.timeout(240)
def test_a_body_not_sent_within_the_read_deadline_gets_408(settings, clinic, server_temp):
    with gunicorn(settings, server_temp, read_timeout=1) as base_url:
        with closing(connect(base_url)) as stalled:
            stalled.sendall(request_head(100_000) + b'{"a":')
            stalled_answer = answer_of(stalled)
        with closing(connect(base_url)) as dribbling:  # a byte at a time, each in good time
            dribbling.sendall(request_head(100_000))
            dribbling.settimeout(0.2)
            deadline = time.monotonic() + ANSWER_TIMEOUT
            while nothing_received(dribbling) and time.monotonic() < deadline:
                dribbling.sendall(b" ")
                time.sleep(0.2)
            dribbling.settimeout(ANSWER_TIMEOUT)
            dribbling_answer = answer_of(dribbling)
        answer = post_signed(base_url, text_message("Здравствуйте"))
    assert status_of(stalled_answer) == 408
    assert status_of(dribbling_answer) == 408
    assert answer.json() == {"status": "accepted"}


@pytest.mark.timeout(240)
def test_a_declared_oversized_body_gets_413_before_it_is_sent(settings, clinic, server_temp):
    with gunicorn(settings, server_temp, read_timeout=600) as base_url:
        with closing(connect(base_url)) as sock:
            sock.sendall(request_head(100 * MiB) + b" " * 65536)  # the rest is never sent
            answer = answer_of(sock)
        held = files_open_in(server_temp, base_url.process.pid)
    assert status_of(answer) == 413
    assert held == []
    assert list(server_temp.iterdir()) == []


@pytest.mark.timeout(240)
def test_a_chunked_oversized_body_gets_413_once_past_the_limit_and_is_never_spooled(
    settings, clinic, server_temp
):
    chunk = b" " * MiB
    framed = f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n"
    sent, held = 0, []
    server = gunicorn(settings, server_temp, read_timeout=600)
    with server as base_url, closing(connect(base_url)) as sock:
        sock.sendall(request_head(None))
        try:
            while sent < 100 * MiB and nothing_received(sock):
                sock.sendall(framed)
                sent += len(chunk)
                if sent == 20 * MiB:  # well past Django's 2.5 MiB spooled in memory
                    held = files_open_in(server_temp, base_url.process.pid)
            if nothing_received(sock):
                sock.sendall(b"0\r\n\r\n")
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server answered and closed while this was sending
        answer = answer_of(sock)
    assert held == []
    assert status_of(answer) == 413
    assert sent < 100 * MiB  # the server stopped reading past the limit
    assert list(server_temp.iterdir()) == []


def image_with_file(file_bytes: int, caption: str, message_id: str) -> bytes:
    """An image message with its file in `data.message.base64`, as Evolution's webhook base64
    posts it. The file is joined in as bytes (as a str it would take the memory twice more)."""
    body = fixture_body("v2_image_with_caption")
    body["data"]["key"].update(remoteJid=f"{PATIENT}@s.whatsapp.net", id=message_id)
    body["data"]["message"]["imageMessage"]["caption"] = caption
    head, tail = json.dumps(body).encode().split(b'"imageMessage"', 1)
    file = base64.b64encode(os.urandom(file_bytes))
    return b"".join([head, b'"base64": "', file, b'", "imageMessage"', tail])


def peak_memory(pid: int) -> int:
    """The process's peak resident memory so far (VmHWM), in bytes."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) * 1024 for line in status.splitlines() if "VmHWM" in line)


def stored(message_id: str, timeout: float = ANSWER_TIMEOUT) -> bool:
    deadline = time.monotonic() + timeout
    while not Message.objects.filter(wa_message_id=message_id).exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)
    return True


@pytest.mark.timeout(240)
def test_a_40_mib_image_is_answered_stored_and_held_once(
    settings, clinic, server_temp, celery_worker_thread
):
    body = image_with_file(30 * MiB, "Здравствуйте", "3EB0BIGIMAGE0001")
    with gunicorn(settings, server_temp, read_timeout=600) as base_url:
        assert post_signed(base_url, text_message("Привет", phone="79661009999")).status_code == 200
        base_url.gateway.wait_for(1, timeout=ANSWER_TIMEOUT)
        workers = child_pids(base_url.process.pid)
        before = sum(peak_memory(pid) for pid in workers)
        answer = post_signed(base_url, body)
        growth = sum(peak_memory(pid) for pid in workers) - before
        [reply] = base_url.gateway.wait_for(2, timeout=ANSWER_TIMEOUT)[1:]
        was_stored = stored("3EB0BIGIMAGE0001")
    assert len(body) > 40 * MiB
    assert (answer.status_code, answer.json()) == (200, {"status": "accepted"})
    assert reply["number"] == PATIENT  # the caption, answered
    assert was_stored
    # The body held once (it was read whole), not twice or more: neither joined from its
    # chunks nor decoded into strings as big.
    assert growth < 1.5 * len(body)


@pytest.mark.timeout(240)
def test_a_6_mib_body_without_media_gets_413(settings, clinic, server_temp):
    with gunicorn(settings, server_temp, read_timeout=600) as base_url:
        answer = post_signed(base_url, text_message("x" * (6 * MiB)))
        sent = base_url.gateway.sent()
    assert answer.status_code == 413
    assert sent == []
