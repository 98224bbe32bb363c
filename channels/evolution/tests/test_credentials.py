"""Credentials first, on the raw bytes; bad input gets a clear answer and changes nothing."""

import hashlib
import hmac
import json
import logging

import pytest

from channels.evolution.tests.helpers import SECRET, fixture_body, post_webhook, text_message
from conversations.models import Message
from conversations.tests.conftest import queries_in_any_thread, redis_commands

pytestmark = pytest.mark.django_db(transaction=True)


def signature(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Webhook-Secret": "wrong"},
        {"X-Webhook-Secret": ""},
        {"X-Hub-Signature-256": "sha256=" + "0" * 64},
        {"X-Hub-Signature-256": "md5=abc"},
    ],
    ids=["none", "wrong-secret", "empty-secret", "wrong-signature", "other-scheme"],
)
async def test_bad_credentials_get_401_without_a_query_or_a_redis_command(
    async_client, clinic, outbox, headers
):
    body = fixture_body("v2_text_price_ru")
    with queries_in_any_thread() as queries, redis_commands() as commands:
        response = await post_webhook(async_client, body, headers=headers)
    assert response.status_code == 401
    assert queries == []
    assert commands == []
    assert outbox == []


async def test_a_valid_hmac_signature_of_the_raw_body_is_accepted(async_client, clinic, outbox):
    raw = json.dumps(fixture_body("v2_text_greeting_ru")).encode()
    response = await post_webhook(
        async_client, raw, headers={"X-Hub-Signature-256": signature(raw)}
    )
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}


async def test_a_signature_over_a_reserialized_body_is_refused(async_client, clinic, outbox):
    body = fixture_body("v2_text_greeting_ru")
    raw = json.dumps(body, indent=2).encode()
    other_serialization = json.dumps(body).encode()
    response = await post_webhook(
        async_client, raw, headers={"X-Hub-Signature-256": signature(other_serialization)}
    )
    assert response.status_code == 401


async def test_a_body_over_5_mib_gets_413(async_client, clinic, outbox):
    body = text_message("x" * (5 * 1024 * 1024 + 10))
    response = await post_webhook(async_client, body)
    assert response.status_code == 413
    assert outbox == []


async def test_a_body_over_5_mib_with_media_in_it_is_accepted(async_client, clinic, outbox):
    body = fixture_body("v2_image_with_caption")
    body["data"]["message"]["base64"] = "A" * (6 * 1024 * 1024)  # Evolution's webhookBase64
    response = await post_webhook(async_client, body)
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}


async def test_an_event_the_bot_ignores_over_5_mib_is_answered_ignored(async_client, clinic):
    body = fixture_body("v2_image_with_caption")
    body["data"]["key"]["remoteJid"] = "120363041234567890@g.us"  # a group's photo
    body["data"]["message"]["base64"] = "A" * (6 * 1024 * 1024)
    response = await post_webhook(async_client, body)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"


async def test_a_body_that_is_not_json_gets_422_naming_it(async_client, clinic):
    response = await post_webhook(async_client, b"{not json")
    assert response.status_code == 422
    assert "JSON" in response.json()["detail"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda body: body["data"]["key"].pop("id"), "data.key.id"),
        (lambda body: body.pop("instance"), "instance"),
        (lambda body: body.update(data="nope"), "data"),
    ],
)
async def test_a_malformed_body_gets_422_naming_the_field(async_client, clinic, change, field):
    body = fixture_body("v2_text_price_ru")
    change(body)
    response = await post_webhook(async_client, body)
    assert response.status_code == 422
    assert response.json()["detail"].startswith(field)
    assert "Сколько" not in response.json()["detail"]  # the patient's text is never echoed


async def test_an_unknown_instance_gets_404_and_a_log_line_naming_it(async_client, clinic, outbox):
    lines = []
    handler = logging.Handler()
    handler.emit = lambda record: lines.append(record.getMessage())
    logger = logging.getLogger("conversations.api")
    logger.addHandler(handler)
    try:
        response = await post_webhook(async_client, text_message("Привет", instance="nobody-here"))
    finally:
        logger.removeHandler(handler)
    assert response.status_code == 404
    assert any("nobody-here" in line for line in lines)
    assert outbox == []
    assert not await Message.objects.aexists()
