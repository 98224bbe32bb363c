"""Credentials first, on the raw bytes; bad input gets a clear answer and changes nothing."""

import base64
import hashlib
import hmac
import json
import logging
import time

import jwt
import pytest

from channels.evolution.credentials import JWT_EXPIRED_LEEWAY_SECONDS
from channels.evolution.tests.helpers import SECRET, fixture_body, post_webhook, text_message
from conversations.models import Message
from conversations.tests.conftest import queries_in_any_thread, redis_commands, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    # The test secret is shorter than RFC 7518 recommends for HS256; PyJWT says so each time.
    pytest.mark.filterwarnings("ignore::jwt.warnings.InsecureKeyLengthWarning"),
]

WEBHOOK = "/webhooks/evolution"
# Evolution's token expires 10 minutes after its issue.
LIFETIME = 600


def signature(raw: bytes, secret: str = SECRET) -> str:
    return "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def evolution_claims(issued_ago: int = 0, **changes) -> dict:
    iat = int(time.time()) - issued_ago
    return {"iat": iat, "exp": iat + LIFETIME, "app": "evolution", "action": "webhook"} | changes


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def evolution_token(claims: dict | None = None, key: str = SECRET, algorithm="HS256") -> str:
    return jwt.encode(evolution_claims() if claims is None else claims, key, algorithm=algorithm)


def _b64(part: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(part).encode()).rstrip(b"=").decode()


def unsigned_token() -> str:
    """alg "none": no signature at all."""
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(evolution_claims())}."


def tampered_token() -> str:
    """A valid token whose claims were rewritten (a later expiry) under the old signature."""
    header, _, signature_part = evolution_token(evolution_claims(issued_ago=3600)).split(".")
    return f"{header}.{_b64(evolution_claims())}.{signature_part}"


def without(claim: str) -> dict:
    claims = evolution_claims()
    del claims[claim]
    return claims


# Each a (path, headers) maker: tokens are made when the test runs, against the clock then.
REFUSED = {
    "none": lambda: (WEBHOOK, {}),
    "wrong-secret": lambda: (WEBHOOK, {"X-Webhook-Secret": "wrong"}),
    "empty-secret": lambda: (WEBHOOK, {"X-Webhook-Secret": ""}),
    "wrong-signature": lambda: (WEBHOOK, {"X-Hub-Signature-256": "sha256=" + "0" * 64}),
    "other-scheme": lambda: (WEBHOOK, {"X-Hub-Signature-256": "md5=abc"}),
    "jwt-garbage": lambda: (WEBHOOK, bearer("not.a.token")),
    "jwt-empty": lambda: (WEBHOOK, {"Authorization": "Bearer "}),
    "jwt-secret-as-basic": lambda: (WEBHOOK, {"Authorization": f"Basic {SECRET}"}),
    "jwt-secret-as-bearer": lambda: (WEBHOOK, bearer(SECRET)),
    "jwt-other-key": lambda: (WEBHOOK, bearer(evolution_token(key="another-secret-entirely"))),
    "jwt-alg-none": lambda: (WEBHOOK, bearer(unsigned_token())),
    "jwt-alg-hs512": lambda: (WEBHOOK, bearer(evolution_token(algorithm="HS512"))),
    "jwt-tampered": lambda: (WEBHOOK, bearer(tampered_token())),
    # Past its expiry by more than the leeway a late retry gets (a minute's margin).
    "jwt-expired": lambda: (
        WEBHOOK,
        bearer(evolution_token(evolution_claims(LIFETIME + JWT_EXPIRED_LEEWAY_SECONDS + 60))),
    ),
    "jwt-issued-in-future": lambda: (WEBHOOK, bearer(evolution_token(evolution_claims(-3600)))),
    "jwt-other-app": lambda: (WEBHOOK, bearer(evolution_token(evolution_claims(app="other")))),
    "jwt-other-action": lambda: (
        WEBHOOK,
        bearer(evolution_token(evolution_claims(action="login"))),
    ),
    "jwt-no-exp": lambda: (WEBHOOK, bearer(evolution_token(without("exp")))),
    "jwt-no-iat": lambda: (WEBHOOK, bearer(evolution_token(without("iat")))),
    "jwt-no-app": lambda: (WEBHOOK, bearer(evolution_token(without("app")))),
    "path-wrong": lambda: (f"{WEBHOOK}/t/wrong", {}),
    "path-wrong-with-event": lambda: (f"{WEBHOOK}/t/wrong/messages-upsert", {}),
    "path-prefix-of-secret": lambda: (f"{WEBHOOK}/t/{SECRET[:-1]}", {}),
    "path-secret-and-more": lambda: (f"{WEBHOOK}/t/{SECRET}x/messages-upsert", {}),
    "path-empty": lambda: (f"{WEBHOOK}/t/", {}),
    "path-segment-alone": lambda: (f"{WEBHOOK}/t", {}),
    # A path that carries a secret is judged by it alone: a valid header does not rescue it.
    "path-wrong-header-right": lambda: (f"{WEBHOOK}/t/wrong", {"X-Webhook-Secret": SECRET}),
    "path-wrong-jwt-right": lambda: (
        f"{WEBHOOK}/t/wrong/messages-upsert",
        bearer(evolution_token()),
    ),
}


@pytest.mark.parametrize("request_of", REFUSED.values(), ids=REFUSED.keys())
async def test_bad_credentials_get_401_without_a_query_or_a_redis_command(
    async_client, clinic, outbox, request_of
):
    path, headers = request_of()
    body = fixture_body("v2_text_price_ru")
    with queries_in_any_thread() as queries, redis_commands() as commands:
        response = await post_webhook(async_client, body, path=path, headers=headers)
    assert response.status_code == 401
    assert queries == []
    assert commands == []
    assert outbox == []


async def test_credentials_refuse_everything_while_no_secret_is_configured(
    async_client, clinic, outbox, settings
):
    settings.EVOLUTION_WEBHOOK_SECRET = ""
    raw = json.dumps(text_message("Привет")).encode()
    for path, headers in [
        (WEBHOOK, {"X-Webhook-Secret": ""}),
        (WEBHOOK, {"X-Hub-Signature-256": signature(raw, secret="")}),
        (f"{WEBHOOK}/t/", {}),
    ]:
        response = await post_webhook(async_client, raw, path=path, headers=headers)
        assert response.status_code == 401, path
    assert outbox == []


ACCEPTED = {
    "secret-header": lambda: (WEBHOOK, {"X-Webhook-Secret": SECRET}),
    "jwt": lambda: (WEBHOOK, bearer(evolution_token())),
    "jwt-lowercase-scheme": lambda: (WEBHOOK, {"Authorization": f"bearer {evolution_token()}"}),
    # Evolution's retry 25 minutes after the first try still carries the first try's token.
    "jwt-late-retry": lambda: (WEBHOOK, bearer(evolution_token(evolution_claims(25 * 60)))),
    # Any one valid credential is enough.
    "jwt-beside-a-wrong-secret": lambda: (
        WEBHOOK,
        {"X-Webhook-Secret": "wrong"} | bearer(evolution_token()),
    ),
    "path": lambda: (f"{WEBHOOK}/t/{SECRET}", {}),
    "path-with-event": lambda: (f"{WEBHOOK}/t/{SECRET}/messages-upsert", {}),
    "path-beside-a-wrong-header": lambda: (
        f"{WEBHOOK}/t/{SECRET}",
        {"X-Webhook-Secret": "wrong"} | bearer("not.a.token"),
    ),
}


@pytest.mark.usefixtures("eager_tasks")
@pytest.mark.parametrize("request_of", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_each_credential_gets_a_message_accepted_and_answered(
    async_client, clinic, outbox, request_of
):
    path, headers = request_of()
    body = text_message("Здравствуйте")
    response = await post_webhook(async_client, body, path=path, headers=headers)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    (sent,) = wait_until(lambda: list(outbox))
    assert sent["instance"] == "smile-main"
    assert await Message.objects.filter(wa_message_id=body["data"]["key"]["id"]).aexists()


CONNECTION_OPEN = {"instance": "smile-main", "data": {"state": "open", "statusReason": 200}}


@pytest.mark.parametrize(
    ("event", "body"),
    [("messages-upsert", text_message("Здравствуйте")), ("connection-update", CONNECTION_OPEN)],
)
async def test_the_event_after_a_path_secret_reaches_the_parser(
    async_client, clinic, outbox, event, body
):
    body = {name: value for name, value in body.items() if name != "event"}  # the path names it
    answer = {"status": "accepted"}
    response = await post_webhook(
        async_client, body, path=f"{WEBHOOK}/t/{SECRET}/{event}", headers={}
    )
    assert response.status_code == 200, response.content
    assert response.json() == answer


async def test_a_refused_path_secret_is_not_in_djangos_log(async_client, clinic, caplog):
    near_miss = SECRET[:-1] + "X"  # an old or mistyped secret is still a secret
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = await post_webhook(
            async_client, text_message("Привет"), path=f"{WEBHOOK}/t/{near_miss}", headers={}
        )
    assert response.status_code == 401
    lines = [record.getMessage() for record in caplog.records if record.name == "django.request"]
    assert lines == [f"Unauthorized: {WEBHOOK}/t/[redacted]"]
    assert near_miss not in caplog.text


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
