"""One conversation per patient, however WhatsApp names them.

Since WhatsApp's move to LIDs (privacy ids), a gateway may name a patient by phone, by LID
("<digits>@lid"), or by both. A message naming both teaches the pair: the conversation keeps the
LID (`ConversationSession.patient_lid`), and a conversation that existed under the LID alone is
merged into the phone's, so the patient is one conversation in the admin. A message naming only
a known LID is stored in the phone's conversation.

Stage B (conversations.services.storage) calls these inside its transaction, before and after it
finds the batch's conversations.
"""

import logging

from conversations.journal import Journal
from conversations.models import (
    LID_SUFFIX,
    ConversationSession,
    phone_index,
    phone_index_candidates,
)
from security.audit import audit_record
from security.models import AuditAction

logger = logging.getLogger(__name__)


def is_lid(phone: str) -> bool:
    return phone.endswith(LID_SUFFIX)


def lid_only_journals_resolve(journals: list[Journal]) -> None:
    """Give each journal that names its patient only by a LID the phone of the conversation that
    learned that LID, when one did (one query for the batch)."""
    asked = {(j.clinic_id, j.phone) for j in journals if is_lid(j.phone)}
    if not asked:
        return
    indexes = {key: phone_index_candidates(key[1]) for key in asked}
    found = ConversationSession.objects.filter(
        clinic_id__in={c for c, _ in asked},
        channel="whatsapp",
        patient_lid_index__in={i for candidates in indexes.values() for i in candidates},
    ).only("pk", "clinic_id", "patient_phone", "patient_lid_index")
    phones = {}
    for session in found:
        for (clinic_id, lid), candidates in indexes.items():
            if session.clinic_id == clinic_id and session.patient_lid_index in candidates:
                phones[clinic_id, lid] = session.patient_phone
    for journal in journals:
        phone = phones.get((journal.clinic_id, journal.phone))
        if phone:
            journal.lid = journal.lid or journal.phone
            journal.phone = phone


def lid_pairs_learn(journals: list[Journal], sessions: dict) -> list[ConversationSession]:
    """Note on each phone's conversation the LID its messages named, and merge into it the
    conversation its patient had under that LID alone (`sessions`, the batch's conversations by
    (clinic, phone), then gives the phone's for that LID too). Returns the conversations whose
    LID changed."""
    changed = {}
    for journal in journals:
        # Only a patient's own message teaches the pair: on a message from the clinic's number
        # the gateway may give the clinic's own phone beside the patient's LID.
        if not journal.is_patient or not journal.lid or is_lid(journal.phone):
            continue
        session = sessions[journal.clinic_id, journal.phone]
        if session.patient_lid != journal.lid:
            session.patient_lid = journal.lid
            session.patient_lid_index = phone_index(journal.lid)
            changed[session.pk] = session
            _lid_conversation_merge(session, journal.lid)
            sessions[journal.clinic_id, journal.lid] = session
    return list(changed.values())


def _lid_conversation_merge(into: ConversationSession, lid: str) -> None:
    """Move everything of the conversation kept under `lid` alone into `into`, and delete it."""
    stray = (
        ConversationSession.objects.select_for_update()
        .filter(
            clinic_id=into.clinic_id,
            channel=into.channel,
            patient_phone_index__in=phone_index_candidates(lid),
        )
        .exclude(pk=into.pk)
        .first()
    )
    if stray is None:
        return
    logger.info(
        "conversation %s merged into %s: its LID and phone are one patient", stray.pk, into.pk
    )
    for relation in ConversationSession._meta.related_objects:
        rows = relation.related_model._base_manager.filter(**{relation.field.name: stray})
        theirs = relation.related_model._base_manager.filter(**{relation.field.name: into})
        # Messages, appointments, follow-ups move; a one-to-one row (the booking dialogue)
        # moves when the phone's conversation has none of its own, else it goes with the LID's.
        if relation.one_to_many or (relation.one_to_one and not theirs.exists()):
            rows.update(**{relation.field.name: into})
    _state_merge(into, stray)
    audit_record(
        actor="system",
        action=AuditAction.MERGE_CONVERSATION,
        object_type="conversation",
        object_id=str(into.pk),
        details={"merged": stray.pk, "why": "the patient's LID and phone named together"},
        clinic_id=into.clinic_id,
    )
    stray.delete()


def _state_merge(into: ConversationSession, stray: ConversationSession) -> None:
    """What the LID's conversation knew that the phone's did not: the latest hand-over of
    control wins, and a patient who said stop in either stays opted out."""
    if _later(stray.control_changed_at, into.control_changed_at):
        into.control, into.control_changed_at = stray.control, stray.control_changed_at
    if stray.status == ConversationSession.Status.OPTED_OUT:
        into.status = stray.status
    into.language = into.language or stray.language
    if _later(stray.last_inbound_at, into.last_inbound_at):
        into.last_inbound_at = stray.last_inbound_at


def _later(moment, than) -> bool:
    return moment is not None and (than is None or moment > than)
