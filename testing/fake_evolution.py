"""A fake Evolution API v2 gateway over real loopback HTTP: `POST /message/sendText/{instance}`,
and `POST /chat/getBase64FromMediaMessage/{instance}` for the files a test registers.

It answers like Evolution 2.x (201 with the sent message or the file, 401/400/404 with
Evolution's error envelope), records every request with its arrival time, and misbehaves on
request (the faults apply to both routes).

In a test:

    with FakeEvolution(api_key="k", instances={"smile-main"}) as fake:
        settings.EVOLUTION_API_URL = fake.url
        ...
        [send] = fake.wait_for(1, timeout=2)
        assert send["number"] == "5511987654321"

    Faults, at run time: fake.set_latency(3.0), fake.fail(500, times=2), fake.hang(),
    fake.drop(), fake.reset_faults().

    Files: fake.add_media("3EB0...", b"...", mimetype="image/jpeg", file_name="x.jpeg") makes
    getBase64FromMediaMessage answer with it; any other id gets Evolution's 400 "Message not
    found". fake.media_requests() lists every such request (instance, message_id, headers,
    status).

From another process (a benchmark):

    python -m testing.fake_evolution --port 0 --api-key k --instance smile-main
    # prints {"url": "http://127.0.0.1:PORT", "port": PORT} once listening, then:
    GET  /_fake/sent?since=N     accepted sends from index N (JSON list)
    GET  /_fake/attempts?since=N every sendText request, with the status it was answered
    POST /_fake/clear            forget sends and attempts
    GET|POST /_fake/config       {"latency": 3.0, "status": 500, "fail_next": 2, "hang": false,
                                  "drop": false}
    GET  /_fake/health
"""

from __future__ import annotations

import base64
import re
import secrets
import time
from collections.abc import Iterable
from http import HTTPStatus
from typing import Any

from testing import (
    BackgroundHTTPServer,
    ConnectionDropped,
    JsonRequestHandler,
    RequestLog,
    arrival_times,
    run_from_command_line,
)

SEND_TEXT_PATH = re.compile(r"^/message/sendText/(?P<instance>[^/]+)$")
MEDIA_PATH = re.compile(r"^/chat/getBase64FromMediaMessage/(?P<instance>[^/]+)$")
NUMBER_PUNCTUATION = re.compile(r"[\s+()\-]")


def evolution_error(status: int, message: Any) -> dict[str, Any]:
    """The envelope Evolution's global error handler puts around every error."""
    return {"status": status, "error": HTTPStatus(status).phrase, "response": {"message": message}}


def remote_jid(number: str) -> str:
    if "@" in number:
        return number
    return f"{NUMBER_PUNCTUATION.sub('', number)}@s.whatsapp.net"


def sent_message(number: str, text: str, message_id: str) -> dict[str, Any]:
    return {
        "key": {"remoteJid": remote_jid(number), "fromMe": True, "id": message_id},
        "pushName": "Você",
        "status": "PENDING",
        "message": {"conversation": text},
        "contextInfo": None,
        "messageType": "conversation",
        "messageTimestamp": int(time.time()),
        "instanceId": "00000000-fake-4000-8000-evolution000",
        "source": "web",
    }


def validation_error(payload: Any) -> Any | None:
    """Evolution's 400 message for a body that is not a v2 sendText body, else None."""
    if not isinstance(payload, dict):
        return [["instance is not of a type(s) object"]]
    missing = [name for name in ("number", "text") if not isinstance(payload.get(name), str)]
    if missing:
        return [[f'instance requires property "{name}"' for name in missing]]
    if not payload["text"].strip():
        return ["Text is required"]
    return None


def new_message_id() -> str:
    # Baileys ids sent from the web client look like 3EB0 + 16 upper-case hex digits.
    return "3EB0" + secrets.token_hex(8).upper()


def media_answer(media: dict[str, Any]) -> dict[str, Any]:
    """What Evolution 2.3's getBase64FromMediaMessage answers for a stored media message
    (src/api/integrations/channel/whatsapp/whatsapp.baileys.service.ts)."""
    return {
        "mediaType": media["media_type"],
        "fileName": media["file_name"],
        "caption": media["caption"],
        "size": {"fileLength": str(len(media["data"])), "height": None, "width": None},
        "mimetype": media["mimetype"],
        "base64": base64.b64encode(media["data"]).decode("ascii"),
        "buffer": None,
    }


def media_message_id(payload: Any) -> str | None:
    """The id in a getBase64FromMediaMessage body: {"message": {"key": {"id": ...}}}."""
    try:
        message_id = payload["message"]["key"]["id"]
    except (TypeError, KeyError):
        return None
    return message_id if isinstance(message_id, str) else None


class _EvolutionHandler(JsonRequestHandler):
    def handle_api(self, method: str, path: str, query: dict[str, str]) -> None:
        media = MEDIA_PATH.match(path)
        if method == "POST" and media is not None:
            self._answer_media(media["instance"])
            return
        match = SEND_TEXT_PATH.match(path)
        if method != "POST" or match is None:
            self.read_body()
            self.send_json(404, evolution_error(404, [f"Cannot {method} {path}"]))
            return
        arrival = arrival_times()
        payload = self.read_json()
        request = {
            "instance": match["instance"],
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": payload,
            **arrival,
        }
        try:
            forced_status = self.apply_faults()
        except ConnectionDropped:
            self.owner.record_attempt(request, status=None)
            raise
        status, answer = self.owner.answer_send_text(request, forced_status)
        self.send_json(status, answer)

    def _answer_media(self, instance: str) -> None:
        payload = self.read_json()
        request = {
            "instance": instance,
            "message_id": media_message_id(payload),
            "headers": {name.lower(): value for name, value in self.headers.items()},
            "body": payload,
        }
        try:
            forced_status = self.apply_faults()
        except ConnectionDropped:
            self.owner.record_media_request(request, status=None)
            raise
        status, answer = self.owner.answer_media(request, forced_status)
        self.send_json(status, answer)

    def handle_fake_action(self, method: str, action: str, query: dict[str, str]) -> bool:
        logs = {"sent": self.owner.sent, "attempts": self.owner.attempts}
        if method != "GET" or action not in logs:
            return False
        self.send_json(200, logs[action](int(query.get("since", 0))))
        return True


class FakeEvolution(BackgroundHTTPServer):
    """Fake Evolution API v2 gateway; see the module docstring for how to drive it.

    `api_key=None` accepts any apikey; `instances=None` accepts any instance name.
    """

    handler_class = _EvolutionHandler

    def __init__(
        self,
        api_key: str | None = None,
        instances: Iterable[str] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
    ) -> None:
        super().__init__(host=host, port=port, latency=latency)
        self.api_key = api_key
        self.instances = None if instances is None else frozenset(instances)
        self._sent = RequestLog()
        self._attempts = RequestLog()
        self._media: dict[str, dict[str, Any]] = {}
        self._media_requests = RequestLog()

    # -- what tests read -------------------------------------------------------------------

    def sent(self, since: int = 0) -> list[dict[str, Any]]:
        """Accepted sends (answered 201), oldest first: index, instance, number, text,
        message_id, headers, monotonic_ns, time_ns."""
        return self._sent.items(since)

    def attempts(self, since: int = 0) -> list[dict[str, Any]]:
        """Every sendText request with the status it got (None when dropped or cut off)."""
        return self._attempts.items(since)

    def media_requests(self, since: int = 0) -> list[dict[str, Any]]:
        """Every getBase64FromMediaMessage request: instance, message_id, headers, body,
        status (None when dropped)."""
        return self._media_requests.items(since)

    def add_media(
        self,
        message_id: str,
        data: bytes,
        *,
        mimetype: str,
        file_name: str = "",
        caption: str | None = None,
        media_type: str = "imageMessage",
    ) -> None:
        """The file of message `message_id`, as the gateway would download it from WhatsApp."""
        extension = mimetype.split("/")[-1].split(";")[0]
        self._media[message_id] = {
            "data": data,
            "mimetype": mimetype,
            # Evolution names a file that has no name after the message: "<id>.<extension>".
            "file_name": file_name or f"{message_id}.{extension}",
            "caption": caption,
            "media_type": media_type,
        }

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until `count` sends were accepted; raise TimeoutError after `timeout` s."""
        return self._sent.wait_for(count, timeout)

    def clear(self) -> None:
        self._sent.clear()
        self._attempts.clear()
        self._media_requests.clear()

    # -- what the handler calls ------------------------------------------------------------

    def record_attempt(self, request: dict[str, Any], status: int | None) -> None:
        self._attempts.append({**request, "status": status})

    def record_media_request(self, request: dict[str, Any], status: int | None) -> None:
        self._media_requests.append({**request, "status": status})

    def answer_media(
        self, request: dict[str, Any], forced_status: int | None
    ) -> tuple[int, dict[str, Any]]:
        status, answer = self._decide_media(request, forced_status)
        self.record_media_request(request, status)
        return status, answer

    def _decide_media(
        self, request: dict[str, Any], forced_status: int | None
    ) -> tuple[int, dict[str, Any]]:
        if forced_status is not None:
            return forced_status, evolution_error(forced_status, ["Injected fault"])
        instance = request["instance"]
        if self.instances is not None and instance not in self.instances:
            return 404, evolution_error(404, [f'The "{instance}" instance does not exist'])
        if self.api_key is not None and request["headers"].get("apikey") != self.api_key:
            return 401, evolution_error(401, "Unauthorized")
        media = self._media.get(request["message_id"] or "")
        if media is None:
            # Evolution looks the message up in its store and throws this string, which its
            # BadRequestException wraps.
            return 400, evolution_error(400, ["Message not found"])
        return 201, media_answer(media)

    def answer_send_text(
        self, request: dict[str, Any], forced_status: int | None
    ) -> tuple[int, dict[str, Any]]:
        status, answer = self._decide(request, forced_status)
        self.record_attempt(request, status)
        if status == 201:
            self._sent.append(
                {
                    "instance": request["instance"],
                    "number": request["body"]["number"],
                    "text": request["body"]["text"],
                    "message_id": answer["key"]["id"],
                    "headers": request["headers"],
                    "monotonic_ns": request["monotonic_ns"],
                    "time_ns": request["time_ns"],
                }
            )
        return status, answer

    def _decide(
        self, request: dict[str, Any], forced_status: int | None
    ) -> tuple[int, dict[str, Any]]:
        instance, payload = request["instance"], request["body"]
        if forced_status is not None:
            return forced_status, evolution_error(forced_status, ["Injected fault"])
        # Same order as Evolution's guards: instance exists, then apikey, then the body.
        if self.instances is not None and instance not in self.instances:
            return 404, evolution_error(404, [f'The "{instance}" instance does not exist'])
        if self.api_key is not None and request["headers"].get("apikey") != self.api_key:
            return 401, evolution_error(401, "Unauthorized")
        error = validation_error(payload)
        if error is not None:
            return 400, evolution_error(400, error)
        return 201, sent_message(payload["number"], payload["text"], new_message_id())


def _add_arguments(parser) -> None:
    parser.add_argument("--api-key", default=None, help="required apikey; default accepts any")
    parser.add_argument(
        "--instance",
        action="append",
        default=None,
        help="a configured instance (repeatable); default accepts any",
    )


def main() -> None:
    run_from_command_line(
        "Fake Evolution API v2 gateway",
        lambda arguments: FakeEvolution(
            api_key=arguments.api_key,
            instances=arguments.instance,
            host=arguments.host,
            port=arguments.port,
            latency=arguments.latency,
        ),
        _add_arguments,
    )


if __name__ == "__main__":
    main()
