"""A patient WhatsApp names by LID, by phone or by both is one conversation, answered at an
address the gateway can deliver to. Bodies in the shape of Evolution 2.3.6 (Baileys 7): a LID chat
has `remoteJid` "<lid>@lid" and, when WhatsApp sent it, the phone in `remoteJidAlt`."""

import time

import pytest

from appointments.tests.conftest import clinic_clock  # noqa: F401  (a fixture)
from channels.evolution.tests.helpers import post_webhook, text_message
from clinicbot.runtime.redis_client import sync_redis
from conversations.models import ConversationSession, Message

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

LID = "118395240996012@lid"
PHONE = "972501234567"


def lid_message(text: str, *, phone: str | None = None, from_me: bool = False) -> dict:
    body = text_message(text, from_me=from_me)
    key = body["data"]["key"]
    key["remoteJid"] = LID
    key["addressingMode"] = "lid"
    if phone:
        key["remoteJidAlt"] = f"{phone}@s.whatsapp.net"
    body["data"]["messageTimestamp"] = int(time.time())
    return body


async def sessions() -> list[ConversationSession]:
    return [s async for s in ConversationSession.objects.order_by("pk")]


async def test_a_lid_only_patient_is_answered_at_the_lid(async_client, clinic, outbox):
    response = await post_webhook(async_client, lid_message("Здравствуйте"))
    assert response.json() == {"status": "accepted"}
    (sent,) = outbox
    assert sent["number"] == LID  # bare LID digits would be read as a (wrong) phone number
    (session,) = await sessions()
    assert session.patient_phone == LID
    assert await Message.objects.filter(session=session).acount() == 2  # the message, the reply


async def test_the_pair_merges_the_lid_conversation_into_the_phones(async_client, clinic, outbox):
    await post_webhook(async_client, lid_message("Здравствуйте"))
    await post_webhook(async_client, lid_message("Сколько стоит пломба?", phone=PHONE))
    assert [sent["number"] for sent in outbox] == [LID, PHONE]
    (session,) = await sessions()
    from security.models import AuditEvent

    (merged,) = [e async for e in AuditEvent.objects.filter(action="merge_conversation")]
    assert merged.object_id == str(session.pk) and merged.actor == "system"
    assert session.patient_phone == PHONE
    assert session.patient_lid == LID
    assert await Message.objects.filter(session=session).acount() == 4

    # Later, WhatsApp names the patient by the LID alone again: same patient, same number.
    await post_webhook(async_client, lid_message("Спасибо"))
    assert outbox[-1]["number"] == PHONE
    (session,) = await sessions()
    assert await Message.objects.filter(session=session).acount() == 6


async def test_without_redis_the_database_still_keeps_one_conversation(
    async_client, clinic, outbox
):
    await post_webhook(async_client, lid_message("Здравствуйте", phone=PHONE))
    for key in sync_redis().scan_iter("cb:lid:*"):
        sync_redis().delete(key)  # Redis lost what it learned (restarted, evicted)

    await post_webhook(async_client, lid_message("Сколько стоит пломба?"))
    assert outbox[-1]["number"] == LID  # stage A does not know the phone: the LID reaches them
    (session,) = await sessions()
    assert session.patient_phone == PHONE
    assert await Message.objects.filter(session=session).acount() == 4
    assert [key for key in sync_redis().scan_iter("cb:lid:*")]  # learned again from the database


async def test_staff_writing_in_a_lid_chat_take_it_over(async_client, clinic, outbox):
    await post_webhook(async_client, lid_message("Здравствуйте"))
    staff = lid_message("Добрый день, это администратор клиники", from_me=True)
    response = await post_webhook(async_client, staff)
    assert response.json()["status"] == "ignored"
    await post_webhook(async_client, lid_message("Сколько стоит пломба?"))
    assert len(outbox) == 1  # staff have the conversation: the bot is silent
    (session,) = await sessions()
    assert session.control == ConversationSession.Control.STAFF


async def test_no_phone_or_lid_in_redis_in_plaintext(async_client, clinic, outbox):
    await post_webhook(async_client, lid_message("Здравствуйте", phone=PHONE))
    redis = sync_redis()
    for key in redis.scan_iter("cb:lid:*"):
        assert PHONE not in key.decode() and "118395240996012" not in key.decode()
        assert PHONE.encode() not in redis.get(key)


@pytest.mark.usefixtures("clinic_clock")
async def test_a_booking_under_the_lid_moves_with_the_merge_and_is_confirmed(
    async_client, clinic, outbox
):
    from appointments.models import Appointment, BookingDialog

    await post_webhook(async_client, lid_message("book a cleaning tomorrow at 10"))
    assert "10:00" in outbox[-1]["text"]  # a time held under the LID, waiting for a yes
    await post_webhook(async_client, lid_message("yes", phone=PHONE))  # now naming the phone
    assert "Booked" in outbox[-1]["text"]
    (session,) = await sessions()
    appointment = await Appointment.objects.aget()
    assert (appointment.status, appointment.conversation_id) == ("booked", session.pk)
    assert await BookingDialog.objects.filter(conversation=session).aexists()


async def test_a_conversation_staff_took_under_the_lid_stays_theirs_once_the_phone_is_known(
    async_client, clinic, outbox
):
    await post_webhook(async_client, lid_message("Здравствуйте"))
    await post_webhook(async_client, lid_message("Это администратор клиники", from_me=True))
    await post_webhook(async_client, lid_message("Сколько стоит пломба?", phone=PHONE))
    await post_webhook(async_client, lid_message("А чистка?"))
    assert len(outbox) == 1  # only the first greeting: staff have the patient since
    (session,) = await sessions()
    assert session.control == ConversationSession.Control.STAFF


async def test_the_clinics_own_phone_beside_a_lid_is_never_learned_as_the_patients(
    async_client, clinic, outbox
):
    await post_webhook(async_client, lid_message("Здравствуйте"))
    staff = lid_message("Добрый день, это клиника", phone="74950000000", from_me=True)
    await post_webhook(async_client, staff)  # Baileys 7 gives the sender's own phone here
    assert not [key for key in sync_redis().scan_iter("cb:lid:*")]
    assert [s.patient_phone for s in await sessions()] == [LID]
