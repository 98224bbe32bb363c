"""A fake OpenAI-compatible server: `POST /v1/chat/completions`, plain and streamed (SSE), and
`POST /v1/audio/transcriptions` (multipart, as the `openai` client uploads a file).

The official `openai` client works against it with `base_url=f"{fake.url}/v1"`. It records every
request body, answers from a script, and misbehaves on request.

In a test:

    with FakeOpenAI(responses=["Hello!", ToolCall("book", {"day": "fri"}), "Booked."]) as fake:
        client = OpenAI(base_url=f"{fake.url}/v1", api_key="x")
        ...
        body = fake.last_request()["body"]
        assert "max_completion_tokens" in body and "max_tokens" not in body

A script item is a `str` (the assistant's content), a `Reply`, a `ToolCall` or a list of them,
a dict like `{"content": ...}` / `{"tool_calls": [{"name", "arguments"}]}`, or a full
`chat.completion` dict (has "choices") answered verbatim. `responses` may also be a
callable(request_json) returning an item. When the list runs out, `default_reply` answers.

A transcription answers the text `transcripts` gives for the uploaded audio: a dict keyed by
the audio's bytes, or a callable(audio bytes) returning the text; when neither knows the audio,
`echo_audio=True` answers the audio's bytes read as UTF-8 up to the first NUL (a test's "audio"
is the text it stands for, padded with NULs to a voice note's size if it likes), else
`default_transcript`. `fake.transcriptions()` lists the transcription requests
(their form fields, the file's name, type, size and SHA-256, the times it arrived and was
answered), apart from the chat requests.

Faults, at run time, on both endpoints: fake.set_latency(0.8), fake.fail(429, times=2) (with
`retry_after` set, the answer carries `retry-after-ms`), fake.hang(), fake.drop(),
fake.reset_faults().

From another process:

    python -m testing.fake_openai --port 0 --latency 0.8 --reply "OK"
    # prints {"url": "http://127.0.0.1:PORT", "port": PORT} once listening, then:
    GET  /_fake/requests?since=N   recorded requests from index N (JSON list)
    GET  /_fake/transcriptions?since=N   recorded transcription requests
    POST /_fake/clear
    GET|POST /_fake/config         {"latency", "status", "fail_next", "hang", "drop",
                                    "responses": [...], "default_reply", "chunk_delay",
                                    "retry_after", "reject_max_tokens"}
    GET  /_fake/health
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from typing import Any

from testing import (
    BackgroundHTTPServer,
    ConnectionDropped,
    JsonRequestHandler,
    RequestLog,
    arrival_times,
    run_from_command_line,
)

ERROR_KINDS = {
    400: ("invalid_request_error", None),
    401: ("invalid_request_error", "invalid_api_key"),
    404: ("invalid_request_error", "not_found"),
    429: ("requests", "rate_limit_exceeded"),
}
STREAM_PIECE = re.compile(r"\S+\s*|\s+")
OWN_SETTINGS = (
    "responses",
    "default_reply",
    "chunk_delay",
    "retry_after",
    "reject_max_tokens",
    "default_transcript",
    "echo_audio",
)
TRANSCRIPTIONS = "/v1/audio/transcriptions"


@dataclass
class ToolCall:
    name: str
    arguments: dict[str, Any] | str = field(default_factory=dict)
    id: str = field(default_factory=lambda: "call_" + secrets.token_hex(12))

    @property
    def arguments_json(self) -> str:
        if isinstance(self.arguments, str):
            return self.arguments
        return json.dumps(self.arguments, ensure_ascii=False)

    def as_openai(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments_json},
        }


@dataclass
class Reply:
    """One assistant turn. Token counts default to a rough estimate (4 characters a token)."""

    content: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    finish_reason: str | None = None
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def final_reason(self) -> str:
        return self.finish_reason or ("tool_calls" if self.tool_calls else "stop")

    @classmethod
    def from_item(cls, item: Any) -> Reply | dict[str, Any]:
        """A Reply from any script item; a full completion dict comes back unchanged."""
        if isinstance(item, Reply):
            return item
        if isinstance(item, str):
            return cls(content=item)
        if isinstance(item, ToolCall):
            return cls(tool_calls=[item])
        if isinstance(item, list):
            return cls(tool_calls=[cls._tool_call(call) for call in item])
        if isinstance(item, dict) and "choices" in item:
            return item
        if isinstance(item, dict):
            calls = [cls._tool_call(call) for call in item.get("tool_calls", [])]
            return cls(**{**item, "tool_calls": calls})
        raise TypeError(f"cannot make a chat completion from {item!r}")

    @staticmethod
    def _tool_call(call: ToolCall | dict[str, Any]) -> ToolCall:
        return call if isinstance(call, ToolCall) else ToolCall(**call)


def estimate_tokens(text: str) -> int:
    return max(1, len(text) // 4)


def usage(reply: Reply, request: dict[str, Any]) -> dict[str, int]:
    prompt = reply.prompt_tokens or estimate_tokens(json.dumps(request.get("messages", [])))
    produced = (reply.content or "") + "".join(call.arguments_json for call in reply.tool_calls)
    completion = reply.completion_tokens or estimate_tokens(produced)
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def openai_error(status: int, message: str) -> dict[str, Any]:
    kind, code = ERROR_KINDS.get(status, ("server_error", None))
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


def completion(reply: Reply, request: dict[str, Any], completion_id: str) -> dict[str, Any]:
    message: dict[str, Any] = {"role": "assistant", "content": reply.content, "refusal": None}
    if reply.tool_calls:
        message["tool_calls"] = [call.as_openai() for call in reply.tool_calls]
    return {
        "id": completion_id,
        "object": "chat.completion",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
        "choices": [
            {"index": 0, "message": message, "logprobs": None, "finish_reason": reply.final_reason}
        ],
        "usage": usage(reply, request),
    }


def stream_deltas(reply: Reply) -> Iterator[dict[str, Any]]:
    """The `delta` of each chunk, in the order OpenAI sends them."""
    yield {"role": "assistant", "content": "" if reply.content is not None else None}
    for piece in STREAM_PIECE.findall(reply.content or ""):
        yield {"content": piece}
    for index, call in enumerate(reply.tool_calls):
        opening = {"name": call.name, "arguments": ""}
        yield {
            "tool_calls": [{"index": index, "id": call.id, "type": "function", "function": opening}]
        }
        for piece in split_in_two(call.arguments_json):
            yield {"tool_calls": [{"index": index, "function": {"arguments": piece}}]}


def split_in_two(text: str) -> list[str]:
    # Arguments arrive in pieces in real streams; two pieces prove the client joins them.
    middle = len(text) // 2
    return [piece for piece in (text[:middle], text[middle:]) if piece]


def stream_chunks(reply: Reply, request: dict[str, Any], completion_id: str) -> Iterator[dict]:
    include_usage = bool((request.get("stream_options") or {}).get("include_usage"))
    base = {
        "id": completion_id,
        "object": "chat.completion.chunk",
        "created": int(time.time()),
        "model": request.get("model", "fake-model"),
        "system_fingerprint": "fp_fake",
    }
    extra = {"usage": None} if include_usage else {}
    for delta in stream_deltas(reply):
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": None}
        yield {**base, "choices": [choice], **extra}
    last = {"index": 0, "delta": {}, "logprobs": None, "finish_reason": reply.final_reason}
    yield {**base, "choices": [last], **extra}
    if include_usage:
        yield {**base, "choices": [], "usage": usage(reply, request)}


def request_error(request: Any, reject_max_tokens: bool) -> str | None:
    """Why OpenAI would answer 400 to this body, or None."""
    if not isinstance(request, dict):
        return "We could not parse the JSON body of your request."
    if not isinstance(request.get("messages"), list) or not request["messages"]:
        return "Missing required parameter: 'messages'."
    if not request.get("model"):
        return "Missing required parameter: 'model'."
    if reject_max_tokens and "max_tokens" in request:
        return (
            "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead."
        )
    return None


def form_parts(content_type: str, body: bytes) -> dict[str, Any]:
    """A multipart/form-data body's fields: text fields as str, a file as a dict with its
    filename, content_type and bytes (`data`)."""
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=policy.HTTP).parsebytes(head + body)
    if not message.is_multipart():
        return {}
    parts: dict[str, Any] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        data = part.get_payload(decode=True) or b""
        filename = part.get_filename()
        if filename is None:
            parts[name] = data.decode("utf-8", "replace")
        else:
            parts[name] = {
                "filename": filename,
                "content_type": part.get_content_type(),
                "data": data,
            }
    return parts


def transcription_error(parts: dict[str, Any]) -> str | None:
    """Why OpenAI would answer 400 to this upload, or None."""
    if not isinstance(parts.get("file"), dict) or not parts["file"]["data"]:
        return "Missing required parameter: 'file'."
    if not parts.get("model"):
        return "Missing required parameter: 'model'."
    return None


class _OpenAIHandler(JsonRequestHandler):
    def handle_api(self, method: str, path: str, query: dict[str, str]) -> None:
        if method == "GET" and path == "/v1/models":
            self.send_json(
                200, {"object": "list", "data": [{"id": "fake-model", "object": "model"}]}
            )
            return
        if method == "POST" and path == TRANSCRIPTIONS:
            self._transcription()
            return
        if method != "POST" or path != "/v1/chat/completions":
            self.read_body()
            self.send_json(404, openai_error(404, f"Unknown request URL: {method} {path}"))
            return
        arrival = arrival_times()
        request = self.read_json()
        self.owner.record_request(path, request, self.headers, arrival)
        forced_status = self.apply_faults()
        if forced_status is not None:
            self._answer_injected_fault(forced_status)
        elif not self._authorized():
            self.send_json(401, openai_error(401, "Incorrect API key provided."))
        else:
            self._answer_chat(request)

    def _transcription(self) -> None:
        arrival = arrival_times()
        parts = form_parts(self.headers.get("Content-Type", ""), self.read_body())
        record = self.owner.record_transcription(parts, self.headers, arrival)
        forced_status = self.apply_faults()
        if forced_status is not None:
            self._answer_injected_fault(forced_status)
        elif not self._authorized():
            self.send_json(401, openai_error(401, "Incorrect API key provided."))
        elif problem := transcription_error(parts):
            self.send_json(400, openai_error(400, problem))
        else:
            self._answer_transcription(parts, record)

    def _answer_transcription(self, parts: dict[str, Any], record: dict[str, Any]) -> None:
        # Just before the answer is written: a benchmark can tell the model's time (latency and
        # the fake's own work) from the time of the service that called it.
        text_or_error = self._transcript(parts)
        record["answered_monotonic_ns"] = time.monotonic_ns()
        if isinstance(text_or_error, dict):
            self.send_json(500, text_or_error)
            return
        text = text_or_error
        if parts.get("response_format") == "text":
            body = text.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        self.send_json(200, {"text": text, "usage": {"type": "duration", "seconds": 1}})

    def _transcript(self, parts: dict[str, Any]) -> str | dict[str, Any]:
        try:
            return self.owner.transcript_of(parts["file"]["data"])
        except Exception as error:  # a broken script should show up in the test, not hang it
            return openai_error(500, f"fake script failed: {error!r}")

    def _authorized(self) -> bool:
        api_key = self.owner.api_key
        return api_key is None or self.headers.get("Authorization") == f"Bearer {api_key}"

    def _answer_injected_fault(self, status: int) -> None:
        retry_after = self.owner.retry_after
        headers = {} if retry_after is None else {"retry-after-ms": str(int(retry_after * 1000))}
        self.send_json(status, openai_error(status, "Injected fault"), headers)

    def _answer_chat(self, request: Any) -> None:
        problem = request_error(request, self.owner.reject_max_tokens)
        if problem is not None:
            self.send_json(400, openai_error(400, problem))
            return
        try:
            reply = self.owner.next_reply(request)
        except Exception as error:  # a broken script should show up in the test, not hang it
            self.send_json(500, openai_error(500, f"fake script failed: {error!r}"))
            return
        completion_id = "chatcmpl-" + secrets.token_hex(12)
        if isinstance(reply, dict):
            self.send_json(200, reply)
        elif request.get("stream"):
            self._stream(reply, request, completion_id)
        else:
            self.send_json(200, completion(reply, request, completion_id))

    def _stream(self, reply: Reply, request: dict[str, Any], completion_id: str) -> None:
        self.start_chunked(200, "text/event-stream; charset=utf-8")
        for chunk in stream_chunks(reply, request, completion_id):
            self._pause_between_chunks()
            self.write_chunk(f"data: {json.dumps(chunk, ensure_ascii=False)}\n\n".encode())
        self.write_chunk(b"data: [DONE]\n\n")
        self.end_chunked()

    def _pause_between_chunks(self) -> None:
        delay = self.owner.chunk_delay
        if delay > 0 and self.server.stopping.wait(delay):
            raise ConnectionDropped

    def handle_fake_action(self, method: str, action: str, query: dict[str, str]) -> bool:
        if method != "GET" or action not in ("requests", "transcriptions"):
            return False
        since = int(query.get("since", 0))
        log = self.owner.requests if action == "requests" else self.owner.transcriptions
        self.send_json(200, log(since))
        return True


ScriptItem = Any
Script = list[ScriptItem] | Callable[[dict[str, Any]], ScriptItem] | None
Transcripts = dict[bytes, str] | Callable[[bytes], str | None] | None


class FakeOpenAI(BackgroundHTTPServer):
    """Fake OpenAI chat completions server; see the module docstring for how to drive it.

    `api_key=None` accepts any Authorization header. `chunk_delay` is the pause between
    streamed chunks; `latency` is the pause before the first byte of every answer.
    """

    handler_class = _OpenAIHandler

    def __init__(
        self,
        responses: Script = None,
        *,
        default_reply: str = "OK",
        api_key: str | None = None,
        latency: float = 0.0,
        chunk_delay: float = 0.0,
        retry_after: float | None = None,
        reject_max_tokens: bool = False,
        transcripts: Transcripts = None,
        default_transcript: str = "",
        echo_audio: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        super().__init__(host=host, port=port, latency=latency)
        self.api_key = api_key
        self.transcripts = transcripts
        self.default_transcript = default_transcript
        self.echo_audio = echo_audio
        self._transcriptions = RequestLog()
        self.default_reply = default_reply
        self.chunk_delay = chunk_delay
        self.retry_after = retry_after
        self.reject_max_tokens = reject_max_tokens
        self._script_lock = threading.Lock()
        self._script: Script = None
        self.script(responses)
        self._requests = RequestLog()

    # -- script ----------------------------------------------------------------------------

    def script(self, responses: Script) -> None:
        """Replace what the next requests are answered with."""
        with self._script_lock:
            self._script = list(responses) if isinstance(responses, list | tuple) else responses

    def next_reply(self, request: dict[str, Any]) -> Reply | dict[str, Any]:
        with self._script_lock:
            script = self._script
            scripted = script.pop(0) if isinstance(script, list) and script else None
        if callable(script):
            return Reply.from_item(script(request))  # outside the lock: it may be slow
        return Reply.from_item(self.default_reply if scripted is None else scripted)

    def transcript_of(self, audio: bytes) -> str:
        """What the uploaded audio "says" (see the module docstring)."""
        script = self.transcripts
        text = script(audio) if callable(script) else (script or {}).get(audio)
        if text is None and self.echo_audio:
            text = audio.split(b"\0", 1)[0].decode("utf-8", "replace")
        return self.default_transcript if text is None else text

    def configure(self, **changes: Any) -> None:
        own = {name: changes.pop(name) for name in OWN_SETTINGS if name in changes}
        super().configure(**changes)
        if "responses" in own:
            self.script(own.pop("responses"))
        for name, value in own.items():
            setattr(self, name, value)

    def config(self) -> dict[str, Any]:
        with self._script_lock:
            scripted_left = len(self._script) if isinstance(self._script, list) else None
        own = {name: getattr(self, name) for name in OWN_SETTINGS if name != "responses"}
        return {**super().config(), **own, "scripted_left": scripted_left}

    # -- what tests read -------------------------------------------------------------------

    def record_request(self, path: str, body: Any, headers, arrival: dict[str, int]) -> None:
        lowered = {name.lower(): value for name, value in headers.items()}
        self._requests.append({"path": path, "body": body, "headers": lowered, **arrival})

    def record_transcription(self, parts: dict[str, Any], headers, arrival) -> dict[str, Any]:
        lowered = {name.lower(): value for name, value in headers.items()}
        fields = {name: value for name, value in parts.items() if not isinstance(value, dict)}
        upload = parts.get("file") if isinstance(parts.get("file"), dict) else None
        if upload is not None:
            fields["file"] = {
                "filename": upload["filename"],
                "content_type": upload["content_type"],
                "size": len(upload["data"]),
                "sha256": hashlib.sha256(upload["data"]).hexdigest(),
            }
        return self._transcriptions.append(
            {"path": TRANSCRIPTIONS, "body": fields, "headers": lowered, **arrival}
        )

    def transcriptions(self, since: int = 0) -> list[dict[str, Any]]:
        """Every transcription request, oldest first: its form fields (the file as its name,
        type and size), headers and arrival times."""
        return self._transcriptions.items(since)

    def requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every chat completion request, oldest first: index, path, body, headers, times."""
        return self._requests.items(since)

    def last_request(self) -> dict[str, Any]:
        requests = self._requests.items()
        if not requests:
            raise LookupError("no chat completion request was received")
        return requests[-1]

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        return self._requests.wait_for(count, timeout)

    def clear(self) -> None:
        self._requests.clear()
        self._transcriptions.clear()


def _add_arguments(parser) -> None:
    parser.add_argument("--reply", default="OK", help="content of every answer")
    parser.add_argument("--api-key", default=None, help="required bearer key; default any")
    parser.add_argument("--chunk-delay", type=float, default=0.0, help="seconds between chunks")
    parser.add_argument("--transcript", default="", help="text of every transcription")
    parser.add_argument(
        "--echo-audio", action="store_true", help="transcribe audio as its bytes read as UTF-8"
    )


def main() -> None:
    run_from_command_line(
        "Fake OpenAI-compatible chat completions and transcriptions server",
        lambda arguments: FakeOpenAI(
            default_reply=arguments.reply,
            api_key=arguments.api_key,
            latency=arguments.latency,
            chunk_delay=arguments.chunk_delay,
            default_transcript=arguments.transcript,
            echo_audio=arguments.echo_audio,
            host=arguments.host,
            port=arguments.port,
        ),
        _add_arguments,
    )


if __name__ == "__main__":
    main()
