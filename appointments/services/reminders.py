"""The reminders an appointment schedules (follow-ups of kind appointment_reminder), at the
clinic's offsets before its start. Keyed by the appointment and its start, so booking twice
schedules once, and a move (a new start) schedules afresh after cancelling the old ones."""

import contextlib
from datetime import datetime, timedelta

from django.utils import timezone

from appointments.models import (
    DEFAULT_REMINDERS_BEFORE,
    Appointment,
    BookingDialog,
    BookingRules,
)
from clinicbot.runtime import aio
from conversations.decide import AWAITING_BOOKING
from conversations.hotstore import conversation_key, hot_store
from followups.kinds import Kind
from followups.models import FollowUp
from followups.services import FollowUpRefused, followup_schedule, refresh_next_due


def reminders_schedule(*, appointment: Appointment, now: datetime) -> list[FollowUp]:
    rules = BookingRules.objects.filter(clinic_id=appointment.clinic_id).first()
    offsets = rules.reminders_before_minutes if rules else DEFAULT_REMINDERS_BEFORE
    scheduled = []
    for minutes in offsets:
        due = appointment.starts_at - timedelta(minutes=minutes)
        if due <= now:
            continue  # booked closer to the time than this reminder's offset
        # Reminders are transactional (followups.kinds): an opt-out does not refuse them.
        with contextlib.suppress(FollowUpRefused):
            scheduled.append(
                followup_schedule(
                    conversation=appointment.conversation,
                    kind=Kind.APPOINTMENT_REMINDER,
                    due_at=due,
                    context={
                        "appointment_id": appointment.pk,
                        "appointment_at": appointment.starts_at,
                    },
                    idempotency_key=_key(appointment, minutes),
                )
            )
    return scheduled


def reminders_cancel(*, appointment: Appointment) -> int:
    cancelled = FollowUp.objects.filter(
        conversation_id=appointment.conversation_id,
        kind=Kind.APPOINTMENT_REMINDER,
        status=FollowUp.Status.PENDING,
        context__appointment_id=appointment.pk,
    ).update(status=FollowUp.Status.CANCELLED, reason="the appointment moved or was cancelled")
    if cancelled:
        refresh_next_due(conversation=appointment.conversation)
    return cancelled


def _key(appointment: Appointment, minutes: int) -> str:
    return f"appointment:{appointment.pk}:{appointment.starts_at.isoformat()}:{minutes}"


def reminders_sent(sender, *, followups: list[FollowUp], **kwargs) -> None:
    """The receiver of followups.signals.followups_sent: after an appointment's reminder, the
    conversation's booking dialogue waits for the patient's yes (confirm) or no (move)."""
    for followup in followups:
        appointment_id = followup.context.get("appointment_id")
        if followup.kind != Kind.APPOINTMENT_REMINDER or not appointment_id:
            continue
        appointment = Appointment.objects.filter(pk=appointment_id).first()
        if appointment is None or not appointment.is_active:
            continue
        _await_answer(appointment)


def _await_answer(appointment: Appointment) -> None:
    conversation = appointment.conversation
    BookingDialog.objects.update_or_create(
        conversation=conversation,
        defaults={"step": BookingDialog.Step.REMINDER, "appointment": appointment, "offered": []},
    )
    conversation.awaiting = AWAITING_BOOKING
    conversation.save(update_fields=["awaiting", "updated_at"])
    clinic = conversation.clinic
    key = conversation_key(clinic.whatsapp_instance, conversation.patient_phone)
    aio.run(_session_await(key))


async def _session_await(conversation: str) -> None:
    # The live session, which stage A reads before the database: the next yes goes to us.
    await hot_store().session_save(conversation, {"awaiting": AWAITING_BOOKING})


def _quoted(conversation, gateway_id: str):
    """The reminders that went out in this conversation as WhatsApp message `gateway_id`."""
    return FollowUp.objects.filter(
        conversation=conversation, kind=Kind.APPOINTMENT_REMINDER, gateway_id=gateway_id
    ).exclude(gateway_id="")


def reminded_appointment(*, conversation, gateway_id: str) -> Appointment | None:
    """The appointment whose reminder went out in this conversation as WhatsApp message
    `gateway_id` (a patient's answer quotes it); None when that message was no reminder."""
    reminder = _quoted(conversation, gateway_id).order_by("-pk").first()
    if reminder is None:
        return None
    return (
        Appointment.objects.filter(
            pk=reminder.context.get("appointment_id"), conversation=conversation
        )
        .select_related("service", "provider")
        .first()
    )


def reminder_answered(*, conversation, gateway_id: str, confirmed: bool) -> None:
    """Record the answer on the reminder it quotes (the follow-ups' figures count answers)."""
    response = FollowUp.Response.CONFIRMED if confirmed else FollowUp.Response.DECLINED
    _quoted(conversation, gateway_id).update(
        response=response, responded_at=timezone.now(), updated_at=timezone.now()
    )
