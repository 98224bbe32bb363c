"""The gateway sends' network backend (clinicbot.asyncio_network) against real loopback servers:
keep-alive reuse, a connection the server closed while idle, timeouts and refused connections
classified as the send outcomes expect, a large answer, and TLS."""

import asyncio
import datetime as dt
import ipaddress
import ssl

import httpcore
import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from clinicbot.asyncio_network import AsyncioBackend
from clinicbot.tests.servers import free_port
from conversations.sending import Outcome, _gateway_transport, _result_of_error


class TinyServer:
    """An HTTP/1.1 server on loopback that answers every request with `body`, and can close
    each connection after one answer or never answer at all."""

    def __init__(self, body: bytes = b'{"key": {"id": "g1"}}', *, close_after=False, mute=False):
        self.body, self.close_after, self.mute = body, close_after, mute
        self.connections = 0
        self.server = None

    async def __aenter__(self):
        self.server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        return self

    async def __aexit__(self, *exc):
        self.server.close()

    @property
    def url(self) -> str:
        port = self.server.sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}/message/sendText/smile-main"

    async def _serve(self, reader, writer):
        self.connections += 1
        try:
            while head := await reader.readuntil(b"\r\n\r\n"):
                length = int(
                    next(
                        line.split(b":")[1]
                        for line in head.split(b"\r\n")
                        if line.lower().startswith(b"content-length")
                    )
                )
                await reader.readexactly(length)
                if self.mute:
                    await asyncio.sleep(60)
                writer.write(
                    b"HTTP/1.1 201 Created\r\nContent-Type: application/json\r\n"
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


async def post(client: httpx.AsyncClient, url: str, **kwargs) -> httpx.Response:
    return await client.post(url, json={"number": "5511987654321", "text": "hi"}, **kwargs)


def test_the_gateway_transport_uses_the_asyncio_backend():
    # sending._gateway_transport replaces httpx's pool: an httpx upgrade must not undo it.
    transport = _gateway_transport()
    assert isinstance(transport._pool._network_backend, AsyncioBackend)


async def test_requests_reuse_one_keep_alive_connection():
    async with TinyServer() as server, httpx.AsyncClient(transport=_gateway_transport()) as c:
        answers = [await post(c, server.url) for _ in range(3)]
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert answers[0].json() == {"key": {"id": "g1"}}
    assert server.connections == 1


async def test_a_connection_the_server_closed_while_idle_is_replaced_without_error():
    async with (
        TinyServer(close_after=True) as server,
        httpx.AsyncClient(transport=_gateway_transport()) as client,
    ):
        first = await post(client, server.url)
        await asyncio.sleep(0.05)  # the server's close reaches us while the connection is idle
        second = await post(client, server.url)
    assert (first.status_code, second.status_code) == (201, 201)
    assert server.connections == 2


async def test_no_answer_is_a_read_timeout_and_an_unknown_outcome():
    async with (
        TinyServer(mute=True) as server,
        httpx.AsyncClient(transport=_gateway_transport()) as client,
    ):
        with pytest.raises(httpx.ReadTimeout) as caught:
            await post(client, server.url, timeout=httpx.Timeout(5, read=0.2))
    assert _result_of_error(caught.value).outcome == Outcome.UNKNOWN


async def test_a_refused_connection_is_a_connect_error_and_nothing_sent():
    url = f"http://127.0.0.1:{free_port()}/message/sendText/smile-main"
    async with httpx.AsyncClient(transport=_gateway_transport()) as client:
        with pytest.raises(httpx.ConnectError) as caught:
            await post(client, url)
    assert _result_of_error(caught.value).outcome == Outcome.NOT_SENT


async def test_a_large_answer_arrives_whole():
    body = b"x" * (3 * 1024 * 1024 + 7)  # past the read high-water mark, so reading pauses
    async with TinyServer(body) as server, httpx.AsyncClient(transport=_gateway_transport()) as c:
        answer = await post(c, server.url)
    assert answer.content == body


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


async def test_https_goes_through_the_tls_handshake(tmp_path):
    cert_path, key_path = self_signed_certificate(tmp_path)
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_context.load_cert_chain(cert_path, key_path)
    client_context = ssl.create_default_context(cafile=str(cert_path))
    tiny = TinyServer()

    server = await asyncio.start_server(tiny._serve, "127.0.0.1", 0, ssl=server_context)
    port = server.sockets[0].getsockname()[1]
    pool = httpcore.AsyncConnectionPool(
        ssl_context=client_context, network_backend=AsyncioBackend()
    )
    try:
        url = f"https://127.0.0.1:{port}/message/sendText/smile-main"
        answer = await pool.request("POST", url, content=b"{}")
        refused = httpcore.AsyncConnectionPool(network_backend=AsyncioBackend())
        with pytest.raises(httpcore.ConnectError):  # the default trust store rejects the cert
            await refused.request("POST", url, content=b"{}")
    finally:
        await pool.aclose()
        server.close()
    assert answer.status == 201
    assert answer.content == b'{"key": {"id": "g1"}}'
