"""What the conversations app tells other apps, without knowing them.

`patient_messages_stored(messages=[PatientMessage, ...])` is sent by stage B
(conversations.services.storage) inside the transaction that stores a batch, with the answered
patient messages that may change follow-ups. Follow-ups listen (followups.apps); a receiver's
error rolls the batch back, and stage B stores it again later.

`clinic_imported(clinic=Clinic, spec=ClinicSpec)` is sent by clinic_import
(conversations.services.clinics) inside the import's transaction, once the clinic and its price
list are written: an app that owns part of the clinic file (appointments: providers, closures,
booking rules) imports it there, and its error rolls the whole import back.
"""

from dataclasses import dataclass
from datetime import datetime

from django.dispatch import Signal

from conversations.models import ConversationSession


@dataclass(frozen=True)
class PatientMessage:
    """A patient's stored message, as far as other apps care."""

    conversation: ConversationSession
    intent: str
    at: datetime
    message_id: str


patient_messages_stored = Signal()
clinic_imported = Signal()
