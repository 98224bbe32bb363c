"""Writes that touch several models. Keyword-only, named <entity>_<action>."""

import logging
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal

from django.db import DatabaseError, transaction

from channels.echo import echo_field
from clinicbot import aio
from clinicbot.bulk import rows_update
from conversations import outbox
from conversations.clinic_file import ClinicSpec
from conversations.hotstore import conversation_key, hot_store, message_key
from conversations.models import (
    Clinic,
    ConversationSession,
    Message,
    MessageMetric,
    phone_index_candidates,
)
from followups.services import PatientMessage, followups_after_patient_messages
from pricing.cache import bump_version, version_key
from pricing.models import PriceChange, Service
from pricing.services import price_changes_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ClinicImportResult:
    clinic: Clinic
    created: bool
    services_created: int
    services_updated: int
    services_deactivated: int


@transaction.atomic
def clinic_import(*, spec: ClinicSpec, actor=None) -> ClinicImportResult:
    """Create or update a clinic and its price list from a validated clinic file.

    Idempotent: the clinic is matched by slug and services by code; a service missing from the
    file is deactivated, never deleted (messages and history may point at it).
    """
    clinic, created = Clinic.objects.select_for_update().update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "whatsapp_instance": spec.whatsapp_instance,
            "channel_kind": spec.channel.kind,
            "external_org_id": spec.external_org_id,
            "timezone": spec.timezone,
            "default_language": spec.default_language,
            "address": spec.address,
            "phone": spec.phone,
            "business_hours": spec.business_hours,
        },
    )
    existing = {service.code: service for service in clinic.services.all()}
    created_count = updated_count = 0
    prices: list[tuple[Service, Decimal | None]] = []  # the price history (pricing.services)
    for item in spec.services:
        fields = {
            "names": item.name,
            "aliases": item.aliases,
            "price": item.price,
            "currency": item.currency,
            "duration_minutes": item.duration_minutes,
            "active": True,
        }
        service = existing.get(item.code)
        if service is None:
            service = Service.objects.create(clinic=clinic, code=item.code, **fields)
            prices.append((service, None))
            created_count += 1
        elif _differs(service, fields):
            prices.append((service, service.price))
            for name, value in fields.items():
                setattr(service, name, value)
            service.save()
            updated_count += 1
    price_changes_record(changes=prices, actor=actor, source=PriceChange.Source.CLINIC_FILE)
    listed = {item.code for item in spec.services}
    deactivated = clinic.services.filter(active=True).exclude(code__in=listed).update(active=False)
    # A bulk update sends no signal: announce the new price list to every worker ourselves.
    transaction.on_commit(lambda: bump_version(clinic.id))
    return ClinicImportResult(clinic, created, created_count, updated_count, deactivated)


def _differs(service: Service, fields: dict) -> bool:
    return any(getattr(service, name) != value for name, value in fields.items())


# --- stage B: the journal of one inbound message, stored ----------------------------------------

# Intents that change follow-ups even in a conversation with none pending.
FOLLOWUP_INTENTS = {"price_query", "opt_out", "confirm", "decline"}

REPLY_DELIVERY = {
    "ready": Message.Delivery.PENDING,
    "pending": Message.Delivery.PENDING,
    "sending": Message.Delivery.SENDING,
    "failed": Message.Delivery.PENDING,  # the outbox retries it
    "sent": Message.Delivery.SENT,
    # The gateway took the request but never answered: it most likely went out.
    "unknown": Message.Delivery.SENT,
    "gave_up": Message.Delivery.FAILED,
}


def _time(value: str) -> datetime | None:
    return datetime.fromtimestamp(float(value), tz=UTC) if value else None


def _float(value: str | None) -> float | None:
    return float(value) if value else None


def journal_store(*, journal: dict[str, str]) -> None:
    """Store one journaled message (see journals_store)."""
    journals_store(journals=[journal])


@transaction.atomic
def journals_store(*, journals: list[dict[str, str]]) -> None:
    """Store journaled messages: their conversations, the messages, the replies and metrics.

    A fixed number of queries per batch, whatever its size (stage B keeps up with the webhook,
    and a remote database's round trips are paid per batch, not per message). Safe to run any
    number of times, in any order with the replies' progress: rows are found by their natural
    keys (the WhatsApp id, the message a reply answers) and brought up to date.
    """
    _staff_sends_store([j for j in journals if j.get("kind") == STAFF_SEND])
    # Our own reply coming back from the gateway is stored already, as the reply.
    journals = sorted(
        (j for j in journals if j.get("kind") not in ("own_echo", STAFF_SEND)),
        key=lambda j: float(j["received_at"]),
    )
    if not journals:
        return
    sessions = _sessions_update(journals)
    inbound = _inbound_store(journals, sessions)
    answered = [j for j in journals if j.get("kind") == "patient" and j.get("lane")]
    _decisions_fill(answered, inbound)
    followups_after_patient_messages(messages=_followup_relevant(answered, sessions, inbound))
    replies = _replies_store([j for j in answered if j.get("reply_text")], inbound)
    _metrics_store(answered, inbound, replies)


def _followup_relevant(journals, sessions, inbound) -> list[PatientMessage]:
    """The answered messages that may change follow-ups."""
    relevant = []
    for journal in journals:
        session = sessions[_session_key(journal)]
        message = inbound[_message_key(journal)]
        if message.intent in FOLLOWUP_INTENTS or session.scheduled_followup_at is not None:
            relevant.append(
                PatientMessage(session, message.intent, message.received_at, journal["message_id"])
            )
    return relevant


def _session_key(journal: dict[str, str]) -> tuple[int, str]:
    return int(journal["clinic_id"]), journal["phone"]


def _message_key(journal: dict[str, str]) -> tuple[int, str]:
    return int(journal["clinic_id"]), journal["message_id"]


SESSION_FIELDS = [
    "last_inbound_at",
    "patient_name",
    "language",
    "status",
    "control",
    "control_changed_at",
    "updated_at",
]


def _sessions_update(journals: list[dict[str, str]]) -> dict[tuple[int, str], ConversationSession]:
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
    for journal in journals:  # in arrival order: the latest message wins
        _session_apply(sessions[_session_key(journal)], journal)
    now = datetime.now(tz=UTC)
    for session in sessions.values():
        session.updated_at = now
    rows_update(list(sessions.values()), SESSION_FIELDS)
    return sessions


def _session_apply(session: ConversationSession, journal: dict[str, str]) -> None:
    received_at = _time(journal["received_at"])
    if journal.get("kind") == "patient":
        if session.last_inbound_at is None or received_at > session.last_inbound_at:
            session.last_inbound_at = received_at
        if journal.get("name"):
            session.patient_name = journal["name"]
        if journal.get("session_language"):
            session.language = journal["session_language"]
        if journal.get("session_status"):
            session.status = journal["session_status"]
    # A staff echo carries control_at (staff took over); a decision may carry session_control
    # (a hand-off to staff, or the bot taking back a conversation staff left for long enough).
    control_at = _time(journal.get("session_control_at") or journal.get("control_at", ""))
    if control_at and (
        session.control_changed_at is None or control_at > session.control_changed_at
    ):
        session.control = journal.get("session_control") or ConversationSession.Control.STAFF
        session.control_changed_at = control_at


def _inbound_store(journals, sessions) -> dict[tuple[int, str], Message]:
    """The messages WhatsApp delivered (patients' and staff echoes), created once."""
    Message.objects.bulk_create(
        [_inbound_row(j, sessions[_session_key(j)]) for j in journals], ignore_conflicts=True
    )
    found = (
        Message.objects.filter(
            clinic_id__in={int(j["clinic_id"]) for j in journals},
            wa_message_id__in={j["message_id"] for j in journals},
        )
        .exclude(direction=Message.Direction.OUTBOUND, from_staff=False)
        .defer("text")  # stage B never reads it back: no need to decrypt every message
    )
    return {(m.clinic_id, m.wa_message_id): m for m in found}


def _inbound_row(journal: dict[str, str], session: ConversationSession) -> Message:
    staff = journal.get("kind") == "staff"
    return Message(
        clinic_id=int(journal["clinic_id"]),
        session=session,
        wa_message_id=journal["message_id"],
        direction=Message.Direction.OUTBOUND if staff else Message.Direction.INBOUND,
        from_staff=staff,
        text=journal.get("text", ""),
        intent=journal.get("intent", ""),
        lane=journal.get("lane", ""),
        received_at=_time(journal["received_at"]),
        delivery_status=Message.Delivery.SENT if staff else Message.Delivery.RECEIVED,
    )


def _decisions_fill(journals, inbound) -> None:
    changed = []
    for journal in journals:
        message = inbound[_message_key(journal)]
        decided = (journal.get("intent", ""), journal.get("lane", ""))
        if (message.intent, message.lane) != decided:
            message.intent, message.lane = decided
            changed.append(message)
    rows_update(changed, ["intent", "lane"])


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


def _reply_fields(inbound: Message, journal: dict[str, str]) -> dict:
    return {
        "clinic_id": inbound.clinic_id,
        "session_id": inbound.session_id,
        "direction": Message.Direction.OUTBOUND,
        "text": journal["reply_text"],
        "intent": journal.get("intent", ""),
        "lane": journal.get("lane", ""),
        "delivery_status": REPLY_DELIVERY.get(
            journal.get("reply_state", ""), Message.Delivery.PENDING
        ),
        "sent_at": _time(journal.get("reply_sent_at", "")),
        "wa_message_id": journal.get("reply_gateway_id", ""),
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
        if _float(journal.get("total_ms")) is None:
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


def _metric_fields(journal: dict[str, str]) -> dict:
    tokens = {
        name: int(journal[name]) if journal.get(name) else None
        for name in ("llm_prompt_tokens", "llm_completion_tokens")
    }
    return {
        "lane": journal.get("lane", ""),
        "intent": journal.get("intent", ""),
        "fast_lane_ms": _float(journal.get("fast_lane_ms")),
        "db_ms": _float(journal.get("db_ms")),
        "llm_ms": _float(journal.get("llm_ms")),
        "llm_model": journal.get("llm_model", ""),
        "send_ms": _float(journal.get("send_ms")),
        "total_ms": _float(journal.get("total_ms")),
        "cache_hits": int(journal.get("cache_hits") or 0),
        **tokens,
    }


# --- staff taking a conversation over, and giving it back ---------------------------------------


def conversation_set_control(*, session: ConversationSession, control: str) -> None:
    """Put a conversation under staff control or give it back to the bot, in the database and in
    the request path's Redis state at once (so the very next patient message sees it)."""
    now = datetime.now(tz=UTC)
    ConversationSession.objects.filter(pk=session.pk).update(
        control=control, control_changed_at=now
    )
    session.control, session.control_changed_at = control, now
    # The key is computed here: reading session.clinic may query, which the event loop must not.
    conversation = conversation_key(session.clinic.whatsapp_instance, session.patient_phone)
    aio.run(_session_state_write(conversation, session, now.timestamp()))


async def _session_state_write(conversation: str, session: ConversationSession, at: float) -> None:
    # The whole state, not just control: a partial hash would hide e.g. an opt-out.
    await hot_store().session_save(
        conversation,
        {
            "control": session.control,
            "control_at": at,
            "status": session.status,
            "language": session.language,
        },
    )


# --- staff writing to a patient from the admin -------------------------------------------------
# A staff message is journaled and queued in the conversation's ordered outbox like a bot reply
# (conversations.outbox): claimed before it is sent, never sent twice, in order behind replies
# still waiting, retried only when the gateway certainly did not send it. Stage B stores its
# outcome (_staff_sends_store).

STAFF_SEND = "staff_send"


def staff_message_token() -> str:
    """A fresh token for a staff message form: the same form submitted twice sends once."""
    return uuid.uuid4().hex


def staff_message_send(*, session: ConversationSession, text: str, token: str) -> bool:
    """Send `text` to the patient as staff; False when this form (`token`) was sent already.

    Staff writing means staff are in control: the bot goes silent here, as for a message staff
    write from the clinic's phone."""
    now = datetime.now(tz=UTC)
    instance = session.clinic.whatsapp_instance
    key = message_key(instance, f"staff-{token}")
    journal = {
        "kind": STAFF_SEND,
        "clinic_id": session.clinic_id,
        "channel": session.clinic.channel_kind,
        "session_id": session.pk,
        "instance": instance,
        "message_id": f"staff-{token}",
        "conversation": conversation_key(instance, session.patient_phone),
        "phone": session.patient_phone,
        "reply_text": text,
        "reply_state": "ready",
        "received_at": now.timestamp(),
    }
    if session.control != ConversationSession.Control.STAFF:
        conversation_set_control(session=session, control=ConversationSession.Control.STAFF)
    if not aio.run(_staff_message_queue(key, journal, session.clinic_id)):
        return False
    try:
        # Shown on the conversation page at once; stage B stores it anyway, and brings its
        # delivery up to date (it may have done both already: tasks run inline in tests).
        Message.objects.bulk_create([_staff_send_row(journal)], ignore_conflicts=True)
    except DatabaseError:
        logger.warning("staff message %s queued; stage B will store it", key)
    return True


async def _staff_message_queue(key: str, journal: dict, clinic_id: int) -> bool:
    store = hot_store()
    conversation = journal["conversation"]
    # accept(): de-duplicates by the form's token, journals it and lists it for stage B.
    accepted = await store.accept(
        message=key,
        conversation=conversation,
        journal=journal,
        prices_key=version_key(clinic_id),
        take_ticket=False,
    )
    if accepted is None:
        return False
    # The gateway echoes what we send as a fromMe message: remember it is ours.
    await store.session_save(conversation, {echo_field(journal["reply_text"]): "1"})
    await store.outbox_push(conversation, key)
    await outbox.enqueue_drain(key)
    return True


def _staff_sends_store(journals: list[dict[str, str]]) -> None:
    """Staff messages sent from the admin: created once (unique on clinic + id), their delivery
    brought up to date. Three queries however many."""
    if not journals:
        return
    Message.objects.bulk_create([_staff_send_row(j) for j in journals], ignore_conflicts=True)
    found = Message.objects.filter(
        clinic_id__in={int(j["clinic_id"]) for j in journals},
        wa_message_id__in={j["message_id"] for j in journals},
        from_staff=True,
    )
    rows = {(m.clinic_id, m.wa_message_id): m for m in found}
    changed = []
    for journal in journals:
        row = rows[_message_key(journal)]
        wanted = _staff_send_delivery(journal)
        if (row.delivery_status, row.sent_at) != wanted:
            row.delivery_status, row.sent_at = wanted
            changed.append(row)
    rows_update(changed, ["delivery_status", "sent_at"])


def _staff_send_row(journal: dict[str, str]) -> Message:
    status, sent_at = _staff_send_delivery(journal)
    return Message(
        clinic_id=int(journal["clinic_id"]),
        session_id=int(journal["session_id"]),
        direction=Message.Direction.OUTBOUND,
        from_staff=True,
        wa_message_id=journal["message_id"],
        text=journal["reply_text"],
        delivery_status=status,
        sent_at=sent_at,
        received_at=_time(str(journal["received_at"])),
    )


def _staff_send_delivery(journal: dict[str, str]) -> tuple[str, datetime | None]:
    state = str(journal.get("reply_state", ""))
    status = REPLY_DELIVERY.get(state, Message.Delivery.PENDING)
    return status, _time(str(journal.get("reply_sent_at", "")))
