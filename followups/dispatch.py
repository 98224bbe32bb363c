"""Sending due follow-ups, exactly once. Runs every minute from Celery beat.

1. Claim: due rows move pending -> sending in one transaction that locks them with
   `SELECT ... FOR UPDATE SKIP LOCKED`, so two dispatchers never take the same row.
2. Decide per row: cancelled (opted out), expired (outside the 24 h window), deferred (the clinic
   is closed: back to pending at the next opening), or send.
3. Send concurrently through the gateway backend and record each outcome. Only a send the gateway
   certainly did not perform is tried again (with backoff); one whose answer never came counts as
   sent, so nobody gets a reminder twice.
"""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from channels.base import Outcome, SendResult
from channels.registry import sender_for
from clinicbot.runtime import aio
from conversations.models import ConversationSession, Message
from followups.hours import next_opening
from followups.kinds import policy
from followups.models import FollowUp
from followups.services import refresh_next_due_many
from followups.signals import followups_sent
from followups.texts import followup_text
from knowledge.models import ReplyText

Status = FollowUp.Status
CLAIM_BATCH = 500
SEND_CONCURRENCY = 20
MAX_ATTEMPTS = 5
FREE_TEXT_WINDOW = timedelta(hours=24)
# A row still "sending" this long after its claim belongs to a worker that died mid-send.
STUCK_AFTER = timedelta(minutes=10)


@dataclass
class DispatchReport:
    sent: int = 0
    deferred: int = 0
    expired: int = 0
    cancelled: int = 0
    retrying: int = 0
    failed: int = 0
    conversations: set[int] = field(default_factory=set)

    def as_dict(self) -> dict:
        return {k: v for k, v in self.__dict__.items() if k != "conversations"}


def followups_claim_due(*, now: datetime, limit: int = CLAIM_BATCH) -> list[int]:
    with transaction.atomic():
        due = (
            FollowUp.objects.select_for_update(skip_locked=True)
            .filter(status=Status.PENDING, due_at__lte=now)
            .order_by("due_at")
            .values_list("id", flat=True)[:limit]
        )
        ids = list(due)
        FollowUp.objects.filter(id__in=ids).update(
            status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
    return ids


def followups_dispatch(*, now: datetime | None = None) -> DispatchReport:
    now = now or timezone.now()
    report = DispatchReport()
    _fail_stuck(now=now, report=report)
    while ids := followups_claim_due(now=now):
        rows = list(FollowUp.objects.filter(id__in=ids).select_related("conversation__clinic"))
        _dispatch_batch(rows, now=now, report=report)
        if len(ids) < CLAIM_BATCH:
            break
    refresh_next_due_many(conversation_ids=report.conversations)
    return report


def _fail_stuck(*, now: datetime, report: DispatchReport) -> None:
    report.failed += FollowUp.objects.filter(
        status=Status.SENDING, claimed_at__lt=now - STUCK_AFTER
    ).update(
        status=Status.FAILED,
        reason="the worker stopped mid-send; not resent to avoid a "
        "duplicate (retry it from the admin if the patient did not get it)",
    )


def _dispatch_batch(rows: list[FollowUp], *, now: datetime, report: DispatchReport) -> None:
    to_send = []
    for row in rows:
        report.conversations.add(row.conversation_id)
        if not _settled_without_sending(row, now=now, report=report):
            to_send.append(row)
    texts = _texts(to_send)
    results = aio.run(_send_all(to_send, texts), timeout=600)
    for row, result in zip(to_send, results, strict=True):
        _record(row, result, now=now, report=report)
    FollowUp.objects.bulk_update(
        rows, ["status", "due_at", "attempts", "sent_at", "reason", "gateway_id"], batch_size=500
    )
    sent = [r for r in to_send if r.status == Status.SENT]
    _store_sent_messages(sent, texts, now=now)
    if sent:
        followups_sent.send(sender=FollowUp, followups=sent)


def _settled_without_sending(row: FollowUp, *, now: datetime, report: DispatchReport) -> bool:
    """Apply the rules; True when the row was settled (or deferred) without a send."""
    conversation, rule = row.conversation, policy(row.kind)
    if conversation.status == ConversationSession.Status.OPTED_OUT and not rule.transactional:
        row.status, row.reason = Status.CANCELLED, "the patient opted out"
        report.cancelled += 1
        return True
    last = conversation.last_inbound_at
    if not rule.outside_window and (last is None or now - last > FREE_TEXT_WINDOW):
        row.status, row.reason = Status.EXPIRED, "more than 24 h since the patient last wrote"
        report.expired += 1
        return True
    clinic = conversation.clinic
    opening = next_opening(clinic.business_hours, clinic.timezone, now)
    if opening is None:
        row.status, row.reason = Status.FAILED, "the clinic has no opening hours"
        report.failed += 1
        return True
    if opening > now:
        # Not a real attempt: it waits for the clinic to open.
        row.status, row.due_at, row.attempts = Status.PENDING, opening, row.attempts - 1
        row.reason = "waiting for opening hours"
        report.deferred += 1
        return True
    return False


async def _send_all(rows: list[FollowUp], texts: dict[int, str]) -> list[SendResult]:
    limit = asyncio.Semaphore(SEND_CONCURRENCY)

    async def send(row: FollowUp) -> SendResult:
        clinic = row.conversation.clinic
        async with limit:
            return await sender_for(clinic.channel_kind).asend(
                instance=clinic.whatsapp_instance,
                number=row.conversation.patient_phone,
                text=texts[row.id],
            )

    return await asyncio.gather(*(send(row) for row in rows))


def _texts(rows: list[FollowUp]) -> dict[int, str]:
    """Each row's text (by id), in its clinic's own words where it has them: one query per
    clinic in the batch."""
    clinic_ids = {row.conversation.clinic_id for row in rows}
    overrides = {clinic_id: ReplyText.overrides_of(clinic_id) for clinic_id in clinic_ids}
    return {row.id: _text(row, overrides[row.conversation.clinic_id]) for row in rows}


def _text(row: FollowUp, overrides: dict) -> str:
    conversation = row.conversation
    clinic = conversation.clinic
    return followup_text(
        kind=row.kind,
        context=row.context,
        language=conversation.language or clinic.default_language,
        clinic_name=clinic.name,
        timezone=clinic.timezone,
        overrides=overrides,
    )


def _record(row: FollowUp, result: SendResult, *, now: datetime, report: DispatchReport) -> None:
    if result.outcome == Outcome.SENT:
        row.status, row.sent_at, row.gateway_id, row.reason = (
            Status.SENT,
            now,
            result.gateway_id,
            "",
        )
        report.sent += 1
    elif result.outcome == Outcome.UNKNOWN:
        # The gateway took the request and never answered: it most likely went out.
        row.status, row.sent_at = Status.SENT, now
        row.reason = f"sent; the gateway did not confirm ({result.detail})"
        report.sent += 1
    elif row.attempts >= MAX_ATTEMPTS:
        row.status, row.reason = (
            Status.FAILED,
            f"gave up after {row.attempts} tries: {result.detail}",
        )
        report.failed += 1
    else:
        backoff = timedelta(minutes=min(2**row.attempts, 60))
        row.status, row.due_at, row.reason = Status.PENDING, now + backoff, result.detail
        report.retrying += 1


def _store_sent_messages(rows: list[FollowUp], texts: dict[int, str], *, now: datetime) -> None:
    """Each sent follow-up appears in its conversation, as staff expect to read it."""
    Message.objects.bulk_create(
        [
            Message(
                clinic_id=row.conversation.clinic_id,
                session_id=row.conversation_id,
                direction=Message.Direction.OUTBOUND,
                text=texts[row.id],
                intent="followup",
                lane="none",
                delivery_status=Message.Delivery.SENT,
                received_at=now,
                sent_at=now,
                wa_message_id=row.gateway_id,
            )
            for row in rows
        ],
        batch_size=500,
    )
