"""A message's file, fetched from Evolution API v2 on demand: `POST
/chat/getBase64FromMediaMessage/{instance}` with the message's id.

Evolution looks the message up in its own store, downloads the file from WhatsApp's servers,
decrypts it and answers 201 with `{mediaType, fileName, caption, size, mimetype, base64, ...}`;
a message it does not know, or one without a file, is a 400 ("Message not found", "The message
is not of the media type"). Webhooks carry no file unless the gateway is set to send base64, and
clinicbot keeps none: staff opening an image in the admin and a voice note without the gateway's
transcript come here, and neither the page nor the patient ever sees the gateway's address or key.

Fetches run two at a time per event loop, and the answer is parsed and decoded in a thread.
Every failure is None, logged with what failed (a status, an exception's class) and the
message's id, never the file or its name.
"""

import asyncio
import base64
import binascii
import json
import logging
import re
import weakref
from urllib.parse import quote

import aiohttp
import httpx

from channels.base import MEDIA_MAX, NAME_MAX, FetchedMedia, free_text

logger = logging.getLogger(__name__)

# The answer carries the file as base64 (4 characters for every 3 bytes) in a small JSON
# envelope: anything longer holds a file over MEDIA_MAX, and is not read to the end.
ANSWER_MAX = (MEDIA_MAX + 2) // 3 * 4 + 64 * 1024
# The gateway answers only once it has downloaded the whole file from WhatsApp (after a failed
# download it waits 5 s and tries once more): far slower than a send, hence its own timeouts.
CONNECT_S = 1.5
READ_S = 30.0  # the longest silence while the gateway downloads, or between chunks
TOTAL_S = 60.0  # the whole fetch, the file's bytes included
CHUNK = 1 << 20
# Fetches at once per event loop: each holds up to ANSWER_MAX of answer and its decoded file in
# memory. Another waits its turn, at most QUEUE_S (the whole fetch stays within
# MEDIA_FETCH_MAX_S), then gives up.
CONCURRENT_FETCHES = 2
QUEUE_S = 10.0
_slots: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
UNKNOWN_MIME = "application/octet-stream"
MIME = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,63}/[a-z0-9][a-z0-9!#$&^_.+-]{0,63}")
# Loading the trust store takes tens of milliseconds of CPU: once, as the process starts (the
# web's warm-up imports the channels), not on the event loop when a voice note needs its file.
_SSL_CONTEXT = httpx.create_ssl_context()  # the sender's trust store


class _Unusable(Exception):
    """The gateway's answer holds no file we can use; the message names why, never the file."""


class EvolutionMedia:
    def __init__(self, base_url: str, api_key: str):
        self.base_url = base_url
        self.headers = {"apikey": api_key, "Content-Type": "application/json"}

    def _url(self, instance: str) -> str:
        return f"{self.base_url}/chat/getBase64FromMediaMessage/{quote(instance, safe='')}"

    async def fetch_media(self, *, instance: str, message_id: str) -> FetchedMedia | None:
        slot = _slot()
        try:
            async with asyncio.timeout(QUEUE_S):
                await slot.acquire()
        except TimeoutError:
            logger.warning("media of message %s not fetched: too many fetches at once", message_id)
            return None
        try:
            return await self._fetch(instance, message_id)
        finally:
            slot.release()

    async def _fetch(self, instance: str, message_id: str) -> FetchedMedia | None:
        # Evolution finds the message by its key's id; convertToMp4 would re-encode audio.
        body = json.dumps({"message": {"key": {"id": message_id}}, "convertToMp4": False})
        try:
            # A session per fetch: fetches are rare next to sends, and a 64 MiB answer must not
            # keep one of the sender's few connections busy.
            async with (
                _media_session(self.headers, _SSL_CONTEXT) as session,
                session.post(self._url(instance), data=body) as response,
            ):
                if response.status not in (200, 201):
                    raise _Unusable(f"HTTP {response.status}")
                answer = await _read_capped(response)
            # Parsing and decoding up to ANSWER_MAX takes a CPU for a good part of a second:
            # off the event loop, which keeps answering patients meanwhile.
            return await asyncio.to_thread(_fetched, answer)
        except (aiohttp.ClientError, TimeoutError) as exc:
            logger.warning("media of message %s not fetched: %s", message_id, type(exc).__name__)
        except _Unusable as exc:
            logger.warning("media of message %s not fetched: %s", message_id, exc)
        return None


def _slot() -> asyncio.Semaphore:
    """The running loop's fetch slots (a semaphore belongs to one loop; a process runs one or
    two: the web's, and clinicbot.runtime.aio's for sync code)."""
    return _slots.setdefault(asyncio.get_running_loop(), asyncio.Semaphore(CONCURRENT_FETCHES))


def _media_session(headers: dict, ssl_context) -> aiohttp.ClientSession:
    timeout = aiohttp.ClientTimeout(total=TOTAL_S, sock_connect=CONNECT_S, sock_read=READ_S)
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(ssl=ssl_context, force_close=True),
        timeout=timeout,
        headers=headers,
        cookie_jar=aiohttp.DummyCookieJar(),
    )


async def _read_capped(response: aiohttp.ClientResponse) -> bytearray:
    """The answer's body, read no further than ANSWER_MAX."""
    if (response.content_length or 0) > ANSWER_MAX:
        raise _Unusable("the file is over the size limit")
    body = bytearray()
    async for chunk in response.content.iter_chunked(CHUNK):
        body += chunk
        if len(body) > ANSWER_MAX:
            raise _Unusable("the file is over the size limit")
    return body


def _fetched(answer: bytearray) -> FetchedMedia:
    try:
        payload = json.loads(answer)
    except (ValueError, RecursionError):  # RecursionError: nested deeper than json.loads goes
        raise _Unusable("the answer is not JSON") from None
    encoded = payload.get("base64") if isinstance(payload, dict) else None
    if not isinstance(encoded, str) or not encoded:
        raise _Unusable("the answer has no base64")
    try:
        data = base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _Unusable("the answer's base64 is not valid") from None
    if len(data) > MEDIA_MAX:
        raise _Unusable("the file is over the size limit")
    return FetchedMedia(
        data=data,
        mime_type=mime_type(payload.get("mimetype")),
        file_name=file_name(payload.get("fileName")),
    )


def mime_type(value: object) -> str:
    """The type and subtype of a MIME type the sender's phone declared (anything else, or
    parameters such as `; codecs=opus`, dropped): it becomes a response header."""
    if not isinstance(value, str):
        return UNKNOWN_MIME
    essence = value.split(";", 1)[0].strip().lower()
    return essence if MIME.fullmatch(essence) else UNKNOWN_MIME


def file_name(value: object) -> str:
    """The sender's name for the file, without any folder and cut to NAME_MAX."""
    if not isinstance(value, str):
        return ""
    base = value.replace("\\", "/").rsplit("/", 1)[-1]
    return "".join(ch for ch in free_text(base, NAME_MAX) if ch.isprintable()).strip()
