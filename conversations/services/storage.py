"""Stage B's writes: journaled messages (conversations.journal) stored in the database, with their
conversations, the bot's replies and their timings.

A fixed number of queries per batch, whatever its size: stage B keeps up with the webhook, and a
remote database's round trips are paid per batch, not per message. Safe to run any number of
times, in any order with the replies' progress: rows are found by their natural keys (the
WhatsApp id, the message a reply answers) and brought up to date.
"""

from datetime import UTC, datetime

from django.db import transaction

from clinicbot.runtime.bulk import rows_update
from conversations.journal import Journal, Kind, ReplyState
from conversations.models import (
    ConversationSession,
    Message,
    MessageMetric,
    patient_conversation,
    phone_index_candidates,
)
from conversations.services.patients import lid_only_journals_resolve, lid_pairs_learn
from conversations.services.staff_alerts import journal_staff_events
from conversations.signals import PatientMessage, patient_messages_stored
from nlu.intents import row_of
from notifications.services import staff_events_record

REPLY_DELIVERY = {
    ReplyState.READY: Message.Delivery.PENDING,
    ReplyState.PENDING: Message.Delivery.PENDING,
    ReplyState.SENDING: Message.Delivery.SENDING,
    ReplyState.FAILED: Message.Delivery.PENDING,  # the outbox tries it again
    ReplyState.SENT: Message.Delivery.SENT,
    # The gateway took the request but never answered: it most likely went out.
    ReplyState.UNKNOWN: Message.Delivery.SENT,
    ReplyState.GAVE_UP: Message.Delivery.FAILED,
}


def _time(timestamp: float | None) -> datetime | None:
    return datetime.fromtimestamp(timestamp, tz=UTC) if timestamp else None


def _delivery(journal: Journal) -> str:
    return REPLY_DELIVERY.get(journal.reply_state, Message.Delivery.PENDING)


@transaction.atomic
def journals_store(*, journals: list[Journal]) -> None:
    """Store journaled messages: their conversations, the messages, the replies and metrics.
    Receivers of `patient_messages_stored` (follow-ups) run in the same transaction."""
    _staff_sends_store([j for j in journals if j.kind == Kind.STAFF_SEND])
    # Our own reply coming back from the gateway is stored already, as the reply.
    journals = sorted(
        (j for j in journals if j.kind in (Kind.PATIENT, Kind.STAFF)),
        key=lambda j: j.received_at,
    )
    if not journals:
        return
    lid_only_journals_resolve(journals)
    sessions = _sessions_update(journals)
    inbound = _inbound_store(journals, sessions)
    answered = [j for j in journals if j.is_patient and j.lane]
    _decisions_fill(answered, inbound)
    patient_messages_stored.send(
        sender=Message, messages=_followup_relevant(answered, sessions, inbound)
    )
    replies = _replies_store([j for j in answered if j.reply_text], inbound)
    _metrics_store(answered, inbound, replies)
    # Staff told of hand-offs, cancel requests, refused replies: once, sent after the commit.
    staff_events_record(events=journal_staff_events(answered, sessions))


def _followup_relevant(journals, sessions, inbound) -> list[PatientMessage]:
    """The answered messages that may change follow-ups."""
    relevant = []
    for journal in journals:
        session = sessions[_session_key(journal)]
        message = inbound[_message_key(journal)]
        # Some intents change follow-ups even in a conversation with none pending.
        reacts = row_of(message.intent).followups_react
        if reacts or session.scheduled_followup_at is not None:
            relevant.append(
                PatientMessage(session, message.intent, message.received_at, journal.message_id)
            )
    return relevant


def _session_key(journal: Journal) -> tuple[int, str]:
    return journal.clinic_id, journal.phone


def _message_key(journal: Journal) -> tuple[int, str]:
    return journal.clinic_id, journal.message_id


SESSION_FIELDS = [
    "last_inbound_at",
    "patient_name",
    "language",
    "status",
    "control",
    "control_changed_at",
    "attention",
    "attention_at",
    "updated_at",
]


def _sessions_update(journals: list[Journal]) -> dict[tuple[int, str], ConversationSession]:
    keys = {_session_key(j) for j in journals}
    # Phones are encrypted at rest: sessions are found by the phone's blind index (under each
    # key of PHI_MASTER_KEY: during a rotation a session may still be indexed under the old one).
    candidates = {key: phone_index_candidates(key[1]) for key in keys}
    asked: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for (c, p), indexes in candidates.items():
        for index in indexes:
            asked.setdefault((c, index), []).append((c, p))
    lookup = {
        "clinic_id__in": {c for c, _ in keys},
        "patient_phone_index__in": {i for indexes in candidates.values() for i in indexes},
        "channel": "whatsapp",
    }

    def locked() -> dict[tuple[int, str], ConversationSession]:
        found = ConversationSession.objects.select_for_update().filter(**lookup)
        # The filter is a cross product of clinics and indexes: keep only the pairs asked for
        # (two spellings of one number share an index, hence a session).
        return {
            key: s for s in found for key in asked.get((s.clinic_id, s.patient_phone_index), ())
        }

    # Most conversations exist already: look first, and create (encrypting the phone) only the
    # new ones, rather than offer every one of them to an INSERT that ignores the conflict.
    sessions = locked()
    if new := keys - sessions.keys():
        ConversationSession.objects.bulk_create(
            [
                ConversationSession(
                    clinic_id=c, patient_phone=p, patient_phone_index=candidates[c, p][0]
                )
                for c, p in new
            ],
            ignore_conflicts=True,  # created meanwhile by a staff action or another flush
        )
        sessions = locked()
    rows_update(lid_pairs_learn(journals, sessions), ["patient_lid", "patient_lid_index"])
    for journal in journals:  # in arrival order: the latest message wins
        _session_apply(sessions[_session_key(journal)], journal)
    now = datetime.now(tz=UTC)
    for session in sessions.values():
        session.updated_at = now
    # The same conversation may be there under a patient's phone and LID.
    rows_update(list({s.pk: s for s in sessions.values()}.values()), SESSION_FIELDS)
    return sessions


def _session_apply(session: ConversationSession, journal: Journal) -> None:
    changes = journal.session_changes
    if journal.is_patient:
        received_at = _time(journal.received_at)
        if session.last_inbound_at is None or received_at > session.last_inbound_at:
            session.last_inbound_at = received_at
        if journal.name:
            session.patient_name = journal.name
        if changes.get("language"):
            session.language = changes["language"]
        if changes.get("status"):
            session.status = changes["status"]
        if changes.get("attention"):  # flagged for staff (a voice note the bot could not hear)
            session.attention = changes["attention"]
            session.attention_at = received_at
    # A staff echo carries control_at (staff took over); a decision may change control (a
    # hand-off to staff, or the bot taking back a conversation staff left for long enough).
    control_at = _time(float(changes.get("control_at") or 0) or journal.control_at)
    if control_at and (
        session.control_changed_at is None or control_at > session.control_changed_at
    ):
        session.control = changes.get("control") or ConversationSession.Control.STAFF
        session.control_changed_at = control_at


def _inbound_store(journals, sessions) -> dict[tuple[int, str], Message]:
    """The messages WhatsApp delivered (patients' and staff echoes), created once."""
    Message.objects.bulk_create(
        [_inbound_row(j, sessions[_session_key(j)]) for j in journals], ignore_conflicts=True
    )
    found = (
        Message.objects.filter(
            clinic_id__in={j.clinic_id for j in journals},
            wa_message_id__in={j.message_id for j in journals},
        )
        .exclude(direction=Message.Direction.OUTBOUND, from_staff=False)
        .defer("text")  # stage B never reads it back: no need to decrypt every message
    )
    return {(m.clinic_id, m.wa_message_id): m for m in found}


def _inbound_row(journal: Journal, session: ConversationSession) -> Message:
    staff = journal.kind == Kind.STAFF
    return Message(
        clinic_id=journal.clinic_id,
        session=session,
        wa_message_id=journal.message_id,
        direction=Message.Direction.OUTBOUND if staff else Message.Direction.INBOUND,
        from_staff=staff,
        text=journal.text,
        is_transcript=journal.is_transcript,
        media_kind=journal.media_kind,
        media_mime=journal.media_mime,
        media_size=journal.media_size,
        media_content=journal.media_content,
        quoted_wa_id=journal.quoted_id,
        choice_id=journal.choice_id,
        intent=journal.intent,
        lane=journal.lane,
        received_at=_time(journal.received_at),
        delivery_status=Message.Delivery.SENT if staff else Message.Delivery.RECEIVED,
    )


def _decisions_fill(journals, inbound) -> None:
    changed, heard = [], []
    for journal in journals:
        message = inbound[_message_key(journal)]
        if (message.intent, message.lane) != (journal.intent, journal.lane):
            message.intent, message.lane = journal.intent, journal.lane
            changed.append(message)
        if journal.is_transcript and not message.is_transcript and message.deleted_at is None:
            # Stored while its voice note was being transcribed (stage B runs every 200 ms; a
            # transcription takes seconds): the transcript comes with the decision.
            message.text, message.is_transcript = journal.text, True
            heard.append(message)
    rows_update(changed, ["intent", "lane"])
    rows_update(heard, ["text", "is_transcript"])


REPLY_FIELDS = [
    "session_id",
    "text",
    "intent",
    "lane",
    "delivery_status",
    "sent_at",
    "wa_message_id",
]


def _replies_store(journals, inbound) -> dict[int, Message]:
    """The bot's replies, one per answered message, brought up to date."""
    answered = {inbound[_message_key(j)].pk: j for j in journals}
    replies = {m.reply_to_id: m for m in Message.objects.filter(reply_to_id__in=answered)}
    missing, changed = [], []
    for inbound_id, journal in answered.items():
        reply = replies.get(inbound_id)
        wanted = _reply_fields(inbound[_message_key(journal)], journal)
        if reply is None:
            missing.append(Message(reply_to_id=inbound_id, **wanted))
        elif any(getattr(reply, name) != value for name, value in wanted.items()):
            for name, value in wanted.items():
                setattr(reply, name, value)
            changed.append(reply)
    Message.objects.bulk_create(missing, ignore_conflicts=True)
    rows_update(changed, REPLY_FIELDS)
    if missing:
        # Only their ids are wanted now (the metrics point at them): nothing to decrypt.
        created = Message.objects.filter(reply_to_id__in=answered).only("id", "reply_to_id")
        replies = {m.reply_to_id: m for m in created}
    return replies


def _reply_fields(inbound: Message, journal: Journal) -> dict:
    return {
        "clinic_id": inbound.clinic_id,
        "session_id": inbound.session_id,
        "direction": Message.Direction.OUTBOUND,
        "text": journal.reply_text,
        "intent": journal.intent,
        "lane": journal.lane,
        "delivery_status": _delivery(journal),
        "sent_at": _time(journal.reply_sent_at),
        "wa_message_id": journal.reply_gateway_id,
        "received_at": inbound.received_at,
    }


METRIC_FIELDS = [
    "lane",
    "intent",
    "fast_lane_ms",
    "db_ms",
    "llm_ms",
    "llm_model",
    "llm_prompt_tokens",
    "llm_completion_tokens",
    "send_ms",
    "total_ms",
    "cache_hits",
]


def _metrics_store(journals, inbound, replies) -> None:
    """Timings of each handled message, on its stored reply (or on the message itself when the
    bot stayed silent), so a metric never points at a row that was not stored."""
    wanted = {}
    for journal in journals:
        if journal.total_ms is None:
            continue  # stage A has not finished timing it yet; a later run will
        message = inbound[_message_key(journal)]
        target = replies.get(message.pk, message)
        wanted[target.pk] = MessageMetric(
            message_id=target.pk, clinic_id=message.clinic_id, **_metric_fields(journal)
        )
    existing = {m.message_id: m for m in MessageMetric.objects.filter(message_id__in=wanted)}
    MessageMetric.objects.bulk_create(
        [m for pk, m in wanted.items() if pk not in existing], ignore_conflicts=True
    )
    for pk, metric in existing.items():
        for name in METRIC_FIELDS:
            setattr(metric, name, getattr(wanted[pk], name))
    rows_update(list(existing.values()), METRIC_FIELDS)


def _metric_fields(journal: Journal) -> dict:
    return {name: getattr(journal, name) for name in METRIC_FIELDS}


# --- staff messages sent from the admin (conversations.services.staff_messages) ----------------


def _staff_sends_store(journals: list[Journal]) -> None:
    """Staff messages sent from the admin: created once (unique on clinic + id), their delivery
    brought up to date. Three queries however many."""
    if not journals:
        return
    Message.objects.bulk_create([staff_send_row(j) for j in journals], ignore_conflicts=True)
    found = Message.objects.filter(
        clinic_id__in={j.clinic_id for j in journals},
        wa_message_id__in={j.message_id for j in journals},
        from_staff=True,
    )
    rows = {(m.clinic_id, m.wa_message_id): m for m in found}
    changed = []
    for journal in journals:
        row = rows[_message_key(journal)]
        wanted = (_delivery(journal), _time(journal.reply_sent_at))
        if (row.delivery_status, row.sent_at) != wanted:
            row.delivery_status, row.sent_at = wanted
            changed.append(row)
    rows_update(changed, ["delivery_status", "sent_at"])


def staff_send_row(journal: Journal) -> Message:
    return Message(
        clinic_id=journal.clinic_id,
        session_id=journal.session_id,
        direction=Message.Direction.OUTBOUND,
        from_staff=True,
        wa_message_id=journal.message_id,
        text=journal.reply_text,
        delivery_status=_delivery(journal),
        sent_at=_time(journal.reply_sent_at),
        received_at=_time(journal.received_at),
    )


def conversation_get_or_create(*, clinic_id: int, phone: str, lid: str = "") -> ConversationSession:
    """The patient's conversation, created now if stage B has not stored it yet (a lane that
    writes rows of its own, such as an appointment, may run before the flush). `lid`: the LID
    the message named beside the phone (the conversation may still be kept under it)."""
    found = patient_conversation(clinic_id, phone, lid)
    if found is not None:
        return found
    ConversationSession.objects.bulk_create(
        [
            ConversationSession(
                clinic_id=clinic_id,
                patient_phone=phone,
                patient_phone_index=phone_index_candidates(phone)[0],
            )
        ],
        ignore_conflicts=True,  # stage B may be creating it at this moment
    )
    return patient_conversation(clinic_id, phone, lid)
