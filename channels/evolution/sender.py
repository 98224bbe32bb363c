"""Sending a WhatsApp text through Evolution API v2: `POST /message/sendText/{instance}`, over
aiohttp, from the web's event loop and from the Celery tasks' (clinicbot.runtime.aio).

A send reports one of three outcomes (channels.base.Outcome), because only one of them may be
retried: SENT (2xx), NOT_SENT (the gateway certainly did not send: connect error, 4xx, 5xx) and
UNKNOWN (the request went out but no answer came back in time: the gateway may have sent it, so
sending again could reach the patient twice; we never resend those).
"""

import asyncio
import json
import logging
import weakref

import aiohttp
import httpx

from channels.base import Outcome, SendResult
from clinicbot.runtime import aio

logger = logging.getLogger(__name__)

# The gateway's timeouts (clinicbot/tests/test_timeouts.py lists every outside call's).
TIMEOUT = httpx.Timeout(connect=1.5, read=2.5, write=2.5, pool=5.0)
KEEPALIVE_S = 30  # an idle connection to the gateway is kept this long
# Sends in flight at once per event loop; the rest wait their turn (at most the pool timeout).
# A few connections kept busy serve a gateway that answers in milliseconds as fast as many.
SENDS_IN_FLIGHT = 4


class EvolutionSender:
    """Sends from the event loop go through aiohttp, sends from sync code (Celery tasks) through
    httpx. aiohttp because a send is on the webhook's path, where every bit of CPU is taken from
    the event loop: aiohttp parses HTTP in C, while httpx's async pool does its parsing (h11) and
    its connection bookkeeping in Python, per request (the README has the measurement)."""

    def __init__(self, base_url: str, api_key: str):
        self.base_url = base_url
        self.headers = {"apikey": api_key}
        self._sessions: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
        # Loading the trust store takes a while: here, off the request path (the web's warm-up
        # builds every channel's sender), not in the first patient's send.
        self._ssl = httpx.create_ssl_context()  # the same trust store as the sync client
        aio.on_loop_close(self.aclose)

    def _url(self, instance: str) -> str:
        return f"{self.base_url}/message/sendText/{instance}"

    def _session(self) -> aiohttp.ClientSession:
        # A session and its connections belong to the event loop that opened them.
        loop = asyncio.get_running_loop()
        session = self._sessions.get(loop)
        if session is None or session.closed:
            session = self._sessions[loop] = _gateway_session(self.headers, self._ssl)
        return session

    def warm(self) -> None:
        """Build the running event loop's session ahead of the first send."""
        self._session()

    async def aclose(self) -> None:
        """Close the running event loop's connections (at shutdown, and after each test)."""
        session = self._sessions.pop(asyncio.get_running_loop(), None)
        if session is not None:
            await session.close()

    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        body = json.dumps({"number": number, "text": text}, ensure_ascii=False).encode()
        try:
            async with self._session().post(self._url(instance), data=body) as response:
                answer = await response.read()
        except (aiohttp.ClientError, TimeoutError) as exc:
            return _result_of_async_error(exc)
        if 200 <= response.status < 300:
            return SendResult(Outcome.SENT, gateway_id=_gateway_id(answer))
        return _not_sent(response.status)


def _gateway_session(headers: dict, ssl_context) -> aiohttp.ClientSession:
    connector = aiohttp.TCPConnector(
        limit=SENDS_IN_FLIGHT,  # the rest wait for a connection, within the pool timeout
        keepalive_timeout=KEEPALIVE_S,
        ssl=ssl_context,
    )
    timeout = aiohttp.ClientTimeout(
        # aiohttp has no write timeout: the whole send is bounded by the sum instead. Our
        # bodies are a few KB, which the socket's buffer takes without waiting.
        total=TIMEOUT.pool + TIMEOUT.connect + TIMEOUT.write + TIMEOUT.read,
        connect=TIMEOUT.pool + TIMEOUT.connect,  # a free connection, then opening it
        sock_connect=TIMEOUT.connect,
        sock_read=TIMEOUT.read,
    )
    return aiohttp.ClientSession(
        connector=connector,
        timeout=timeout,
        headers=headers | {"Content-Type": "application/json"},
        cookie_jar=aiohttp.DummyCookieJar(),  # the gateway sets none; skip the jar's work
    )


def _not_sent(status: int) -> SendResult:
    # Evolution answers 400 for a number not on WhatsApp or a Baileys failure, 401/404 for
    # configuration errors, 5xx when it is down: in every case nothing reached the patient.
    return SendResult(Outcome.NOT_SENT, detail=f"HTTP {status}")


def _result_of_async_error(exc: Exception) -> SendResult:
    # Connecting failed or no connection came free in time: the request never went out.
    if isinstance(exc, aiohttp.ClientConnectorError | aiohttp.ConnectionTimeoutError):
        return SendResult(Outcome.NOT_SENT, detail=exc.__class__.__name__)
    # Anything later (a read timeout, a dropped connection) may follow a send the gateway made.
    return SendResult(Outcome.UNKNOWN, detail=exc.__class__.__name__)


def _gateway_id(answer: bytes) -> str:
    try:
        return str(json.loads(answer).get("key", {}).get("id", ""))
    except (ValueError, AttributeError):
        return ""
