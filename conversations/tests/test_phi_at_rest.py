"""PHI at rest: a stored conversation's phone and name and every message's text are ciphertext in
the tables, plaintext through the ORM; the patient is found by the phone's blind index."""

import asyncio

import pytest
from django.db import connection

from conversations.directory import _load_session_state, _load_session_state_async
from conversations.models import ConversationSession, Message
from conversations.tests.conftest import PATIENT, post_webhook, text_message
from security.blind_index import blind_index

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("eager_tasks")]

NAME = "Иван"
TEXT = "Сколько стоит чистка зубов? Мой номер 79001234567"


def raw_rows(sql: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall()


def test_a_stored_webhook_message_leaves_no_plaintext_phi_in_the_tables(client, clinic, outbox):
    body = text_message(TEXT)
    body["data"]["pushName"] = NAME
    response = client.post(
        "/webhooks/evolution",
        data=body,
        content_type="application/json",
        headers={"X-Webhook-Secret": "test-webhook-secret"},
    )
    assert response.status_code == 200, response.content
    (sent,) = outbox

    sessions = raw_rows(
        "SELECT patient_phone, patient_name, patient_phone_index "
        "FROM conversations_conversationsession"
    )
    messages = raw_rows("SELECT text FROM conversations_message ORDER BY id")
    assert len(sessions) == 1 and len(messages) == 2  # the patient's message and the reply
    dumped = repr(sessions) + repr(messages)
    for plaintext in (PATIENT, NAME, TEXT, "чистка", sent["text"]):
        assert plaintext not in dumped
    ((phone, name, index),) = sessions
    assert phone.startswith("enc1:") and name.startswith("enc1:")
    assert all(text.startswith("enc1:") for (text,) in messages)
    assert index == blind_index(PATIENT)

    # The ORM reads the plaintext back.
    session = ConversationSession.objects.get(patient_phone_index=blind_index(PATIENT))
    assert (session.patient_phone, session.patient_name) == (PATIENT, NAME)
    inbound = Message.objects.get(session=session, direction=Message.Direction.INBOUND)
    assert inbound.text == TEXT
    assert Message.objects.get(reply_to=inbound).text == sent["text"]


async def test_the_same_patient_keeps_one_conversation_and_the_cold_path_finds_it(
    async_client, clinic, outbox
):
    await post_webhook(async_client, text_message("Здравствуйте"))
    await post_webhook(async_client, text_message("Сколько стоит чистка?"))
    session = await ConversationSession.objects.aget()
    assert session.patient_phone == PATIENT
    assert await Message.objects.filter(session=session).acount() == 4
    session.control = ConversationSession.Control.STAFF
    await session.asave(update_fields=["control"])  # a partial save keeps the index
    await session.arefresh_from_db()
    assert session.patient_phone_index == blind_index(PATIENT)
    from clinicbot.runtime import async_db

    try:
        state = await _load_session_state_async(clinic.id, PATIENT)  # on the loop, no thread
    finally:
        await async_db.close()
    assert state["control"] == "staff"
    assert state["status"] == "active" and state["control_at"] == ""


async def _looked_up_on_the_loop(clinic_id):
    from clinicbot.runtime import async_db

    try:
        return await _load_session_state_async(clinic_id, PATIENT)
    finally:
        await async_db.close()


def test_the_data_migration_encrypts_legacy_plaintext_rows_and_fills_the_index(clinic):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("conversations.migrations.0005_phi_encrypt_existing_rows")
    session = ConversationSession.objects.create(clinic=clinic, patient_phone=PATIENT)
    Message.objects.create(
        clinic=clinic, session=session, direction="in", text=TEXT, received_at=session.created_at
    )
    with connection.cursor() as cursor:  # as rows were before the fields were encrypted
        cursor.execute(
            "UPDATE conversations_conversationsession "
            "SET patient_phone = %s, patient_name = %s, patient_phone_index = ''",
            [PATIENT, NAME],
        )
        cursor.execute("UPDATE conversations_message SET text = %s", [TEXT])

    migration.encrypt_existing_rows(apps, None)
    migration.encrypt_existing_rows(apps, None)  # a re-run is harmless

    ((phone, name, index),) = raw_rows(
        "SELECT patient_phone, patient_name, patient_phone_index "
        "FROM conversations_conversationsession"
    )
    ((text,),) = raw_rows("SELECT text FROM conversations_message")
    assert all(value.startswith("enc1:") for value in (phone, name, text))
    assert index == blind_index(PATIENT)
    session.refresh_from_db()
    assert (session.patient_phone, session.patient_name) == (PATIENT, NAME)
    assert Message.objects.get().text == TEXT


def test_a_patient_keeps_one_conversation_through_a_master_key_rotation(clinic, settings):
    import io
    import time

    from django.core.management import call_command

    from conversations.journal import Journal, Kind
    from conversations.services.storage import journals_store
    from security.tests.helpers import new_master_key

    def store(message_id: str) -> None:
        journal = Journal(
            kind=Kind.PATIENT,
            clinic_id=clinic.id,
            phone=PATIENT,
            name=NAME,
            message_id=message_id,
            text=TEXT,
            received_at=time.time(),
        )
        journals_store(journals=[journal])

    store("ROT1")
    ConversationSession.objects.update(control="staff")
    old, new = settings.PHI_MASTER_KEY, new_master_key()
    settings.PHI_MASTER_KEY = f"{new},{old}"  # rotation step 2: the index is now under <new>
    store("ROT2")
    assert ConversationSession.objects.count() == 1
    assert _load_session_state(clinic.id, PATIENT)["control"] == "staff"
    assert asyncio.run(_looked_up_on_the_loop(clinic.id))["control"] == "staff"
    call_command("rotate_phi_key", stdout=io.StringIO())
    settings.PHI_MASTER_KEY = new  # the old key removed
    store("ROT3")
    session = ConversationSession.objects.get(patient_phone_index=blind_index(PATIENT))
    assert (session.patient_phone, session.patient_name) == (PATIENT, NAME)
    assert [m.text for m in Message.objects.filter(session=session)] == [TEXT] * 3
