"""Writes that touch several models. Keyword-only, named <entity>_<action>."""

from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import transaction

from clinicbot import aio
from conversations.clinic_file import ClinicSpec
from conversations.hotstore import conversation_key, hot_store
from conversations.models import Clinic, ConversationSession, Message, MessageMetric
from followups.services import followups_after_patient_message
from pricing.cache import bump_version
from pricing.models import Service


@dataclass(frozen=True)
class ClinicImportResult:
    clinic: Clinic
    created: bool
    services_created: int
    services_updated: int
    services_deactivated: int


@transaction.atomic
def clinic_import(*, spec: ClinicSpec) -> ClinicImportResult:
    """Create or update a clinic and its price list from a validated clinic file.

    Idempotent: the clinic is matched by slug and services by code; a service missing from the
    file is deactivated, never deleted (messages and history may point at it).
    """
    clinic, created = Clinic.objects.select_for_update().update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "whatsapp_instance": spec.whatsapp_instance,
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
            Service.objects.create(clinic=clinic, code=item.code, **fields)
            created_count += 1
        elif _differs(service, fields):
            for name, value in fields.items():
                setattr(service, name, value)
            service.save()
            updated_count += 1
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


@transaction.atomic
def journal_store(*, journal: dict[str, str]) -> Message | None:
    """Store one journaled message: its conversation, the message, the reply and its metrics.

    Safe to run any number of times, in any order with the reply's progress: rows are found by
    their natural keys (the WhatsApp id, the message a reply answers) and brought up to date.
    """
    if journal.get("kind") == "own_echo":
        return None  # our own reply coming back from the gateway: stored already, as the reply
    received_at = _time(journal["received_at"])
    session = _session_update(journal, received_at)
    staff = journal.get("kind") == "staff"
    inbound, _ = Message.objects.get_or_create(
        clinic_id=int(journal["clinic_id"]),
        wa_message_id=journal["message_id"],
        defaults={
            "session": session,
            "direction": Message.Direction.OUTBOUND if staff else Message.Direction.INBOUND,
            "from_staff": staff,
            "text": journal.get("text", ""),
            "intent": journal.get("intent", ""),
            "lane": journal.get("lane", ""),
            "received_at": received_at,
            "delivery_status": Message.Delivery.SENT if staff else Message.Delivery.RECEIVED,
        },
    )
    if staff or not journal.get("lane"):
        return inbound
    _fill_decision(inbound, journal)
    if inbound.intent in FOLLOWUP_INTENTS or session.scheduled_followup_at is not None:
        followups_after_patient_message(
            conversation=session,
            intent=inbound.intent,
            at=received_at,
            message_id=journal["message_id"],
        )
    reply = _reply_update(inbound, journal) if journal.get("reply_text") else None
    _metric_update(reply or inbound, journal)
    return inbound


def _session_update(journal: dict[str, str], received_at: datetime) -> ConversationSession:
    session, _ = ConversationSession.objects.select_for_update().get_or_create(
        clinic_id=int(journal["clinic_id"]),
        channel="whatsapp",
        patient_phone=journal["phone"],
    )
    kind = journal.get("kind")
    if kind == "patient":
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
    session.save()
    return session


def _fill_decision(inbound: Message, journal: dict[str, str]) -> None:
    if inbound.intent != journal.get("intent", "") or inbound.lane != journal.get("lane", ""):
        inbound.intent, inbound.lane = journal.get("intent", ""), journal.get("lane", "")
        inbound.save(update_fields=["intent", "lane"])


def _reply_update(inbound: Message, journal: dict[str, str]) -> Message:
    state = journal.get("reply_state", "")
    fields = {
        "clinic_id": inbound.clinic_id,
        "session_id": inbound.session_id,
        "direction": Message.Direction.OUTBOUND,
        "text": journal["reply_text"],
        "intent": journal.get("intent", ""),
        "lane": journal.get("lane", ""),
        "delivery_status": REPLY_DELIVERY.get(state, Message.Delivery.PENDING),
        "sent_at": _time(journal.get("reply_sent_at", "")),
        "wa_message_id": journal.get("reply_gateway_id", ""),
    }
    reply, created = Message.objects.get_or_create(
        reply_to=inbound, defaults=fields | {"received_at": inbound.received_at}
    )
    if not created and any(getattr(reply, name) != value for name, value in fields.items()):
        for name, value in fields.items():
            setattr(reply, name, value)
        reply.save()
    return reply


def _metric_update(message: Message, journal: dict[str, str]) -> None:
    total = _float(journal.get("total_ms"))
    if total is None:
        return  # stage A has not finished timing it yet; a later run will
    tokens = {
        name: int(journal[name]) if journal.get(name) else None
        for name in ("llm_prompt_tokens", "llm_completion_tokens")
    }
    MessageMetric.objects.update_or_create(
        message=message,
        defaults={
            "clinic_id": message.clinic_id,
            "lane": journal.get("lane", ""),
            "intent": journal.get("intent", ""),
            "fast_lane_ms": _float(journal.get("fast_lane_ms")),
            "db_ms": _float(journal.get("db_ms")),
            "llm_ms": _float(journal.get("llm_ms")),
            "llm_model": journal.get("llm_model", ""),
            **tokens,
            "send_ms": _float(journal.get("send_ms")),
            "total_ms": total,
            "cache_hits": int(journal.get("cache_hits") or 0),
        },
    )


# --- staff taking a conversation over, and giving it back ---------------------------------------


def conversation_set_control(*, session: ConversationSession, control: str) -> None:
    """Put a conversation under staff control or give it back to the bot, in the database and in
    the request path's Redis state at once (so the very next patient message sees it)."""
    now = datetime.now(tz=UTC)
    ConversationSession.objects.filter(pk=session.pk).update(
        control=control, control_changed_at=now
    )
    session.control, session.control_changed_at = control, now
    aio.run(_session_state_write(session, now.timestamp()))


async def _session_state_write(session: ConversationSession, at: float) -> None:
    # The whole state, not just control: a partial hash would hide e.g. an opt-out.
    conversation = conversation_key(session.clinic.whatsapp_instance, session.patient_phone)
    await hot_store().session_save(
        conversation,
        {
            "control": session.control,
            "control_at": at,
            "status": session.status,
            "language": session.language,
        },
    )
