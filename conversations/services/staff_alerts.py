"""What in the stored patient messages staff are told of (notifications): a hand-off (the
patient asked for a person, the LLM lane handed over, or a question only staff can answer), an
urgent case, a request to cancel or move an appointment, a reply the gateway refused for good.
Derived in stage B from what each message's decision recorded; stage A never touches this.
And the other way round: a notification sent to an on-duty number through the clinic's own
WhatsApp number is remembered as our own text, so its echo from the gateway is ignored."""

import logging
from collections.abc import Iterator
from datetime import UTC, datetime

from redis.exceptions import RedisError

from channels.echo import echo_field
from clinicbot.runtime import aio
from conversations.decide import QUESTION_FOR_STAFF, STAFF, URGENT
from conversations.hotstore import conversation_key, hot_store
from conversations.journal import Journal, ReplyState
from nlu import Intent
from notifications.models import Event
from notifications.services import StaffEvent

logger = logging.getLogger(__name__)
CANCEL_OR_MOVE = frozenset({Intent.CANCEL, Intent.RESCHEDULE})


def journal_staff_events(journals: list[Journal], sessions: dict) -> list[StaffEvent]:
    """The events of these patient messages; `sessions` is stage B's conversations by
    (clinic id, phone). Keyed by the message: a message stored again is the same event."""
    events = []
    for journal in journals:
        conversation = sessions[journal.clinic_id, journal.phone]
        at = datetime.fromtimestamp(journal.received_at, tz=UTC)
        events += [
            StaffEvent(journal.clinic_id, kind, journal.message_id, at, conversation.pk)
            for kind in _kinds(journal)
        ]
    return events


def _kinds(journal: Journal) -> Iterator[str]:
    changes = journal.session_changes
    attention = changes.get("attention")
    if attention == URGENT:
        yield Event.URGENT
    elif changes.get("control") == STAFF or attention == QUESTION_FOR_STAFF:
        yield Event.HANDOFF
    if journal.intent in CANCEL_OR_MOVE:
        yield Event.CANCEL_REQUEST
    if journal.reply_state == ReplyState.GAVE_UP:
        yield Event.SEND_REFUSED


def staff_sends_remember(sender, *, clinic, numbers: list[str], text: str, **kwargs) -> None:
    """The receiver of notifications.signals.staff_whatsapp_sending: the gateway reports the
    notification back as `fromMe` in the chat with each on-duty number; remembered as ours (as
    a reply is, conversations.inbound), it is not taken for staff taking that chat over and
    stored as a conversation."""
    try:
        aio.run(_echoes_remember(clinic.whatsapp_instance, numbers, text), 2.0)
    except (RedisError, OSError, TimeoutError) as exc:
        # The notification goes out anyway: its echo then shows as a chat staff took over.
        logger.warning("staff notification echo not remembered (%s)", type(exc).__name__)


async def _echoes_remember(instance: str, numbers: list[str], text: str) -> None:
    store = hot_store()
    for number in numbers:
        await store.session_save(conversation_key(instance, number), {echo_field(text): "1"})
