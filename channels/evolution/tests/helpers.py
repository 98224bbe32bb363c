"""Evolution webhook bodies for tests: the corpus beside this file, a text message built from
it, and posting one with the webhook's credentials."""

import copy
import itertools
import json
import time

from conftest import EVOLUTION_FIXTURES

SECRET = "test-webhook-secret"
PATIENT = "79001234567"
_ids = itertools.count(1)


def fixture_body(name: str) -> dict:
    """The corpus body, as the gateway would deliver it now: a message's timestamp is the
    current time (one older than the de-duplication window is first looked up in the database,
    a query the fast lane's tests do not expect; test_payloads posts the corpus as it is)."""
    body = json.loads((EVOLUTION_FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    data = body.get("data")
    if isinstance(data, dict) and "messageTimestamp" in data:
        data["messageTimestamp"] = int(time.time())
    return body


def text_message(
    text: str,
    *,
    phone: str = PATIENT,
    message_id: str | None = None,
    instance: str = "smile-main",
    from_me: bool = False,
) -> dict:
    body = copy.deepcopy(fixture_body("v2_text_greeting_ru"))
    body["instance"] = instance
    body["data"]["key"].update(
        remoteJid=f"{phone}@s.whatsapp.net",
        fromMe=from_me,
        id=message_id or f"TEST{next(_ids):08d}{time.monotonic_ns() % 10**6:06d}",
    )
    body["data"]["message"]["conversation"] = text
    return body


async def post_webhook(client, body, *, path="/webhooks/evolution", headers=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    headers = {"X-Webhook-Secret": SECRET} if headers is None else headers
    return await client.post(path, data=raw, content_type="application/json", headers=headers)
