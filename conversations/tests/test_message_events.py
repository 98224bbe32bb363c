"""Edits and deletes for everyone, and the clinic number's connection, through the webhook's own
dispatch (conversations.api._handle) with real Redis, Postgres and Celery's task code.

The events' bodies are those of Evolution API 2.3.6 (whatsapp.baileys.service.ts):
`messages.edited` posts the protocolMessage (`{key: {id, remoteJid, fromMe}, type: 'MESSAGE_EDIT'
or 14, editedMessage: {conversation | extendedTextMessage}}`), `messages.delete` the deleted
message's key, `connection.update` `{instance, state, statusReason}` beside the body's
`date_time`. The channel's parser turns them into channels.base's events; these tests build the
events themselves and hand them to the view's dispatch, so they do not depend on the parser.
"""

import time
from datetime import UTC, datetime

import pytest
from asgiref.sync import sync_to_async

from channels.base import ConnectionChanged, MessageDeleted, MessageEdited
from conversations import api
from conversations import outbox as outbox_module
from conversations.events import AFTER_DELETE, OLDER_STATE, UNKNOWN_MESSAGE
from conversations.hotstore import hot_store, message_key
from conversations.journal import ReplyState
from conversations.models import Clinic, Message
from conversations.tests.conftest import fixture_body, post_webhook, text_message
from security.models import AuditEvent

pytestmark = pytest.mark.django_db(transaction=True)
INSTANCE = "smile-main"


def edited(message_id: str, text: str) -> MessageEdited:
    return MessageEdited(channel="evolution", instance=INSTANCE, message_id=message_id, text=text)


def deleted(message_id: str) -> MessageDeleted:
    return MessageDeleted(channel="evolution", instance=INSTANCE, message_id=message_id)


async def handle(event) -> tuple[int, dict]:
    return await api._handle(event, time.perf_counter_ns())


async def row(message_id: str) -> Message:
    return await Message.objects.aget(wa_message_id=message_id, reply_to=None)


# --- edits ------------------------------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
async def test_an_edit_replaces_the_stored_text(async_client, clinic, outbox):
    await post_webhook(async_client, text_message("Сколько стоит пломба?", message_id="E1"))
    assert await handle(edited("E1", "Сколько стоит чистка?")) == (200, {"status": "accepted"})
    stored = await row("E1")
    assert stored.text == "Сколько стоит чистка?"
    assert stored.edited_at is not None and stored.deleted_at is None
    assert len(outbox) == 1  # the reply was sent at once: only the stored text changes


@pytest.mark.usefixtures("eager_tasks")
async def test_an_edit_twice_keeps_the_last_text(async_client, clinic, outbox):
    await post_webhook(async_client, text_message("Здравствуйте", message_id="E2"))
    await handle(edited("E2", "Здравствуйте!"))
    await handle(edited("E2", "Добрый день"))
    assert (await row("E2")).text == "Добрый день"


@pytest.mark.usefixtures("eager_tasks")
async def test_staff_editing_their_message_updates_it(async_client, clinic, outbox):
    body = fixture_body("v2_from_me_staff_echo")
    await post_webhook(async_client, body)
    message_id = body["data"]["key"]["id"]
    assert await handle(edited(message_id, "Перезвоним в 15:00")) == (200, {"status": "accepted"})
    stored = await Message.objects.aget(wa_message_id=message_id)
    assert stored.from_staff and stored.text == "Перезвоним в 15:00" and stored.edited_at


async def test_an_edit_of_a_message_never_received_is_ignored(clinic):
    assert await handle(edited("NEVER-SEEN", "hello")) == (
        200,
        {"status": "ignored", "reason": UNKNOWN_MESSAGE},
    )


async def test_an_edit_for_an_unknown_instance_is_a_404(clinic):
    event = MessageEdited(channel="evolution", instance="nobody", message_id="X", text="hi")
    assert (await handle(event))[0] == 404


async def journal_of(message_id: str):
    return await hot_store().journal(message_key(INSTANCE, message_id))


async def test_an_edit_before_the_reply_is_written_is_what_the_reply_answers(
    async_client, clinic, outbox, monday_morning
):
    """The booking lane has not answered yet (its task waits in the queue): it answers the
    edited text. Nothing runs tasks inline here; the test runs each when it chooses."""
    from appointments.models import Appointment
    from appointments.tasks import booking_answer_task

    await post_webhook(
        async_client, text_message("book a cleaning tomorrow at 10", message_id="B1")
    )
    assert (await journal_of("B1")).reply_state == ReplyState.PENDING
    assert await handle(edited("B1", "book a cleaning tomorrow at 11")) == (
        200,
        {"status": "accepted"},
    )
    assert (await journal_of("B1")).text == "book a cleaning tomorrow at 11"
    await sync_to_async(booking_answer_task.apply)(args=[message_key(INSTANCE, "B1")])
    assert "11:00" in outbox[-1]["text"]
    held = await Appointment.objects.aget(status="held")
    assert held.starts_at.astimezone(monday_morning.tzinfo).hour == 11


@pytest.fixture
def monday_morning():
    from appointments.tests.conftest import MONDAY_9
    from clinicbot.runtime import clock

    clock.start_at(MONDAY_9)
    yield MONDAY_9
    clock.reset()


@pytest.mark.usefixtures("eager_tasks")
async def test_an_edit_arriving_before_stage_b_stored_the_message_is_not_lost(
    async_client, clinic, outbox, monkeypatch
):
    """Stage B has not stored the message yet (its flush is late): the journal carries the edit,
    and the worker applies it once the row is there."""

    async def late(*args, **kwargs):
        return None

    monkeypatch.setattr(outbox_module, "publish_flush", late)
    await post_webhook(async_client, text_message("Здравствуйте", message_id="S1"))
    assert not await Message.objects.filter(wa_message_id="S1").aexists()
    monkeypatch.undo()
    assert await handle(edited("S1", "Добрый вечер")) == (200, {"status": "accepted"})
    stored = await row("S1")
    assert stored.text == "Добрый вечер" and stored.edited_at is not None


async def test_stage_b_storing_the_old_text_after_the_edit_converges_to_the_edit(
    async_client, clinic, outbox, monkeypatch
):
    """Stage B read the journal before the edit and stores the old text after it: the worker,
    which waited for the row, then writes the edited text over it. Nothing runs tasks here;
    the test runs the worker's tries when it chooses."""
    from conversations.services.storage import journals_store
    from conversations.tasks import CHANGE_APPLIED, CHANGE_WAITS, change_apply

    async def late(*args, **kwargs):
        return None

    monkeypatch.setattr(outbox_module, "publish_flush", late)  # stage B is late
    await post_webhook(async_client, text_message("Здравствуйте", message_id="S2"))
    before_the_edit = await journal_of("S2")
    assert before_the_edit is not None
    assert await handle(edited("S2", "Добрый вечер")) == (200, {"status": "accepted"})
    try_once = sync_to_async(change_apply)
    assert await try_once(clinic.pk, INSTANCE, "S2") == CHANGE_WAITS  # no row yet: try again
    await sync_to_async(journals_store)(journals=[before_the_edit])  # the old text, stored late
    assert (await row("S2")).text == "Здравствуйте"
    assert await try_once(clinic.pk, INSTANCE, "S2") == CHANGE_APPLIED
    stored = await row("S2")
    assert stored.text == "Добрый вечер" and stored.edited_at is not None


async def test_a_change_whose_message_was_never_stored_is_dropped_by_the_worker(
    async_client, clinic, outbox
):
    """Taken while the database could not say whether the message exists, and it did not."""
    from conversations.events import changes
    from conversations.tasks import CHANGE_DROPPED, change_apply

    key = message_key(INSTANCE, "GHOST")
    assert await changes().save(key, "hello")
    assert await sync_to_async(change_apply)(clinic.pk, INSTANCE, "GHOST") == CHANGE_DROPPED
    assert await changes().load(key) is None


# --- deletes ----------------------------------------------------------------------------------


@pytest.mark.usefixtures("eager_tasks")
async def test_a_delete_erases_the_text_keeps_a_tombstone_and_is_audited(
    async_client, clinic, outbox
):
    await post_webhook(async_client, text_message("Мой диагноз: пульпит", message_id="D1"))
    assert await handle(deleted("D1")) == (200, {"status": "accepted"})
    stored = await row("D1")
    assert stored.text == "" and stored.media_content == "" and stored.deleted_at is not None
    entry = await AuditEvent.objects.aget(action="delete_message")
    assert (entry.actor, entry.object_type, entry.object_id) == (
        "system",
        "message",
        str(stored.pk),
    )
    assert entry.details == {"by": "sender", "sender": "patient", "clinic": clinic.pk}
    assert "пульпит" not in str(entry.details)
    # Delivered again, it is applied again: still one tombstone, one audit entry.
    assert await handle(deleted("D1")) == (200, {"status": "accepted"})
    assert await AuditEvent.objects.filter(action="delete_message").acount() == 1


async def test_a_delete_before_the_reply_is_written_drops_the_reply(
    async_client, clinic, outbox, monday_morning
):
    from appointments.models import Appointment
    from appointments.tasks import booking_answer_task
    from conversations.tasks import journal_flush

    await post_webhook(
        async_client, text_message("book a cleaning tomorrow at 10", message_id="D2")
    )
    assert await handle(deleted("D2")) == (200, {"status": "accepted"})
    journal = await journal_of("D2")
    assert (journal.reply_state, journal.text) == (ReplyState.NONE, "")
    await sync_to_async(booking_answer_task.apply)(args=[message_key(INSTANCE, "D2")])
    assert outbox == []
    assert not await Appointment.objects.aexists()
    await sync_to_async(journal_flush.apply)()
    stored = await row("D2")
    assert stored.text == ""


@pytest.mark.usefixtures("eager_tasks")
async def test_an_edit_after_a_delete_changes_nothing(async_client, clinic, outbox):
    await post_webhook(async_client, text_message("Здравствуйте", message_id="D3"))
    await handle(deleted("D3"))
    status, answer = await handle(edited("D3", "Здравствуйте!"))
    assert status == 200 and answer["status"] in ("accepted", "ignored")
    stored = await row("D3")
    assert (stored.text, stored.edited_at) == ("", None) and stored.deleted_at is not None


async def test_a_delete_while_the_change_waits_refuses_a_later_edit(async_client, clinic, outbox):
    """Nothing runs the worker here: the delete is still pending when the edit comes."""
    await post_webhook(async_client, text_message("Здравствуйте", message_id="D4"))
    await handle(deleted("D4"))
    assert await handle(edited("D4", "Здравствуйте!")) == (
        200,
        {"status": "ignored", "reason": AFTER_DELETE},
    )
    assert (await journal_of("D4")).text == ""


# --- Redis unreachable --------------------------------------------------------------------------


@pytest.mark.timeout(60)
@pytest.mark.fault
@pytest.mark.usefixtures("eager_tasks")
async def test_an_edit_that_cannot_be_kept_is_a_503(async_client, clinic, outbox, settings):
    from urllib.parse import urlsplit

    from testing.fault_proxy import FaultProxy

    await post_webhook(async_client, text_message("Здравствуйте", message_id="R1"))
    target = urlsplit(settings.REDIS_URL)
    with FaultProxy(target.hostname, target.port) as proxy:
        settings.REDIS_URL = f"redis://127.0.0.1:{proxy.port}{target.path}"
        proxy.refuse(True)
        proxy.reset_all()
        assert (await handle(edited("R1", "Добрый день")))[0] == 503
        assert (await handle(deleted("R1")))[0] == 503
        proxy.refuse(False)
        assert await handle(edited("R1", "Добрый день")) == (200, {"status": "accepted"})
    assert (await row("R1")).text == "Добрый день"


# --- the connection ------------------------------------------------------------------------------


def connection(state: str, reason: int | None = None, at: float | None = None):
    return ConnectionChanged(
        channel="evolution", instance=INSTANCE, state=state, reason=reason, at=at
    )


async def test_a_connection_change_is_recorded_on_the_clinic(clinic):
    at = time.time()
    assert await handle(connection("close", 401, at)) == (200, {"status": "accepted"})
    stored = await Clinic.objects.aget(pk=clinic.pk)
    assert (stored.connection_state, stored.connection_reason) == ("close", 401)
    assert stored.connection_changed_at == datetime.fromtimestamp(at, tz=UTC)


async def test_an_older_connection_state_arriving_late_is_not_recorded(clinic):
    now = time.time()
    await handle(connection("open", 200, now))
    assert await handle(connection("close", 428, now - 60)) == (
        200,
        {"status": "ignored", "reason": OLDER_STATE},
    )
    assert (await Clinic.objects.aget(pk=clinic.pk)).connection_state == "open"
    await handle(connection("close", 428, now + 60))
    assert (await Clinic.objects.aget(pk=clinic.pk)).connection_state == "close"


async def test_a_connection_change_without_a_time_counts_from_its_arrival(clinic):
    await handle(connection("connecting"))
    await handle(connection("open"))
    assert (await Clinic.objects.aget(pk=clinic.pk)).connection_state == "open"


def test_the_dashboard_and_the_clinic_list_show_a_lost_connection_in_red(
    admin_client, clinic, other_clinic
):
    from django.urls import reverse

    Clinic.objects.filter(pk=clinic.pk).update(
        connection_state="close",
        connection_reason=401,
        connection_changed_at=datetime(2026, 12, 7, 8, 30, tzinfo=UTC),
    )
    Clinic.objects.filter(pk=other_clinic.pk).update(
        connection_state="open", connection_changed_at=datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    )
    page = admin_client.get(reverse("admin:conversations_messagemetric_dashboard")).content.decode()
    assert "WhatsApp connection" in page
    assert '<span class="connection-down">disconnected since 2026-12-07' in page
    assert "connected since 2026-12-07" in page
    listing = admin_client.get(reverse("admin:conversations_clinic_changelist")).content.decode()
    assert '<strong style="color: #ba2121">disconnected since 2026-12-07' in listing
    assert "code 401" in listing
    page = admin_client.get(reverse("admin:conversations_clinic_change", args=[clinic.pk]))
    assert "disconnected since" in page.content.decode()


# --- through the webhook, as Evolution 2.3.6 posts them ---------------------------------------
# whatsapp.baileys.service.ts: `sendDataWebhook(Events.MESSAGES_EDITED, editedMessage)` (the
# protocolMessage), `sendDataWebhook(Events.MESSAGES_DELETE, key)`, and
# `sendDataWebhook(Events.CONNECTION_UPDATE, {instance, ...stateConnection})`; the webhook
# controller (webhook.controller.ts, emit) wraps each in {event, instance, data, date_time, ...}.
def envelope(event: str, data: dict) -> dict:
    return {
        "event": event,
        "instance": INSTANCE,
        "data": data,
        "destination": "https://clinicbot.example/webhooks/evolution",
        "date_time": datetime.now(tz=UTC).isoformat(timespec="milliseconds"),
        "sender": "972500000000@s.whatsapp.net",
        "server_url": "https://evolution.example",
        "apikey": "instance-token",
    }


def patient_key(message_id: str) -> dict:
    return {"remoteJid": "79001234567@s.whatsapp.net", "fromMe": False, "id": message_id}


@pytest.mark.parametrize("edit_type", ["MESSAGE_EDIT", 14])
@pytest.mark.usefixtures("eager_tasks")
async def test_an_edit_posted_by_the_gateway(async_client, clinic, outbox, edit_type):
    await post_webhook(async_client, text_message("Здравствуйте", message_id="W1"))
    body = envelope(
        "messages.edited",
        {
            "key": patient_key("W1"),
            "type": edit_type,
            "editedMessage": {"extendedTextMessage": {"text": "Добрый день"}},
        },
    )
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    assert (await row("W1")).text == "Добрый день"


@pytest.mark.usefixtures("eager_tasks")
async def test_a_delete_posted_by_the_gateway(async_client, clinic, outbox):
    await post_webhook(async_client, text_message("Здравствуйте", message_id="W2"))
    response = await post_webhook(async_client, envelope("messages.delete", patient_key("W2")))
    assert response.json() == {"status": "accepted"}
    assert (await row("W2")).deleted_at is not None


async def test_a_connection_update_posted_by_the_gateway(async_client, clinic):
    body = envelope(
        "connection.update", {"instance": INSTANCE, "state": "close", "statusReason": 401}
    )
    response = await post_webhook(async_client, body)
    assert response.json() == {"status": "accepted"}
    stored = await Clinic.objects.aget(pk=clinic.pk)
    assert (stored.connection_state, stored.connection_reason) == ("close", 401)


async def test_a_close_posted_after_a_later_open_does_not_overwrite_it(async_client, clinic):
    # The gateway's own time (`date_time`) orders its reports, not their arrival.
    def update(state: str, date_time: str) -> dict:
        data = {"instance": INSTANCE, "state": state, "statusReason": 200}
        return envelope("connection.update", data) | {"date_time": date_time}

    await post_webhook(async_client, update("open", "2026-12-07T12:53:21.000Z"))
    response = await post_webhook(async_client, update("close", "2026-12-07T12:53:20.120Z"))
    assert response.json() == {"status": "ignored", "reason": OLDER_STATE}
    stored = await Clinic.objects.aget(pk=clinic.pk)
    assert stored.connection_state == "open"
    assert stored.connection_changed_at == datetime(2026, 12, 7, 12, 53, 21, tzinfo=UTC)


def test_a_delete_erases_a_media_messages_content_too(clinic):
    """A location's or a document's content (its name, the place) is PHI like a text."""
    from conversations.events import PendingChange, change_store
    from conversations.services.storage import conversation_get_or_create

    conversation = conversation_get_or_create(clinic_id=clinic.pk, phone="79001234567")
    Message.objects.create(
        clinic=clinic,
        session=conversation,
        direction=Message.Direction.INBOUND,
        wa_message_id="M1",
        text="",
        media_kind="location",
        media_content="55.7558, 37.6173: Tverskaya 1",
        received_at=datetime.now(tz=UTC),
    )
    change_store(
        clinic_id=clinic.pk, message_id="M1", change=PendingChange(deleted_at=repr(time.time()))
    )
    stored = Message.objects.get(wa_message_id="M1")
    assert (stored.text, stored.media_content, stored.media_kind) == ("", "", "location")
    assert stored.deleted_at is not None


@pytest.mark.usefixtures("eager_tasks")
def test_the_conversation_page_marks_edited_and_deleted_messages(admin_client, clinic, outbox):
    from asgiref.sync import async_to_sync
    from django.test import AsyncClient
    from django.urls import reverse

    client = AsyncClient()
    async_to_sync(post_webhook)(client, text_message("Здравствуйте", message_id="P1"))
    async_to_sync(post_webhook)(client, text_message("Мой диагноз: пульпит", message_id="P2"))
    async_to_sync(handle)(edited("P1", "Добрый день"))
    async_to_sync(handle)(deleted("P2"))
    session = Message.objects.get(wa_message_id="P1").session
    url = reverse("admin:conversations_conversationsession_change", args=[session.pk])
    page = admin_client.get(url).content.decode()
    assert 'Добрый день <em class="mark edited">edited · ' in page
    assert '<em class="mark deleted">deleted by the patient · ' in page
    assert "пульпит" not in page
