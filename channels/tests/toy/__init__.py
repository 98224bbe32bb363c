"""A channel that exists only in the tests: everything a channel needs, in one folder.

Its webhook takes `{"number": <clinic instance>, "from": <digits>, "id": ..., "text": ...}`, or a
list of them, with the header `X-Toy-Token`; its sender keeps what it sends in `ToySender.sent`.
"""

import hmac
import json
from collections.abc import Mapping

from channels.base import Ignored, InboundMessage, MalformedPayload, Outcome, SendResult

TOKEN = "toy-token"


class ToySender:
    sent: list[dict] = []

    async def asend(self, *, instance: str, number: str, text: str) -> SendResult:
        self.sent.append({"instance": instance, "number": number, "text": text})
        return SendResult(Outcome.SENT, gateway_id=f"toy-sent-{len(self.sent)}")


class ToyChannel:
    kind = "toy"
    webhook = "toy"

    def authenticate(self, headers: Mapping[str, str], body: bytes, subpath: str) -> bool:
        return hmac.compare_digest(headers.get("X-Toy-Token", ""), TOKEN)

    def decode(self, body: bytes) -> object:
        return json.loads(body)

    def parse(self, payload: object, subpath: str) -> list[InboundMessage | Ignored]:
        if isinstance(payload, list):
            return [message for item in payload for message in self.parse(item, subpath)]
        if not isinstance(payload, dict):
            raise MalformedPayload("body: expected a JSON object")
        for field in ("number", "from", "id", "text"):
            if not isinstance(payload.get(field), str):
                raise MalformedPayload(f"{field}: missing")
        message = InboundMessage(
            channel=self.kind,
            instance=payload["number"],
            message_id=payload["id"],
            phone=payload["from"],
            push_name="",
            text=payload["text"],
            from_me=False,
            has_media=False,
            timestamp=None,
        )
        return [message]

    def sender(self) -> ToySender:
        return ToySender()
