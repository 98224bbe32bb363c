"""The reads the staff console needs: the inbox, a conversation's thread, the replies that
could not be delivered and the messages that could not be stored. Each is one query (or one
Redis round trip), whatever the number of rows."""

from datetime import UTC, datetime

from django.db.models import BooleanField, Case, OuterRef, Subquery, When

from clinicbot.runtime import aio
from conversations.hotstore import hot_store
from conversations.models import ConversationSession, Message

THREAD_LIMIT = 200
UNDELIVERED_LIMIT = 50


def inbox(queryset):
    """The inbox's columns, computed in the list's one query: the last message (its text,
    direction and time, through the message_thread index) and whether the patient waits for
    staff (staff are in control and the patient wrote last)."""
    last = Message.objects.filter(session=OuterRef("pk")).order_by("-received_at", "-id")
    return queryset.annotate(
        last_text=Subquery(last.values("text")[:1], output_field=Message._meta.get_field("text")),
        last_direction=Subquery(last.values("direction")[:1]),
        last_activity=Subquery(last.values("received_at")[:1]),
    ).annotate(
        waiting=Case(
            When(
                control=ConversationSession.Control.STAFF,
                last_direction=Message.Direction.INBOUND,
                then=True,
            ),
            default=False,
            output_field=BooleanField(),
        )
    )


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
