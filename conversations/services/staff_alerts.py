"""What in the stored patient messages staff are told of (notifications): a hand-off (the
patient asked for a person, the LLM lane handed over, or a question only staff can answer), an
urgent case, a request to cancel or move an appointment, a reply the gateway refused for good.
Derived in stage B from what each message's decision recorded; stage A never touches this."""

from collections.abc import Iterator
from datetime import UTC, datetime

from conversations.decide import QUESTION_FOR_STAFF, STAFF, URGENT
from conversations.journal import Journal, ReplyState
from nlu import Intent
from notifications.models import Event
from notifications.services import StaffEvent

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
