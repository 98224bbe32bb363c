"""The channels' webhooks: `POST /webhooks/<channel>` and `POST /webhooks/<channel>/<subpath>`.

What every channel shares is here: the size limits, the answers and their status codes, and
handing each message to stage A (conversations.inbound), each edit, delete for everyone or
connection change to conversations.events. What differs (the credentials, the
body's format, what a subpath means) is the channel's (channels.registry). Credentials are
checked on the raw bytes before anything else is read; a refused request touches neither the
database nor Redis.
"""

import logging
import time

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from ninja import Router

from channels.base import Ignored, InboundMessage, MalformedPayload
from channels.registry import by_webhook
from conversations.directory import ClinicUnavailable
from conversations.events import event_handle
from conversations.inbound import Answer, NotAccepted, UnknownInstance, inbound_handle

logger = logging.getLogger(__name__)

router = Router(tags=["webhooks"])


def _error(status: int, detail: str = "") -> HttpResponse:
    if not detail:
        return HttpResponse(status=status)
    return JsonResponse({"detail": detail}, status=status)


def _text_only(events) -> bool:
    """Whether the body holds messages and none of them carries media (only media, in base64,
    makes a body big; an event the bot ignores is answered whatever its size)."""
    messages = [event for event in events if isinstance(event, InboundMessage)]
    return bool(messages) and not any(message.has_media for message in messages)


async def _webhook(request, name: str, subpath: str) -> HttpResponse:
    started_ns = time.perf_counter_ns()
    channel = by_webhook(name)
    if channel is None:
        return _error(404, f"no channel has the webhook {name!r}")
    # The whole body, already read by the server (clinicbot.runtime.bodies), which refuses one
    # over the limit before reading it; request.body would apply Django's smaller form limit.
    body = request.read()
    if len(body) > settings.WEBHOOK_MAX_BODY_BYTES:
        return _error(413)
    if not channel.authenticate(request.headers, body, subpath):
        return _error(401)
    try:
        # The channel's decoder: a media message's file is kept out of the parse (it stays in
        # the body) rather than decoded twice into strings as big.
        payload = channel.decode(body)
    except (ValueError, UnicodeDecodeError):
        return _error(422, "body: not valid JSON")
    except RecursionError:
        # The parser gives up at the interpreter's recursion limit, about a thousand levels
        # deep, after reading no more than that: no gateway nests a body so deep.
        return _error(422, "body: nested too deeply")
    try:
        events = channel.parse(payload, subpath)
    except MalformedPayload as exc:
        return _error(422, str(exc))
    if len(body) > settings.WEBHOOK_MAX_TEXT_BODY_BYTES and _text_only(events):
        return _error(413)  # only media (base64) makes a body this big
    answers = [await _handle(event, started_ns) for event in events]
    if len(answers) == 1:
        status, answer = answers[0]
        return JsonResponse(answer, status=status) if answer else _error(status)
    if any(status == 503 for status, _ in answers):
        return _error(503)  # what was accepted is a duplicate when the gateway retries
    return JsonResponse({"status": "batch", "results": [answer for _, answer in answers]})


async def _handle(event, started_ns: int) -> tuple[int, dict]:
    """The status and answer for one message or event of the body."""
    if isinstance(event, Ignored):
        return 200, {"status": "ignored", "reason": event.reason}
    try:
        if isinstance(event, InboundMessage):
            handled = await inbound_handle(event, started_ns=started_ns)
        else:  # an edit, a delete, the connection's state
            handled = await event_handle(event)
    except UnknownInstance:
        logger.warning("webhook for unknown instance %r: no clinic has it", event.instance)
        return 404, {"detail": f"no clinic is configured for instance {event.instance!r}"}
    except (NotAccepted, ClinicUnavailable) as exc:
        cause = type(exc.__cause__).__name__ if exc.__cause__ else type(exc).__name__
        logger.warning(
            "webhook for %s not accepted now (%s); the gateway will retry", event.instance, cause
        )
        return 503, {}
    answer = {"status": str(handled.answer)}
    if handled.answer == Answer.IGNORED:
        answer["reason"] = handled.reason
    return 200, answer


@router.post("/webhooks/{name}", auth=None, include_in_schema=False)
async def channel_webhook(request, name: str):
    return await _webhook(request, name, "")


@router.post("/webhooks/{name}/{path:subpath}", auth=None, include_in_schema=False)
async def channel_webhook_subpath(request, name: str, subpath: str):
    return await _webhook(request, name, subpath)
