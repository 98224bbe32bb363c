"""Voice notes heard: a patient's voice note becomes the text its reply is decided on.

`voice_note_heard(message, clinic, session)`, in stage A just before the decision:
- not a voice note or an audio file, or one whose text the gateway already gave (Evolution's
  speechToText): nothing to hear, no call made;
- otherwise its audio (the body's base64, else fetched from the gateway by its message id) is
  transcribed by an OpenAI-compatible speech-to-text model, through the `openai` client on the
  event loop: the clinic's own `transcription_model`, else settings.TRANSCRIPTION_MODEL. The
  whole of it, the fetch included, gets settings.TRANSCRIPTION_DEADLINE_S and no retry: a
  patient would rather be asked to type than wait. The model is sent the audio, its name and,
  when the conversation has one, its language as a hint: never the phone or the name.

The transcript then goes through the same lanes as typed text, and the journal records it as the
message's text with `is_transcript` (sealed in Redis, encrypted with the stored message). Without
one (no OPENAI_API_KEY, an error, the deadline passed, no audio) the text stays empty and
conversations.decide asks the patient to type, in their language when known, and flags the
conversation for staff (decide.VOICE_NOT_TRANSCRIBED).

Nothing here logs a transcript, a phone or a name: a failure is logged by its class and status.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import logging
import time
import weakref
from dataclasses import dataclass

import httpx2
import openai
from django.conf import settings

from channels.base import AUDIO_UPLOAD_MAX, TEXT_MAX, InboundMessage, Media, MediaKind, free_text
from channels.registry import channel
from clinicbot.runtime import aio
from clinicbot.runtime.admission import stepped_aside
from conversations.directory import ClinicSnapshot

logger = logging.getLogger(__name__)

VOICE_KINDS = frozenset({MediaKind.VOICE, MediaKind.AUDIO})
# OpenAI's limit on an uploaded audio file; a longer recording is not sent at all.
MAX_AUDIO_BYTES = AUDIO_UPLOAD_MAX
# The file's name tells the model its format (it is never the patient's own file name).
EXTENSIONS = {
    "audio/ogg": "ogg",
    "audio/opus": "ogg",
    "audio/mpeg": "mp3",
    "audio/mp3": "mp3",
    "audio/mp4": "m4a",
    "audio/m4a": "m4a",
    "audio/x-m4a": "m4a",
    "audio/aac": "m4a",
    "audio/wav": "wav",
    "audio/x-wav": "wav",
    "audio/webm": "webm",
    "audio/flac": "flac",
}
DEFAULT_MIME = "audio/ogg"  # WhatsApp's voice notes: Opus in Ogg


class NoAudio(Exception):
    """Neither the body nor the gateway gave the audio (or it is too big to send)."""


@dataclass(frozen=True, slots=True)
class Heard:
    """The text the decision reads, and what the journal records of a voice note."""

    text: str
    voice: bool = False  # a voice note or an audio file
    transcript: bool = False  # `text` is its transcript (the gateway's or ours)
    new_text: bool = False  # the journal does not hold `text` yet (it held the message's own)

    @property
    def unheard(self) -> bool:
        """A voice note nobody could transcribe: the patient is asked to type."""
        return self.voice and not self.text

    def journal_values(self) -> dict:
        values: dict = {"is_transcript": True} if self.transcript else {}
        if self.new_text:
            values["text"] = self.text
        return values


def is_voice(media: Media | None) -> bool:
    return media is not None and media.kind in VOICE_KINDS


def needs_transcription(message: InboundMessage) -> bool:
    """A voice note the gateway did not transcribe: voice_note_heard will take seconds."""
    media = message.media
    return is_voice(media) and not message.text and not media.transcript


async def voice_note_heard(message: InboundMessage, clinic: ClinicSnapshot, session: dict) -> Heard:
    """The message's text, a voice note's transcript standing in for it (see the module)."""
    media = message.media
    if not is_voice(media):
        return Heard(message.text)
    if message.text or media.transcript:  # the gateway transcribed it: no call of ours
        text = message.text or free_text(media.transcript, TEXT_MAX)
        return Heard(text, voice=True, transcript=True, new_text=not message.text)
    started = time.perf_counter()
    async with stepped_aside():  # seconds of waiting on others: the next webhook goes first
        text = await _transcript(message, clinic, session.get("language") or "")
    if text:
        ms = (time.perf_counter() - started) * 1000
        logger.info("voice note %s transcribed in %.0f ms", message.message_id, ms)
    return Heard(text, voice=True, transcript=bool(text), new_text=bool(text))


async def _transcript(message: InboundMessage, clinic: ClinicSnapshot, language: str) -> str:
    """The transcript, or "" when there is none (why is logged, never what)."""
    if not settings.OPENAI_API_KEY:
        return ""
    model = clinic.transcription_model or settings.TRANSCRIPTION_MODEL
    deadline = time.monotonic() + settings.TRANSCRIPTION_DEADLINE_S
    try:
        async with asyncio.timeout(settings.TRANSCRIPTION_DEADLINE_S):
            audio, mime = await _audio(message)
            return await transcribe(
                audio, mime=mime, model=model, language=language, deadline=deadline
            )
    except Exception as error:  # noqa: BLE001  (any failure: the patient is asked to type)
        reason = "deadline" if isinstance(error, TimeoutError) else _described(error)
        logger.warning("voice note %s not transcribed (%s)", message.message_id, reason)
        return ""


async def transcribe(
    audio: bytes, *, mime: str, model: str, language: str = "", deadline: float
) -> str:
    """The model's transcript of `audio`: one request, no retry, timed out at `deadline` (on
    the monotonic clock)."""
    extension = EXTENSIONS.get(mime.split(";")[0].strip().lower(), "ogg")
    optional = {"language": language} if language else {}
    result = await _client().audio.transcriptions.create(
        file=(f"voice.{extension}", audio, mime or DEFAULT_MIME),
        model=model,
        timeout=max(0.001, deadline - time.monotonic()),
        **optional,
    )
    text = result if isinstance(result, str) else getattr(result, "text", "")
    # Read and stored as a patient's typed text is: cut to WhatsApp's limit, no NUL.
    return free_text((text or "").strip(), TEXT_MAX)


def _described(error: BaseException) -> str:
    """An error's class and status code: safe to log (an error's message may quote a text)."""
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}:{status}" if status else type(error).__name__


# --- the audio ------------------------------------------------------------------------------------


async def _audio(message: InboundMessage) -> tuple[bytes, str]:
    media = message.media
    if media.base64:
        return decoded(media.base64), media.mime_type or DEFAULT_MIME
    # Not in the body (the gateway's webhook_base64 is off): the gateway has it by message id
    # (channels.base.MediaFetcher; a channel without it offers no files).
    fetcher = channel(message.channel)
    if not hasattr(fetcher, "fetch_media"):
        raise NoAudio("the channel cannot fetch media")
    fetched = await fetcher.fetch_media(instance=message.instance, message_id=message.message_id)
    if fetched is None or not fetched.data:
        raise NoAudio("the gateway gave no audio")
    if len(fetched.data) > MAX_AUDIO_BYTES:
        raise NoAudio("over the upload limit")
    return fetched.data, media.mime_type or fetched.mime_type or DEFAULT_MIME


def decoded(value: str | bytes | memoryview) -> bytes:
    """The file from its base64 text; NoAudio when it is too big or not base64."""
    if len(value) * 3 // 4 > MAX_AUDIO_BYTES:
        raise NoAudio("over the upload limit")
    try:
        return base64.b64decode(value)
    except (binascii.Error, ValueError) as error:
        raise NoAudio("not base64") from error


# --- the client: one per event loop (its connections belong to that loop) ------------------------

_clients: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
# Loading the trust store takes 20-40 ms of CPU: once, as the process starts, rather than on the
# event loop when a worker's first voice note builds its client (the `openai` client's HTTP
# library is httpx2).
_SSL_CONTEXT = httpx2.create_ssl_context()


def _client() -> openai.AsyncOpenAI:
    loop = asyncio.get_running_loop()
    per_loop = _clients.setdefault(loop, {})
    key = (settings.OPENAI_API_KEY, settings.OPENAI_BASE_URL)
    client = per_loop.get(key)
    if client is None:
        client = per_loop[key] = openai.AsyncOpenAI(
            api_key=settings.OPENAI_API_KEY,
            base_url=settings.OPENAI_BASE_URL or None,
            max_retries=0,  # a retry would only push the patient's answer past the deadline
            timeout=settings.TRANSCRIPTION_DEADLINE_S,
            http_client=openai.DefaultAsyncHttpxClient(verify=_SSL_CONTEXT),
        )
    return client


async def _close_clients() -> None:
    loop = asyncio.get_running_loop()
    for client in _clients.pop(loop, {}).values():
        await client.close()


aio.on_loop_close(_close_clients)
