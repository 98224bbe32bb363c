"""Redis holds no patient data in plaintext: not while a conversation is answered (the journals
of stage A, the outbox, the session copy, the task queue, the caches), and not after stage B
stored it (a stored journal whose reply is settled is shrunk to that reply's state)."""

import asyncio
import base64
import json

import pytest
import redis
from asgiref.sync import sync_to_async
from django.conf import settings

from conversations.hotstore import message_key
from conversations.journal import KEPT_ONCE_STORED
from conversations.models import ConversationSession
from conversations.services.staff_messages import staff_message_send, staff_message_token
from conversations.tasks import journal_flush, outbox_deliver
from conversations.tests.conftest import post_webhook, text_message

pytestmark = pytest.mark.django_db(transaction=True)

PHONE = "79005550123"
NAME = "Zinaida Prokhorova"
PATIENT_TEXT = "Сколько стоит пломба? Звоните после шести, Зинаида"
STAFF_ECHO = "Zinaida, the doctor will call you at noon"
STAFF_SEND = "Zinaida, please bring your X-ray on Friday"


def values_of(client: redis.Redis, key: bytes) -> list[bytes]:
    """Everything a key holds (its name too), whatever its type."""
    kind = client.type(key).decode()
    values = [key]
    if kind == "string":
        values.append(client.get(key) or b"")
    elif kind == "hash":
        for name, value in client.hgetall(key).items():
            values += [name, value]
    elif kind == "list":
        values += client.lrange(key, 0, -1)
    elif kind == "set":
        values += list(client.smembers(key))
    elif kind == "zset":
        values += [member for member, _ in client.zrange(key, 0, -1, withscores=True)]
    elif kind == "stream":
        for _, entry in client.xrange(key):
            for name, value in entry.items():
                values += [name, value]
    return values + [decoded for value in values for decoded in _task_bodies(value)]


def _task_bodies(value: bytes) -> list[bytes]:
    """A Celery message's body, which the broker holds base64-encoded."""
    try:
        message = json.loads(value)
        if message["properties"]["body_encoding"] == "base64":
            return [base64.b64decode(message["body"])]
    except (ValueError, TypeError, KeyError):
        pass
    return []


def plaintext_found(needles: list[str]) -> list[tuple[bytes, str]]:
    """(key, needle) for each key of the test's Redis database holding a needle as it is, or as
    JSON escapes it."""
    client = redis.Redis.from_url(settings.REDIS_URL)
    forms = {needle: {needle.encode(), json.dumps(needle)[1:-1].encode()} for needle in needles}
    found = []
    for key in client.scan_iter(count=500):
        blob = b"\n".join(values_of(client, key))
        found += [(key, n) for n, variants in forms.items() if any(v in blob for v in variants)]
    return found


def journal_keys() -> list[bytes]:
    return list(redis.Redis.from_url(settings.REDIS_URL).scan_iter(match="cb:j:*"))


def from_patient(text: str, **options) -> dict:
    body = text_message(text, phone=PHONE, **options)
    body["data"]["pushName"] = NAME
    return body


async def stage_b() -> None:
    await asyncio.to_thread(journal_flush.apply)


async def test_no_patient_data_in_plaintext_in_redis_during_and_after_a_conversation(
    async_client, clinic, outbox
):
    await post_webhook(async_client, from_patient(PATIENT_TEXT))
    reply = outbox[-1]["text"]
    await post_webhook(async_client, from_patient(STAFF_ECHO, from_me=True))
    needles = [PHONE, NAME, PATIENT_TEXT, reply, STAFF_ECHO]
    assert plaintext_found(needles) == []

    await stage_b()
    assert plaintext_found(needles) == []

    session = await ConversationSession.objects.select_related("clinic").aget()
    token = staff_message_token()
    await sync_to_async(staff_message_send)(session=session, text=STAFF_SEND, token=token)
    await asyncio.to_thread(
        outbox_deliver.apply, args=[message_key("smile-main", f"staff-{token}")]
    )
    assert outbox[-1]["text"] == STAFF_SEND
    assert plaintext_found([*needles, STAFF_SEND]) == []

    await stage_b()
    assert plaintext_found([*needles, STAFF_SEND]) == []
    # Every reply is settled and stored: the journals are shrunk to their replies' states.
    client = redis.Redis.from_url(settings.REDIS_URL, decode_responses=True)
    left = [client.hgetall(key) for key in journal_keys()]
    assert len(left) == 3 and all(set(fields) <= set(KEPT_ONCE_STORED) for fields in left)
