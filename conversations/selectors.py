"""The reads the staff console needs: the inbox, a conversation's thread, the replies that
could not be delivered and the messages that could not be stored. Each is one query (or one
Redis round trip), whatever the number of rows."""

import hashlib
from datetime import UTC, datetime

from django.db.models import BooleanField, Case, Count, Max, OuterRef, Q, Subquery, When

from clinicbot.runtime import aio
from conversations.hotstore import hot_store
from conversations.models import ConversationSession, Message

THREAD_LIMIT = 200
UNDELIVERED_LIMIT = 50


def inbox(queryset):
    """The inbox's columns, computed in the list's one query: the last message (its text,
    direction and time, through the message_thread index) and whether the patient waits for
    staff: staff are in control and, of the patient's and staff's messages, the patient's is
    the last (the bot's acknowledgement of a hand-off answers no one)."""
    last = Message.objects.filter(session=OuterRef("pk")).order_by("-received_at", "-id")
    last_human = last.filter(Q(direction=Message.Direction.INBOUND) | Q(from_staff=True))
    return queryset.annotate(
        last_text=Subquery(last.values("text")[:1], output_field=Message._meta.get_field("text")),
        last_direction=Subquery(last.values("direction")[:1]),
        last_activity=Subquery(last.values("received_at")[:1]),
        last_human_direction=Subquery(last_human.values("direction")[:1]),
    ).annotate(
        waiting=Case(
            When(
                control=ConversationSession.Control.STAFF,
                last_human_direction=Message.Direction.INBOUND,
                then=True,
            ),
            default=False,
            output_field=BooleanField(),
        )
    )


def inbox_pulse(sessions) -> dict:
    """What the open inbox polls for (conversations.admin, inbox.js): how many of `sessions`
    wait for staff, and a version that changes when a patient writes, a conversation is handed
    to staff or released, or one is flagged or cleared. Counts and an opaque hash only: nothing
    a patient wrote or is called, so the poll needs no audit.

    Waiting for staff, as the inbox marks it: the patient wrote last in a conversation staff
    control ("staff · waiting"), or the conversation is flagged for attention (an urgent
    hand-off, a question for staff, a voice note the bot could not hear). Two queries: the
    candidates through the partial index session_waiting (a handful of rows, each with its last
    message through the message_thread index), the latest patient message through session_inbox.
    """
    candidates = inbox(sessions.filter(ConversationSession.WAITING_CANDIDATE))
    waiting = candidates.aggregate(
        n=Count("pk", filter=Q(waiting=True) | ~Q(attention="")),
        candidates=Count("pk"),
        control_at=Max("control_changed_at"),
        attention_at=Max("attention_at"),
    )
    latest = sessions.aggregate(at=Max("last_inbound_at"))["at"]
    stamp = "|".join(str(value) for value in [latest, *waiting.values()])
    return {"waiting": waiting["n"], "version": hashlib.sha256(stamp.encode()).hexdigest()[:16]}


def conversation_thread(session: ConversationSession, limit: int = THREAD_LIMIT) -> list[Message]:
    """The conversation's latest messages, oldest first, with their timings (one query)."""
    latest = (
        Message.objects.filter(session=session)
        .select_related("metric")
        .order_by("-received_at", "-id")[:limit]
    )
    return list(reversed(latest))


def undelivered_replies(messages, since: datetime, limit: int = UNDELIVERED_LIMIT) -> list[dict]:
    """The latest replies and staff messages given up after the gateway refused them (the
    partial index message_undelivered holds only those)."""
    return list(
        messages.filter(
            direction=Message.Direction.OUTBOUND,
            delivery_status=Message.Delivery.FAILED,
            received_at__gte=since,
        )
        .order_by("-received_at")
        .values("received_at", "clinic__name", "intent", "from_staff", "session_id")[:limit]
    )


def unstorable_messages(clinics, since: datetime, limit: int = UNDELIVERED_LIMIT) -> list[dict]:
    """The latest messages stage B set aside because the database refuses their values (an id
    it cannot hold, ...): accepted, perhaps answered, but never stored. Their journals in Redis
    are all that is left of them, until they expire."""
    names = {clinic.pk: clinic.name for clinic in clinics}
    entries = aio.run(_set_aside_since(since.timestamp()))
    return [
        {
            "received_at": datetime.fromtimestamp(journal.received_at, tz=UTC),
            "clinic__name": names[journal.clinic_id],
            "kind": journal.kind,
            "message_id": journal.message_id,
        }
        for _, journal in entries
        if journal is not None and journal.clinic_id in names
    ][:limit]


async def _set_aside_since(since: float):
    # The hot store belongs to the event loop it is used on: aio.run's.
    return await hot_store().set_aside_since(since)
