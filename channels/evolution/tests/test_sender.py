"""The gateway client's sends from the event loop (channels.evolution.sender, over aiohttp) against
real loopback servers: keep-alive reuse, a connection the server closed while idle, and every
failure classified as the outbox expects (only a send the gateway certainly did not perform is
ever tried again)."""

import asyncio
import datetime as dt
import ipaddress
import json
import ssl

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from channels.base import Outcome, SendResult
from channels.evolution import sender as sending
from channels.evolution.sender import EvolutionSender
from testing.servers import free_port


class TinyServer:
    """An HTTP/1.1 server on loopback that answers every request with `status` and `body`, and
    can close each connection after one answer or never answer at all."""

    def __init__(self, body=b'{"key": {"id": "g1"}}', *, status=201, close_after=False, mute=False):
        self.body, self.status = body, status
        self.close_after, self.mute = close_after, mute
        self.connections, self.requests = 0, []
        self.server = None

    async def start(self, ssl_context=None):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=ssl_context)
        return self

    async def __aenter__(self):
        return await self.start()

    async def __aexit__(self, *exc):
        self.server.close()

    @property
    def port(self) -> int:
        return self.server.sockets[0].getsockname()[1]

    async def _serve(self, reader, writer):
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                lines = head.split(b"\r\n")
                length = next(
                    int(h.split(b":")[1]) for h in lines if h.lower().startswith(b"content-length")
                )
                self.requests.append((lines, await reader.readexactly(length)))
                if self.mute:
                    await asyncio.sleep(60)
                writer.write(
                    f"HTTP/1.1 {self.status} X\r\nContent-Type: application/json\r\n".encode()
                    + f"Content-Length: {len(self.body)}\r\n\r\n".encode()
                    + self.body
                )
                await writer.drain()
                if self.close_after:
                    break
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
def sender_to(settings):
    """A gateway sender pointed at a server (each test closes its connections)."""

    def build(base_url: str) -> EvolutionSender:
        return EvolutionSender(base_url, "gateway-key")

    return build


async def send(sender: EvolutionSender) -> SendResult:
    return await sender.asend(instance="smile-main", number="5511987654321", text="Olá")


async def test_sends_reuse_one_keep_alive_connection_and_read_the_gateway_id(sender_to):
    async with TinyServer() as server:
        sender = sender_to(f"http://127.0.0.1:{server.port}")
        results = [await send(sender) for _ in range(3)]
        await sender.aclose()
    assert [r.outcome for r in results] == [Outcome.SENT] * 3
    assert results[0].gateway_id == "g1"
    assert server.connections == 1
    lines, body = server.requests[0]
    assert lines[0] == b"POST /message/sendText/smile-main HTTP/1.1"
    assert b"apikey: gateway-key" in [line.lower() for line in lines]
    assert json.loads(body) == {"number": "5511987654321", "text": "Olá"}


async def test_a_connection_the_server_closed_while_idle_is_replaced_without_error(sender_to):
    async with TinyServer(close_after=True) as server:
        sender = sender_to(f"http://127.0.0.1:{server.port}")
        first = await send(sender)
        await asyncio.sleep(0.05)  # the server's close reaches us while the connection is idle
        second = await send(sender)
        await sender.aclose()
    assert (first.outcome, second.outcome) == (Outcome.SENT, Outcome.SENT)
    assert server.connections == 2


async def test_no_answer_in_time_is_an_unknown_outcome(sender_to, monkeypatch):
    monkeypatch.setattr(sending, "TIMEOUT", httpx.Timeout(5, read=0.2))
    async with TinyServer(mute=True) as server:
        sender = sender_to(f"http://127.0.0.1:{server.port}")
        result = await send(sender)
        await sender.aclose()
    assert result.outcome == Outcome.UNKNOWN  # it went out: sending again could double it
    assert len(server.requests) == 1


async def test_a_refused_connection_is_nothing_sent(sender_to):
    sender = sender_to(f"http://127.0.0.1:{free_port()}")
    result = await send(sender)
    await sender.aclose()
    assert result.outcome == Outcome.NOT_SENT


async def test_a_gateway_error_is_nothing_sent(sender_to):
    async with TinyServer(b'{"error": "down"}', status=500) as server:
        sender = sender_to(f"http://127.0.0.1:{server.port}")
        result = await send(sender)
        await sender.aclose()
    assert (result.outcome, result.detail) == (Outcome.NOT_SENT, "HTTP 500")


def self_signed_certificate(tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=1))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


async def test_https_sends_verify_the_gateway_certificate(sender_to, tmp_path, monkeypatch):
    cert_path, key_path = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    server = await TinyServer().start(server_context)
    try:
        untrusting = sender_to(f"https://127.0.0.1:{server.port}")
        refused = await send(untrusting)  # the default trust store does not know this cert
        await untrusting.aclose()
        trusted = ssl.create_default_context(cafile=str(cert_path))
        monkeypatch.setattr(sending.httpx, "create_ssl_context", lambda: trusted)
        trusting = sender_to(f"https://127.0.0.1:{server.port}")
        sent = await send(trusting)
        await trusting.aclose()
    finally:
        server.server.close()
    assert (refused.outcome, refused.detail) == (
        Outcome.NOT_SENT,
        "ClientConnectorCertificateError",
    )
    assert (sent.outcome, sent.gateway_id) == (Outcome.SENT, "g1")


SEND_AND_EXIT = """
import django
django.setup()
from clinicbot.runtime import aio
from channels.registry import sender_for
sending = sender_for("evolution").asend(instance="smile-main", number="5511987654321", text="hi")
result = aio.run(sending)
print(result.outcome)
"""


def test_a_process_that_sent_from_its_background_loop_exits_without_aiohttp_warnings():
    """Celery tasks send through clinicbot.runtime.aio's background loop, which never ends: the
    connections are closed at exit instead of leaving aiohttp's 'Unclosed client session'."""
    import subprocess
    import sys

    from testing.fake_evolution import FakeEvolution
    from testing.servers import PROJECT_ROOT, clean_environment

    with FakeEvolution(api_key="k") as gateway:
        environment = clean_environment(
            DEBUG="true",
            DJANGO_SETTINGS_MODULE="clinicbot.settings",
            EVOLUTION_API_URL=gateway.url,
            EVOLUTION_API_KEY="k",
        )
        finished = subprocess.run(
            [sys.executable, "-c", SEND_AND_EXIT],
            cwd=PROJECT_ROOT,
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert finished.stdout.strip() == "sent", finished.stderr
    assert "Unclosed" not in finished.stderr
