"""Reading appointments for display: the patient's next one, as `chat --json` reports it."""

from datetime import datetime
from zoneinfo import ZoneInfo

from appointments.models import Appointment
from conversations.models import Clinic, patient_conversation


def next_appointment(*, clinic: Clinic, phone: str, now: datetime) -> Appointment | None:
    """The patient's next appointment that holds its time (a live hold, booked or confirmed)."""
    conversation = patient_conversation(clinic.pk, phone)
    if conversation is None:
        return None
    return (
        Appointment.objects.filter(
            conversation=conversation, status__in=Appointment.ACTIVE, starts_at__gte=now
        )
        .exclude(status=Appointment.Status.HELD, hold_expires_at__lte=now)
        .select_related("service", "provider")
        .order_by("starts_at")
        .first()
    )


def appointment_json(appointment: Appointment | None, timezone: str) -> dict | None:
    if appointment is None:
        return None
    return {
        "id": str(appointment.pk),
        "status": appointment.status,
        "service": appointment.service.code,
        "provider": appointment.provider.code,
        "starts_at": appointment.starts_at.astimezone(ZoneInfo(timezone)).isoformat(),
    }
