"""Scheduling follow-ups and reacting to the patient: writes that touch several models."""

from datetime import datetime, timedelta

from django.db import connections, router, transaction
from django.db.models import BooleanField, OuterRef, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from conversations.models import ConversationSession
from conversations.signals import PatientMessage
from followups.kinds import Kind, policy
from followups.models import FollowUp
from nlu import Intent
from notifications.services import reminder_declined_event, staff_events_record

Status = FollowUp.Status
# A confirm/decline answers the reminder sent within this long before it.
REMINDER_ANSWER_WINDOW = timedelta(days=3)
# A patient who asked a price and went quiet hears from us once, well inside the 24 h window.
PRICE_NUDGE_AFTER = timedelta(hours=4)


class FollowUpRefused(ValueError):
    """The follow-up may not be scheduled (e.g. the patient opted out of such messages)."""


def refresh_next_due(*, conversation: ConversationSession) -> None:
    """Keep `scheduled_followup_at` equal to the next pending follow-up's due time."""
    refresh_next_due_many(conversation_ids={conversation.pk})


def refresh_next_due_many(*, conversation_ids: set[int]) -> None:
    """`refresh_next_due` for many conversations, one statement per thousand."""
    next_pending = (
        FollowUp.objects.filter(conversation=OuterRef("pk"), status=Status.PENDING)
        .order_by("due_at")
        .values("due_at")[:1]
    )
    ids = sorted(conversation_ids)
    for start in range(0, len(ids), 1000):
        ConversationSession.objects.filter(id__in=ids[start : start + 1000]).update(
            scheduled_followup_at=Subquery(next_pending)
        )


def followup_check(*, conversation: ConversationSession, kind: str) -> None:
    """Raise FollowUpRefused when a follow-up of `kind` may not be scheduled in `conversation`."""
    if (
        conversation.status == ConversationSession.Status.OPTED_OUT
        and not policy(kind).transactional
    ):
        raise FollowUpRefused("the patient opted out of messages that are not transactional")


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
    followup_check(conversation=conversation, kind=kind)
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


def followups_after_stored_messages(sender, *, messages: list[PatientMessage], **kwargs) -> None:
    """The receiver of conversations.signals.patient_messages_stored (stage B)."""
    followups_after_patient_messages(messages=messages)


def followups_after_patient_messages(*, messages: list[PatientMessage]) -> None:
    """What patients' messages change: nudges become pointless, an opt-out cancels all that is
    pending, a yes/no answers the latest appointment reminder, and a price question gets a
    nudge later if the patient goes quiet.

    Stage B stores messages in batches: this makes a fixed number of queries per batch,
    whatever its size. It may run more than once for a message: it only touches follow-ups
    created before the message, and the nudge is keyed by the message."""
    if not messages:
        return
    messages = sorted(messages, key=lambda m: m.at)
    latest: dict[int, PatientMessage] = {}
    opted_out: dict[int, datetime] = {}
    for message in messages:
        latest[message.conversation.pk] = message
        if message.intent == Intent.OPT_OUT:
            opted_out[message.conversation.pk] = message.at
    _pending_cancel(opted_out, kinds=None, reason="the patient opted out")
    nudges = [k for k in Kind if policy(k).cancelled_by_reply]
    wrote = {pk: message.at for pk, message in latest.items()}
    _pending_cancel(wrote, kinds=nudges, reason="the patient wrote again")
    _record_reminder_answers([m for m in messages if m.intent in (Intent.CONFIRM, Intent.DECLINE)])
    # Only a conversation's last message can leave the patient waiting for a nudge: one that
    # came after it would have cancelled it.
    FollowUp.objects.bulk_create(
        [_price_nudge(m) for m in latest.values() if _wants_price_nudge(m)],
        ignore_conflicts=True,  # the same message stored again
    )
    refresh_next_due_many(conversation_ids={m.conversation.pk for m in messages})


def _pending_cancel(cutoffs: dict[int, datetime], *, kinds, reason: str) -> None:
    """Cancel each conversation's pending follow-ups (of `kinds`) created before its cutoff."""
    if not cutoffs:
        return
    pending = FollowUp.objects.filter(_created_before(cutoffs), status=Status.PENDING)
    if kinds is not None:
        pending = pending.filter(kind__in=kinds)
    pending.update(status=Status.CANCELLED, reason=reason)


def _created_before(cutoffs: dict[int, datetime]) -> RawSQL:
    """`(conversation = A and created before A's cutoff) or …` for every conversation of a
    batch, written out rather than as an OR of Q objects, which Django would compile node by
    node into SQL for every batch: Python work that grows with the batch, on stage B's path."""
    connection = connections[router.db_for_write(FollowUp)]
    conversation = connection.ops.quote_name(FollowUp._meta.get_field("conversation").column)
    created = connection.ops.quote_name(FollowUp._meta.get_field("created_at").column)
    pair = f"({conversation} = %s AND {created} < %s)"
    params = []
    for pk, at in cutoffs.items():
        params += [pk, connection.ops.adapt_datetimefield_value(at)]
    # Every name is the model's own, quoted; every value is a parameter.
    sql = " OR ".join([pair] * len(cutoffs))
    return RawSQL(sql, params, output_field=BooleanField())  # noqa: S611


def _wants_price_nudge(message: PatientMessage) -> bool:
    return (
        message.intent == Intent.PRICE_QUERY
        and message.conversation.status != ConversationSession.Status.OPTED_OUT
    )


def _price_nudge(message: PatientMessage) -> FollowUp:
    return FollowUp(
        idempotency_key=f"{message.conversation.pk}:price_nudge:{message.message_id}",
        conversation=message.conversation,
        kind=Kind.PRICE_NUDGE,
        due_at=message.at + PRICE_NUDGE_AFTER,
    )


def _record_reminder_answers(answers: list[PatientMessage]) -> None:
    """Each yes/no (in time order) answers its conversation's latest unanswered reminder sent
    within REMINDER_ANSWER_WINDOW before it: one query for the batch's candidates, one update."""
    if not answers:
        return
    candidates = FollowUp.objects.filter(
        conversation_id__in={m.conversation.pk for m in answers},
        kind=Kind.APPOINTMENT_REMINDER,
        status=Status.SENT,
        response="",
        sent_at__gte=answers[0].at - REMINDER_ANSWER_WINDOW,
        sent_at__lte=answers[-1].at,
    ).order_by("-sent_at")
    by_conversation: dict[int, list[FollowUp]] = {}
    for reminder in candidates:
        by_conversation.setdefault(reminder.conversation_id, []).append(reminder)
    answered = []
    now = timezone.now()  # bulk_update does not fill auto_now fields
    for message in answers:
        reminder = _answerable(by_conversation.get(message.conversation.pk, ()), message.at)
        if reminder is not None:
            reminder.response = (
                FollowUp.Response.CONFIRMED
                if message.intent == Intent.CONFIRM
                else FollowUp.Response.DECLINED
            )
            reminder.responded_at = message.at
            reminder.updated_at = now
            answered.append(reminder)
    if answered:
        FollowUp.objects.bulk_update(answered, ["response", "responded_at", "updated_at"])
    clinic_of = {m.conversation.pk: m.conversation.clinic_id for m in answers}
    staff_events_record(events=[_declined_event(r, clinic_of) for r in answered if _declined(r)])


def _declined(reminder: FollowUp) -> bool:
    return reminder.response == FollowUp.Response.DECLINED


def _declined_event(reminder: FollowUp, clinic_of: dict[int, int]):
    """The booking lane may report the same "no" first: both name the appointment."""
    return reminder_declined_event(
        clinic_id=clinic_of[reminder.conversation_id],
        conversation_id=reminder.conversation_id,
        appointment_id=reminder.context.get("appointment_id") or f"followup-{reminder.pk}",
        at=reminder.responded_at,
    )


def _answerable(reminders: list[FollowUp], at: datetime) -> FollowUp | None:
    """The latest reminder (newest first in `reminders`) still unanswered and sent within the
    answer window before `at`."""
    for reminder in reminders:
        if not reminder.response and at - REMINDER_ANSWER_WINDOW <= reminder.sent_at <= at:
            return reminder
    return None
