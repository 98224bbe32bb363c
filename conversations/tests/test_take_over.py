"""Who takes a conversation over: a person at the clinic writing from the clinic's number, from
its phone (`fromMe` in `messages.upsert`) or from another client of the gateway (Chatwoot,
Evolution Manager: `send.message`), does; our own replies coming back (`send.message` of what we
sent) and the gateway's own automatic messages (a missed call's auto-reply) do not.

Evolution 2.3.6 (whatsapp.baileys.service.ts): the call auto-reply is sent from the `call`
handler with `sendMessage(..., {text: rejectCall msgCall})`, and comes back as a `fromMe`
message; messages sent through the API come back only as `send.message` (Baileys'
`emitOwnEvents: false`). The parser marks the first `automated` and gives both as `fromMe`
InboundMessages; these tests build the messages themselves, in a chat with a phone and in a
chat WhatsApp shows only by a LID ("<lid>@lid").
"""

import itertools
import time

import pytest

from channels.base import InboundMessage
from conversations import api
from conversations.inbound import AUTOMATED
from conversations.models import ConversationSession, Message

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("eager_tasks"),
]
INSTANCE = "smile-main"
PHONES = {"phone": "79001234567", "lid": "187643920114355@lid"}
_ids = itertools.count(1)


def message(text: str, phone: str, *, from_me: bool = False, automated: bool = False):
    return InboundMessage(
        channel="evolution",
        instance=INSTANCE,
        message_id=f"TAKEOVER{next(_ids):06d}{time.monotonic_ns() % 10**6:06d}",
        phone=phone,
        push_name="" if from_me else "Anna",
        text=text,
        from_me=from_me,
        has_media=False,
        timestamp=int(time.time()),
        automated=automated,
    )


async def handle(event) -> tuple[int, dict]:
    return await api._handle(event, time.perf_counter_ns())


async def control() -> str:
    return (await ConversationSession.objects.aget()).control


@pytest.mark.parametrize("chat", list(PHONES))
async def test_the_gateways_call_auto_reply_never_takes_the_conversation_over(chat, clinic, outbox):
    phone = PHONES[chat]
    auto_reply = message("Sorry, we can't take calls here.", phone, from_me=True, automated=True)
    assert await handle(auto_reply) == (200, {"status": "ignored", "reason": AUTOMATED})
    assert await handle(message("Сколько стоит пломба?", phone)) == (200, {"status": "accepted"})
    assert len(outbox) == 1 and "3\xa0500" in outbox[0]["text"]
    assert outbox[0]["number"] == phone
    assert await control() == ConversationSession.Control.BOT
    # Stored among the conversation's messages, as staff see it on the phone.
    stored = await Message.objects.aget(wa_message_id=auto_reply.message_id)
    assert stored.from_staff and stored.text == "Sorry, we can't take calls here."


@pytest.mark.parametrize("chat", list(PHONES))
async def test_staff_writing_from_another_client_take_the_conversation_over(chat, clinic, outbox):
    phone = PHONES[chat]
    assert await handle(message("Здравствуйте", phone)) == (200, {"status": "accepted"})
    # send.message of a text we never sent: a person at the clinic, in Chatwoot.
    staff = message("Добрый день! Это администратор, чем помочь?", phone, from_me=True)
    status, answer = await handle(staff)
    assert status == 200 and answer["status"] == "ignored" and "staff" in answer["reason"]
    assert await handle(message("Сколько стоит пломба?", phone)) == (200, {"status": "accepted"})
    assert len(outbox) == 1  # the greeting's reply only: the bot stays silent since
    assert await control() == ConversationSession.Control.STAFF


@pytest.mark.parametrize("chat", list(PHONES))
async def test_our_own_reply_coming_back_as_send_message_stays_ours(chat, clinic, outbox):
    phone = PHONES[chat]
    await handle(message("Здравствуйте", phone))
    (reply,) = outbox
    echo = message(reply["text"], phone, from_me=True)
    status, answer = await handle(echo)
    assert (status, answer["status"]) == (200, "ignored")
    assert answer["reason"].startswith("own echo")
    assert await handle(message("Сколько стоит пломба?", phone)) == (200, {"status": "accepted"})
    assert len(outbox) == 2
    assert await control() == ConversationSession.Control.BOT
    assert not await Message.objects.filter(wa_message_id=echo.message_id).aexists()
