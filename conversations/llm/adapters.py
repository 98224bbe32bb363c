"""Talking to an LLM: one interface, and its OpenAI adapter on the official `openai` client.

Every call is bounded by a `Deadline` (an absolute point on the monotonic clock): each HTTP
request gets the time left as its timeout, and a failed request is retried (429, 5xx, connection
errors) at most MAX_ATTEMPTS times in all, after a jittered backoff, and only while the backoff
plus a minimum attempt still fits before the deadline. Nothing else retries: the `openai` client
runs with `max_retries=0`, so there is never a retry storm hiding inside the library.

The token limit is always sent as `max_completion_tokens` (newer OpenAI models refuse
`max_tokens` with a 400); `temperature` is not sent at all, since reasoning models refuse any
value but the default. `OPENAI_BASE_URL` points the adapter at any OpenAI-compatible server.

Nothing here logs a message text: errors are logged by class and status code.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import httpx
import openai
from django.conf import settings

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
BACKOFF_BASE_S = 0.25
BACKOFF_CAP_S = 2.0
# An attempt started with less time left than this could not finish anyway.
MIN_ATTEMPT_S = 0.2
CONNECT_TIMEOUT_S = 2.0
# The client's own ceilings; each call passes a tighter timeout (the time left to its deadline).
CLIENT_TIMEOUT = httpx.Timeout(connect=CONNECT_TIMEOUT_S, read=30.0, write=10.0, pool=2.0)
CLIENT_LIMITS = httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=60)
RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)

Message = dict[str, Any]


class DeadlineExceeded(Exception):
    """The answer's deadline passed (or too little time is left to try again)."""


class Deadline:
    """A point in time on the monotonic clock that bounds a whole answer."""

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return time.monotonic() >= self.at

    def check(self) -> float:
        """The time left; raises DeadlineExceeded when it is too little for another call."""
        left = self.remaining()
        if left < MIN_ATTEMPT_S:
            raise DeadlineExceeded(f"{self.seconds:g} s deadline")
        return left


@dataclass(frozen=True, slots=True)
class ToolCallRequest:
    id: str
    name: str
    arguments: str  # JSON text, as the model wrote it


@dataclass(frozen=True, slots=True)
class Completion:
    text: str
    tool_calls: tuple[ToolCallRequest, ...] = ()
    model: str = ""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    finish_reason: str = ""
    attempts: int = 1

    def assistant_message(self) -> Message:
        """This turn as the next request must repeat it (so tool results can follow it)."""
        message: Message = {"role": "assistant", "content": self.text or None}
        if self.tool_calls:
            message["tool_calls"] = [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": call.name, "arguments": call.arguments},
                }
                for call in self.tool_calls
            ]
        return message


class CompletionStream:
    """The text of a streamed answer, piece by piece; token counts are known once it ends."""

    def __init__(self, pieces: Callable[[CompletionStream], Iterator[str]]):
        self.model = ""
        self.prompt_tokens = 0
        self.completion_tokens = 0
        self.finish_reason = ""
        self._pieces = pieces(self)

    def __iter__(self) -> Iterator[str]:
        return self._pieces

    def text(self) -> str:
        return "".join(self)


@runtime_checkable
class LLMAdapter(Protocol):
    """What the LLM lane needs of a model, whoever serves it."""

    model: str

    def generate(self, messages: Sequence[Message], *, deadline: Deadline) -> Completion: ...

    def generate_with_tools(
        self,
        messages: Sequence[Message],
        tools: Sequence[dict],
        *,
        deadline: Deadline,
        tool_choice: str = "auto",
    ) -> Completion: ...

    def stream(self, messages: Sequence[Message], *, deadline: Deadline) -> CompletionStream: ...


# --- the OpenAI client, one per process --------------------------------------------------------
_clients: dict[tuple, openai.OpenAI] = {}
_clients_lock = threading.Lock()


def openai_client(*, api_key: str | None = None, base_url: str | None = None) -> openai.OpenAI:
    """The process's client for this key and server: one connection pool, reused by every
    answer (a forked worker child builds its own)."""
    api_key = settings.OPENAI_API_KEY if api_key is None else api_key
    base_url = (settings.OPENAI_BASE_URL if base_url is None else base_url) or None
    key = (os.getpid(), api_key, base_url)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = _clients[key] = openai.OpenAI(
                api_key=api_key,
                base_url=base_url,
                max_retries=0,  # our own bounded retries, below
                http_client=httpx.Client(timeout=CLIENT_TIMEOUT, limits=CLIENT_LIMITS),
            )
        return client


def forget_clients() -> None:
    with _clients_lock:
        clients = list(_clients.values())
        _clients.clear()
    for client in clients:
        client.close()


def call_timeout(remaining: float) -> httpx.Timeout:
    """The time left for every phase of one request; connecting gets at most 2 s of it."""
    return httpx.Timeout(remaining, connect=min(CONNECT_TIMEOUT_S, remaining))


def describe(error: BaseException) -> str:
    """An error's class and status code: safe to log and to store (never a message text)."""
    status = getattr(error, "status_code", None)
    return f"{type(error).__name__}:{status}" if status else type(error).__name__


def _retry_after(error: BaseException) -> float | None:
    """The server's own hint (`retry-after-ms`, `retry-after` in seconds), if any."""
    response = getattr(error, "response", None)
    if response is None:
        return None
    for header, scale in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = response.headers.get(header)
        if value:
            try:
                return max(0.0, float(value) / scale)
            except ValueError:
                continue
    return None


def backoff(attempt: int, error: BaseException) -> float:
    """Full jitter on an exponential base; a server's hint wins when it gives one."""
    hint = _retry_after(error)
    if hint is not None:
        return hint + random.uniform(0, BACKOFF_BASE_S / 2)  # noqa: S311 (not cryptographic)
    return random.uniform(0, min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2**attempt))  # noqa: S311


def with_retries(request: Callable[[httpx.Timeout], Any], deadline: Deadline) -> tuple[Any, int]:
    """Run `request(timeout)` until it succeeds, at most MAX_ATTEMPTS times, never past the
    deadline. Returns (its result, the attempts it took)."""
    attempt = 0
    while True:
        remaining = deadline.check()
        attempt += 1
        try:
            return request(call_timeout(remaining)), attempt
        except RETRYABLE as error:
            if isinstance(error, openai.APITimeoutError) and deadline.remaining() < MIN_ATTEMPT_S:
                raise DeadlineExceeded(f"{deadline.seconds:g} s deadline") from error
            pause = backoff(attempt, error)
            if attempt >= MAX_ATTEMPTS or pause + MIN_ATTEMPT_S > deadline.remaining():
                logger.warning(
                    "LLM request failed (%s), attempt %d; giving up", describe(error), attempt
                )
                raise
            logger.info(
                "LLM request failed (%s), attempt %d; retrying in %.2f s",
                describe(error),
                attempt,
                pause,
            )
            time.sleep(pause)


class OpenAIAdapter:
    """An OpenAI (or OpenAI-compatible) chat model."""

    def __init__(
        self, model: str, *, max_completion_tokens: int, client: openai.OpenAI | None = None
    ):
        self.model = model
        self.max_completion_tokens = max_completion_tokens
        self.client = client or openai_client()

    def _create(self, deadline: Deadline, **arguments) -> tuple[Any, int]:
        arguments = {
            "model": self.model,
            "max_completion_tokens": self.max_completion_tokens,
            **arguments,
        }
        return with_retries(
            lambda timeout: self.client.chat.completions.create(**arguments, timeout=timeout),
            deadline,
        )

    def generate(self, messages: Sequence[Message], *, deadline: Deadline) -> Completion:
        response, attempts = self._create(deadline, messages=list(messages))
        return _completion(response, attempts)

    def generate_with_tools(
        self,
        messages: Sequence[Message],
        tools: Sequence[dict],
        *,
        deadline: Deadline,
        tool_choice: str = "auto",
    ) -> Completion:
        response, attempts = self._create(
            deadline, messages=list(messages), tools=list(tools), tool_choice=tool_choice
        )
        return _completion(response, attempts)

    def stream(self, messages: Sequence[Message], *, deadline: Deadline) -> CompletionStream:
        """Opens the stream at once (retrying like the others); the pieces then arrive as the
        caller iterates, and the deadline is checked between them."""
        chunks, _ = self._create(
            deadline,
            messages=list(messages),
            stream=True,
            stream_options={"include_usage": True},
        )

        def pieces(result: CompletionStream) -> Iterator[str]:
            with chunks:
                for chunk in chunks:
                    if deadline.expired:
                        raise DeadlineExceeded(f"{deadline.seconds:g} s deadline")
                    result.model = chunk.model or result.model
                    if chunk.usage:
                        result.prompt_tokens = chunk.usage.prompt_tokens or 0
                        result.completion_tokens = chunk.usage.completion_tokens or 0
                    for choice in chunk.choices:
                        if choice.finish_reason:
                            result.finish_reason = choice.finish_reason
                        if choice.delta and choice.delta.content:
                            yield choice.delta.content

        return CompletionStream(pieces)


def _completion(response, attempts: int) -> Completion:
    choice = response.choices[0] if response.choices else None
    message = choice.message if choice else None
    calls = tuple(
        ToolCallRequest(call.id, call.function.name, call.function.arguments or "{}")
        for call in (message.tool_calls or [] if message else [])
        if getattr(call, "function", None) is not None
    )
    usage = response.usage
    return Completion(
        text=(message.content or "") if message else "",
        tool_calls=calls,
        model=response.model or "",
        prompt_tokens=(usage.prompt_tokens or 0) if usage else 0,
        completion_tokens=(usage.completion_tokens or 0) if usage else 0,
        finish_reason=(choice.finish_reason or "") if choice else "",
        attempts=attempts,
    )


# Which adapter serves a provider (conversations.models.LLMModel.provider).
ADAPTERS: dict[str, type] = {"openai": OpenAIAdapter}
