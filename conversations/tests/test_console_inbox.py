"""The staff console's inbox and conversation page: order, columns, filters, the thread with its
timings, take-over and release, sending as staff through the outbox exactly once, and a bounded
number of queries whatever the row count."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from conversations import journal as journals
from conversations.hotstore import conversation_key
from conversations.models import ConversationSession, Message, MessageMetric
from conversations.phones import mask_phone
from conversations.services.staff_messages import staff_message_token
from security.models import AuditEvent

INBOX = "/admin/conversations/conversationsession/"
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def conversation(clinic, phone, *, name="", control="bot", texts=(), start=T0):
    """A conversation whose messages alternate patient, bot, ... a minute apart."""
    session = ConversationSession.objects.create(
        clinic=clinic, patient_phone=phone, patient_name=name, language="en", control=control
    )
    for i, text in enumerate(texts):
        Message.objects.create(
            clinic=clinic,
            session=session,
            direction="in" if i % 2 == 0 else "out",
            text=text,
            received_at=start + timedelta(minutes=i),
        )
    return session


def page_url(session, action="change"):
    return f"{INBOX}{session.pk}/{action}/"


@pytest.fixture
def staff_client(client, clinic_staff):
    client.force_login(clinic_staff)
    return client


def listed(response):
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_waiting_for_staff_comes_first_then_newest_activity(staff_client, clinic):
    old = conversation(clinic, "79000000001", texts=["hi"], start=T0)
    new = conversation(clinic, "79000000002", texts=["hi"], start=T0 + timedelta(hours=1))
    waiting = conversation(clinic, "79000000003", control="staff", texts=["help"], start=T0)
    answered = conversation(
        clinic, "79000000004", control="staff", texts=["help", "on it"], start=T0
    )
    answered.messages.filter(direction="out").update(from_staff=True)
    assert listed(staff_client.get(INBOX)) == [waiting, new, answered, old]
    assert listed(staff_client.get(INBOX, {"waiting": "yes"})) == [waiting]
    assert listed(staff_client.get(INBOX, {"control": "bot"})) == [new, old]


def test_a_hand_off_the_bot_acknowledged_still_waits_for_staff(staff_client, clinic):
    handed_off = conversation(
        clinic, "79000000001", control="staff", texts=["a person please", "a colleague will reply"]
    )
    conversation(clinic, "79000000002", texts=["hi"], start=T0 + timedelta(hours=1))
    assert listed(staff_client.get(INBOX))[0] == handed_off
    assert listed(staff_client.get(INBOX, {"waiting": "yes"})) == [handed_off]


def test_the_inbox_shows_patient_language_last_message_and_control(staff_client, clinic):
    conversation(clinic, "79001112233", name="Ann", control="staff", texts=["Is it open?"])
    page = staff_client.get(INBOX).content.decode()
    assert f"{mask_phone('79001112233')} · Ann" in page
    assert "79001112233" not in page
    assert "← Is it open?" in page
    assert "staff · waiting" in page
    assert "English" in page


def test_the_inbox_finds_a_patient_by_phone(staff_client, clinic):
    wanted = conversation(clinic, "79001112233", texts=["hi"])
    conversation(clinic, "79004445566", texts=["hi"])
    assert listed(staff_client.get(INBOX, {"q": "+7 900 111-22-33"})) == [wanted]


def test_another_clinics_conversations_stay_out_of_the_inbox(staff_client, clinic, other_clinic):
    mine = conversation(clinic, "79001112233", texts=["hi"])
    conversation(other_clinic, "447700900123", texts=["hi"])
    assert listed(staff_client.get(INBOX)) == [mine]


ADMIN_LISTS = [
    INBOX,
    "/admin/conversations/message/",
    "/admin/pricing/service/",
    "/admin/pricing/pricechange/",
]


def add_rows(clinic, total: int) -> None:
    """Conversations (three messages each) and services (with a price change each), up to
    `total` of each."""
    from pricing.models import PriceChange, Service
    from pricing.services import price_changes_record

    while (n := ConversationSession.objects.count()) < total:
        conversation(clinic, f"7900{n:07d}", name=f"P{n}", texts=["hi", "hello", "price?"])
    while (n := Service.objects.filter(clinic=clinic).count()) < total:
        service = Service.objects.create(
            clinic=clinic,
            code=f"extra-{n}",
            names={"en": f"Extra {n}"},
            price=n + 1,
            currency="EUR",
        )
        price_changes_record(changes=[(service, None)], actor=None, source=PriceChange.Source.CSV)


@pytest.mark.parametrize("path", ADMIN_LISTS)
def test_admin_lists_make_the_same_number_of_queries_for_15_or_60_rows(
    staff_client, clinic, no_cachalot, path
):
    captured_sql = []

    def queries_for(total):
        add_rows(clinic, total)
        with CaptureQueriesContext(connection) as captured:
            assert staff_client.get(path).status_code == 200
        captured_sql[:] = [q["sql"][:120] for q in captured]
        return len(captured)

    few, many = queries_for(15), queries_for(60)
    assert few == many
    assert many <= 15, captured_sql


def test_the_conversation_page_shows_the_thread_in_order_with_timings_and_is_audited(
    staff_client, clinic
):
    session = conversation(clinic, "79001112233", texts=["Сколько стоит пломба?", "3500 RUB"])
    reply = session.messages.get(direction="out")
    reply.intent, reply.lane = "price_query", "fast"
    reply.save()
    MessageMetric.objects.create(
        message=reply, clinic=clinic, lane="fast", intent="price_query", total_ms=12.5, send_ms=3.5
    )
    page = staff_client.get(page_url(session)).content.decode()
    assert page.index("Сколько стоит пломба?") < page.index("3500 RUB")
    assert "price_query" in page and "total 12.5" in page and "send 3.5" in page
    event = AuditEvent.objects.get(action="view_conversation")
    assert (event.actor, event.object_id) == ("alice", str(session.pk))


def session_state(session) -> dict:
    from clinicbot.runtime.redis_client import sync_redis

    key = conversation_key(session.clinic.whatsapp_instance, session.patient_phone)
    return {k.decode(): v.decode() for k, v in sync_redis().hgetall(f"cb:s:{key}").items()}


def test_take_over_and_release_from_the_conversation_page(staff_client, clinic):
    session = conversation(clinic, "79001112233", texts=["hi"])
    response = staff_client.post(page_url(session, "take-over"))
    assert response.status_code == 302
    session.refresh_from_db()
    assert session.control == "staff" and session_state(session)["control"] == "staff"
    staff_client.post(page_url(session, "release"))
    session.refresh_from_db()
    assert session.control == "bot" and session_state(session)["control"] == "bot"
    events = AuditEvent.objects.exclude(action="login").order_by("seq")
    actions = list(events.values_list("action", flat=True))
    assert actions == ["take_over", "release"]


def test_actions_need_a_post(staff_client, clinic):
    session = conversation(clinic, "79001112233", texts=["hi"])
    assert staff_client.get(page_url(session, "take-over")).status_code == 403
    session.refresh_from_db()
    assert session.control == "bot"


# Tasks run inline in other threads, on their own connections: rows must be committed.
@pytest.mark.django_db(transaction=True)
def test_staff_send_goes_out_once_through_the_outbox(staff_client, clinic, gateway, eager_tasks):
    session = conversation(clinic, "79001112233", texts=["Can I talk to a person?"])
    form = {"text": "Hello, this is Dr. Smith.", "token": staff_message_token()}
    for _ in range(2):  # a double click submits the same form twice
        assert staff_client.post(page_url(session, "send"), form).status_code == 302
    sent = gateway.wait_for(1)
    assert [(s["number"], s["text"]) for s in sent] == [("79001112233", form["text"])]
    stored = session.messages.get(from_staff=True)
    assert (stored.direction, stored.text, stored.delivery_status) == ("out", form["text"], "sent")
    assert stored.sent_at is not None
    session.refresh_from_db()
    assert session.control == "staff"  # staff writing: the bot stays silent
    assert AuditEvent.objects.filter(action="send_message").count() == 1
    assert len(gateway.sent()) == 1


# Tasks run inline in other threads, on their own connections: rows must be committed.
@pytest.mark.django_db(transaction=True)
def test_a_staff_message_waits_behind_a_reply_still_queued(
    staff_client, clinic, gateway, eager_tasks
):
    from clinicbot.runtime import aio
    from conversations.hotstore import hot_store

    session = conversation(clinic, "79001112233", texts=["hi"])
    queued = {
        "message_id": "pending-1",
        "reply_text": "bot reply",
        "reply_state": "pending",
        "phone": "79001112233",
    }
    conversation_id = conversation_key(clinic.whatsapp_instance, "79001112233")
    aio.run(_queue_pending_reply(hot_store, conversation_id, queued | {"instance": "smile-main"}))
    form = {"text": "staff reply", "token": staff_message_token()}
    staff_client.post(page_url(session, "send"), form)
    assert gateway.sent() == []  # the bot's reply is still being written: staff wait in line
    stored = session.messages.get(from_staff=True)
    assert stored.delivery_status == "pending"


async def _queue_pending_reply(hot_store, conversation_id, journal):
    store = hot_store()
    await store.redis.hset("cb:j:smile-main:pending-1", mapping=journals.changes(**journal))
    await store.outbox_push(conversation_id, "smile-main:pending-1")


# Tasks run inline in other threads, on their own connections: rows must be committed.
@pytest.mark.django_db(transaction=True)
def test_staff_cannot_send_to_another_clinics_conversation(
    staff_client, other_clinic, gateway, eager_tasks
):
    session = conversation(other_clinic, "447700900123", texts=["hi"])
    form = {"text": "hello", "token": staff_message_token()}
    assert staff_client.post(page_url(session, "send"), form).status_code == 404
    assert gateway.sent() == [] and not Message.objects.filter(from_staff=True).exists()


# Tasks run inline in other threads, on their own connections: rows must be committed.
@pytest.mark.django_db(transaction=True)
def test_an_empty_staff_message_is_refused(staff_client, clinic, gateway, eager_tasks):
    session = conversation(clinic, "79001112233", texts=["hi"])
    staff_client.post(page_url(session, "send"), {"text": "  ", "token": staff_message_token()})
    assert gateway.sent() == [] and not Message.objects.filter(from_staff=True).exists()
