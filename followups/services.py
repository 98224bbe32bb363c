"""Scheduling follow-ups and reacting to the patient: writes that touch several models."""

from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Min
from django.utils import timezone

from conversations.models import ConversationSession
from followups.kinds import Kind, policy
from followups.models import FollowUp

Status = FollowUp.Status
# A confirm/decline answers the reminder sent within this long before it.
REMINDER_ANSWER_WINDOW = timedelta(days=3)
# A patient who asked a price and went quiet hears from us once, well inside the 24 h window.
PRICE_NUDGE_AFTER = timedelta(hours=4)


class FollowUpRefused(ValueError):
    """The follow-up may not be scheduled (e.g. the patient opted out of such messages)."""


def refresh_next_due(*, conversation: ConversationSession) -> None:
    """Keep `scheduled_followup_at` equal to the next pending follow-up's due time."""
    next_due = conversation.followups.filter(status=Status.PENDING).aggregate(at=Min("due_at"))
    ConversationSession.objects.filter(pk=conversation.pk).update(
        scheduled_followup_at=next_due["at"]
    )


@transaction.atomic
def followup_schedule(
    *,
    conversation: ConversationSession,
    kind: str,
    due_at: datetime,
    context: dict | None = None,
    idempotency_key: str = "",
) -> FollowUp:
    """Schedule a follow-up; scheduling the same one again (same key) returns the first."""
    if (
        conversation.status == ConversationSession.Status.OPTED_OUT
        and not policy(kind).transactional
    ):
        raise FollowUpRefused("the patient opted out of messages that are not transactional")
    key = idempotency_key or f"{conversation.pk}:{kind}:{due_at.isoformat()}"
    followup, _ = FollowUp.objects.get_or_create(
        idempotency_key=key,
        defaults={
            "conversation": conversation,
            "kind": kind,
            "due_at": due_at,
            "context": context or {},
        },
    )
    refresh_next_due(conversation=conversation)
    return followup


def followup_cancel(*, followup: FollowUp, reason: str = "cancelled by staff") -> bool:
    changed = FollowUp.objects.filter(pk=followup.pk, status=Status.PENDING).update(
        status=Status.CANCELLED, reason=reason
    )
    refresh_next_due(conversation=followup.conversation)
    return bool(changed)


def followup_retry(*, followup: FollowUp) -> bool:
    """Staff send a failed or expired follow-up again: pending now, attempts reset."""
    changed = FollowUp.objects.filter(
        pk=followup.pk, status__in=[Status.FAILED, Status.EXPIRED]
    ).update(status=Status.PENDING, due_at=timezone.now(), attempts=0, reason="")
    refresh_next_due(conversation=followup.conversation)
    return bool(changed)


def followups_after_patient_message(
    *, conversation: ConversationSession, intent: str, at: datetime, message_id: str
) -> None:
    """What a patient's message changes: nudges become pointless, an opt-out cancels all that is
    pending, a yes/no answers the latest appointment reminder, and a price question gets a
    nudge later if the patient goes quiet.

    Stage B may run this more than once for one message: it only touches follow-ups created
    before the message, and the nudge is keyed by the message."""
    pending = conversation.followups.filter(status=Status.PENDING, created_at__lt=at)
    if intent == "opt_out":
        pending.update(status=Status.CANCELLED, reason="the patient opted out")
    else:
        nudges = [k for k in Kind if policy(k).cancelled_by_reply]
        pending.filter(kind__in=nudges).update(
            status=Status.CANCELLED, reason="the patient wrote again"
        )
    if intent in ("confirm", "decline"):
        _record_reminder_answer(conversation=conversation, intent=intent, at=at)
    if intent == "price_query" and conversation.status != ConversationSession.Status.OPTED_OUT:
        FollowUp.objects.get_or_create(
            idempotency_key=f"{conversation.pk}:price_nudge:{message_id}",
            defaults={
                "conversation": conversation,
                "kind": Kind.PRICE_NUDGE,
                "due_at": at + PRICE_NUDGE_AFTER,
            },
        )
    refresh_next_due(conversation=conversation)


def _record_reminder_answer(*, conversation: ConversationSession, intent: str, at: datetime):
    reminder = (
        conversation.followups.filter(
            kind=Kind.APPOINTMENT_REMINDER,
            status=Status.SENT,
            response="",
            sent_at__gte=at - REMINDER_ANSWER_WINDOW,
            sent_at__lte=at,
        )
        .order_by("-sent_at")
        .first()
    )
    if reminder is not None:
        reminder.response = (
            FollowUp.Response.CONFIRMED if intent == "confirm" else FollowUp.Response.DECLINED
        )
        reminder.responded_at = at
        reminder.save(update_fields=["response", "responded_at", "updated_at"])
