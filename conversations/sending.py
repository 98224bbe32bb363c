"""Sending a WhatsApp text, through a backend chosen like Django's EMAIL_BACKEND.

- `evolution`: Evolution API v2 `POST /message/sendText/{instance}` over httpx.
- `console`: prints the reply (the default when EVOLUTION_API_URL is unset).
- `locmem`: keeps an outbox in memory, for tests.

A send reports one of three outcomes, because only one of them may be retried:
SENT (2xx), NOT_SENT (the gateway certainly did not send: connect error, 5xx, 429) and UNKNOWN
(the request went out but no answer came back in time: the gateway may have sent it, so sending
again could reach the patient twice; we never resend those).
"""

import asyncio
import enum
import logging
import sys
import threading
import uuid
import weakref
from dataclasses import dataclass

import httpcore
import httpx
from django.conf import settings
from django.utils.module_loading import import_string

from clinicbot.asyncio_network import AsyncioBackend

logger = logging.getLogger(__name__)

TIMEOUT = httpx.Timeout(connect=1.5, read=2.5, write=2.5, pool=5.0)
TIMEOUT_EXTENSION = TIMEOUT.as_dict()  # how httpx hands the timeouts to its transport
LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=30)
# Sends in flight at once per event loop; the rest wait their turn (at most the pool timeout).
# httpcore's pool checks every idle connection on each request (a poll() each): with dozens of
# connections open under load that was a fifth of the web worker's CPU, measured; a few
# connections kept busy serve a gateway that answers in milliseconds as fast.
SENDS_IN_FLIGHT = 4
BACKENDS = {
    "evolution": "conversations.sending.EvolutionBackend",
    "console": "conversations.sending.ConsoleBackend",
    "locmem": "conversations.sending.LocmemBackend",
}


class Outcome(enum.StrEnum):
    SENT = "sent"
    NOT_SENT = "not_sent"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class SendResult:
    outcome: Outcome
    gateway_id: str = ""
    detail: str = ""


class EvolutionBackend:
    def __init__(self):
        self.base_url = settings.EVOLUTION_API_URL
        self.headers = {"apikey": settings.EVOLUTION_API_KEY}
        self._async_lanes: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        self._sync_client = None
        self._lock = threading.Lock()

    def _url(self, instance: str) -> str:
        return f"{self.base_url}/message/sendText/{instance}"

    def _async_lane(self) -> tuple[httpx.AsyncHTTPTransport, asyncio.Semaphore]:
        # httpx's connection pool itself rather than an AsyncClient around it: the client's
        # layers (auth, redirects, cookies, event hooks) took a fifth of each send's CPU in the
        # request path, and a send to the gateway needs none of them. Its connections belong
        # to the event loop that opened them.
        loop = asyncio.get_running_loop()
        lane = self._async_lanes.get(loop)
        if lane is None:
            transport = _gateway_transport()
            lane = self._async_lanes[loop] = (transport, asyncio.Semaphore(SENDS_IN_FLIGHT))
        return lane

    def warm(self) -> None:
        """Build the running event loop's transport (its TLS context) ahead of the first send."""
        self._async_lane()

    def _client(self) -> httpx.Client:
        with self._lock:
            if self._sync_client is None:
                self._sync_client = httpx.Client(
                    headers=self.headers, timeout=TIMEOUT, limits=LIMITS
                )
            return self._sync_client

    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        request = httpx.Request(
            "POST",
            self._url(instance),
            headers=self.headers,
            json={"number": number, "text": text},
            extensions={"timeout": TIMEOUT_EXTENSION},
        )
        transport, turns = self._async_lane()
        try:
            if turns.locked():
                async with asyncio.timeout(TIMEOUT.pool):
                    await turns.acquire()
            else:
                await turns.acquire()
        except TimeoutError:
            return _result_of_error(httpx.PoolTimeout("no send slot within the pool timeout"))
        try:
            response = await transport.handle_async_request(request)
            try:
                await response.aread()
            finally:
                await response.aclose()
        except httpx.HTTPError as exc:
            return _result_of_error(exc)
        finally:
            turns.release()
        return _result_of(response)

    def send(self, *, instance: str, number: str, text: str) -> SendResult:
        try:
            body = {"number": number, "text": text}
            return _result_of(self._client().post(self._url(instance), json=body))
        except httpx.HTTPError as exc:
            return _result_of_error(exc)


def _gateway_transport() -> httpx.AsyncHTTPTransport:
    """httpx's transport on httpcore's pool, the pool on clinicbot.asyncio_network's sockets.
    httpx offers no argument for the network backend: the pool it built is replaced by the
    same pool with ours (tests/test_asyncio_network.py checks that this stays so)."""
    ssl_context = httpx.create_ssl_context()
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=LIMITS, http1=True, http2=False)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=LIMITS.max_connections,
        max_keepalive_connections=LIMITS.max_keepalive_connections,
        keepalive_expiry=LIMITS.keepalive_expiry,
        http1=True,
        http2=False,
        network_backend=AsyncioBackend(),
    )
    return transport


def _result_of(response: httpx.Response) -> SendResult:
    if response.is_success:
        return SendResult(Outcome.SENT, gateway_id=_gateway_id(response))
    # Evolution answers 400 for a number not on WhatsApp or a Baileys failure, 401/404 for
    # configuration errors, 5xx when it is down: in every case nothing reached the patient.
    return SendResult(Outcome.NOT_SENT, detail=f"HTTP {response.status_code}")


def _result_of_error(exc: httpx.HTTPError) -> SendResult:
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return SendResult(Outcome.NOT_SENT, detail=exc.__class__.__name__)
    return SendResult(Outcome.UNKNOWN, detail=exc.__class__.__name__)


def _gateway_id(response: httpx.Response) -> str:
    try:
        return str(response.json().get("key", {}).get("id", ""))
    except (ValueError, AttributeError):
        return ""


class ConsoleBackend:
    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        return self.send(instance=instance, number=number, text=text)

    def send(self, *, instance: str, number: str, text: str) -> SendResult:
        sys.stdout.write(f"[whatsapp {instance} -> ...{number[-2:]}] {text}\n")
        sys.stdout.flush()
        return SendResult(Outcome.SENT)


class LocmemBackend:
    """Keeps every send in `outbox` (shared by all instances in the process), for tests."""

    outbox: list[dict] = []

    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        return self.send(instance=instance, number=number, text=text)

    def send(self, *, instance: str, number: str, text: str) -> SendResult:
        self.outbox.append({"instance": instance, "number": number, "text": text})
        return SendResult(Outcome.SENT, gateway_id=f"locmem-{uuid.uuid4().hex}")


_backend = None
_backend_settings = None


def get_backend():
    """The configured backend, built once per process (and rebuilt if its settings change)."""
    global _backend, _backend_settings
    current = (settings.WHATSAPP_BACKEND, settings.EVOLUTION_API_URL, settings.EVOLUTION_API_KEY)
    if _backend is None or current != _backend_settings:
        _backend = import_string(BACKENDS.get(current[0], current[0]))()
        _backend_settings = current
    return _backend
