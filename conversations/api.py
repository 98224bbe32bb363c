"""The Evolution API webhook: `POST /webhooks/evolution` and `/webhooks/evolution/{event}`.

Credentials are checked on the raw bytes before anything else is read, in constant time; a
refused request touches neither the database nor Redis. Answers are those of CONTRACT.md.
"""

import hashlib
import hmac
import json
import logging
import time

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from ninja import Router

from conversations.directory import ClinicUnavailable
from conversations.evolution import Ignored, MalformedPayload, read_webhook
from conversations.inbound import Answer, NotAccepted, UnknownInstance, inbound_handle

logger = logging.getLogger(__name__)

router = Router(tags=["webhooks"])


def credentials_valid(headers, body: bytes) -> bool:
    secret = settings.EVOLUTION_WEBHOOK_SECRET.encode()
    if not secret:
        return False  # an unconfigured secret refuses everything rather than accepting anyone
    given = headers.get("X-Webhook-Secret")
    if given is not None:
        return hmac.compare_digest(given.encode(), secret)
    signature = headers.get("X-Hub-Signature-256", "")
    if signature.startswith("sha256="):
        expected = hmac.new(secret, body, hashlib.sha256).hexdigest()
        return hmac.compare_digest(signature.removeprefix("sha256=").encode(), expected.encode())
    return False


def _declared_length(request) -> int | None:
    try:
        return int(request.headers.get("Content-Length", ""))
    except ValueError:
        return None


def _error(status: int, detail: str = "") -> HttpResponse:
    if not detail:
        return HttpResponse(status=status)
    return JsonResponse({"detail": detail}, status=status)


async def _webhook(request, path_event: str | None = None) -> HttpResponse:
    started_ns = time.perf_counter_ns()
    declared = _declared_length(request)
    if declared is not None and declared > settings.WEBHOOK_MAX_BODY_BYTES:
        return _error(413)
    try:
        body = request.body
    except RequestDataTooBig:  # a chunked body with no Content-Length, over Django's own cap
        return _error(413)
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return _error(413)
    if not credentials_valid(request.headers, body):
        return _error(401)
    try:
        payload = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return _error(422, "body: not valid JSON")
    if path_event and isinstance(payload, dict) and not payload.get("event"):
        payload["event"] = path_event  # by-events URLs name the event in the path
    try:
        event = read_webhook(payload)
    except MalformedPayload as exc:
        return _error(422, str(exc))
    if isinstance(event, Ignored):
        return JsonResponse({"status": "ignored", "reason": event.reason})
    try:
        handled = await inbound_handle(event, started_ns=started_ns)
    except UnknownInstance:
        logger.warning("webhook for unknown instance %r: no clinic has it", event.instance)
        return _error(404, f"no clinic is configured for instance {event.instance!r}")
    except (NotAccepted, ClinicUnavailable) as exc:
        cause = type(exc.__cause__).__name__ if exc.__cause__ else type(exc).__name__
        logger.warning(
            "webhook for %s not accepted now (%s); the gateway will retry", event.instance, cause
        )
        return _error(503)
    body = {"status": str(handled.answer)}
    if handled.answer == Answer.IGNORED:
        body["reason"] = handled.reason
    return JsonResponse(body)


@router.post("/webhooks/evolution", auth=None, include_in_schema=False)
async def evolution_webhook(request):
    return await _webhook(request)


@router.post("/webhooks/evolution/{event}", auth=None, include_in_schema=False)
async def evolution_webhook_by_event(request, event: str):
    return await _webhook(request, event.replace("-", "."))
