"""Staff notifications: recording the events (called by the apps above, inside their own
transactions), sending each once (notifications.tasks), and the digest of what quiet hours held.

Exactly once, and what "once" means after a crash:
- An event is one row, created with ignore_conflicts on (clinic, dedupe_key): a redelivered
  webhook, a stage B flush run twice or a retried task finds the row there and creates nothing.
- A row is sent by the one task that claims it (pending -> sending, a conditional UPDATE that
  exactly one run wins). A run that dies after the claim leaves the row `sending`: it is never
  sent again (the gateway may have delivered it), and the sweep marks it failed after
  LOST_SEND_AFTER so staff see it in the admin. At most once per channel per row: a lost
  notification is visible; a notification repeated at 3 a.m. would teach staff to mute it.
- A digest claims the clinic's held rows the same way (held -> digested) before it is sent; a
  digest whose sender dies after the claim is lost, and its rows say so ("not sent").
"""

import asyncio
import logging
import smtplib
import zoneinfo
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from celery import current_app
from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from channels.base import Outcome
from channels.registry import sender_for
from clinicbot.runtime import aio
from notifications import texts
from notifications.models import Event, StaffNotification, StaffNotify
from notifications.signals import staff_whatsapp_sending
from notifications.spec import StaffNotifySpec

logger = logging.getLogger(__name__)

NOTIFICATION_SEND = "notifications.tasks.notification_send"
# A pending row whose task should have run this long ago (a failed publish) is enqueued again.
STALE_PENDING_AFTER = timedelta(minutes=2)
# A row claimed this long ago by a task that never recorded the outcome: its worker died.
LOST_SEND_AFTER = timedelta(minutes=10)
# Every WhatsApp number and the e-mail, together, within this (each send has its own timeouts).
DELIVERY_TIMEOUT_S = 30.0
DIGEST_LINKS = 20
State = StaffNotification.State


@dataclass(frozen=True, slots=True)
class StaffEvent:
    """Something staff may be told of. `key` names the event within its clinic (the message's
    id, the appointment's, the connection change's time): the same event recorded twice is one
    notification."""

    clinic_id: int
    kind: str
    key: str
    at: datetime
    conversation_id: int | None = None

    @property
    def urgent(self) -> bool:
        return self.kind == Event.URGENT


def disconnected_event(clinic_id: int, at: datetime) -> StaffEvent:
    """The clinic's WhatsApp number went down at `at` (the gateway's time of the change)."""
    return StaffEvent(clinic_id, Event.DISCONNECTED, at.isoformat(), at)


def reminder_declined_event(
    *, clinic_id: int, conversation_id: int, appointment_id, at: datetime
) -> StaffEvent:
    """A patient said no to an appointment's reminder; one event per appointment, whether the
    booking lane or the follow-ups saw the answer first."""
    return StaffEvent(
        clinic_id, Event.REMINDER_DECLINED, f"appointment:{appointment_id}", at, conversation_id
    )


def staff_notify_import(*, clinic, spec: StaffNotifySpec | None) -> None:
    """The clinic file's `staff_notify`; a file without it leaves the admin's settings as
    they are."""
    if spec is None:
        return
    StaffNotify.objects.update_or_create(
        clinic=clinic,
        defaults={
            "whatsapp": spec.whatsapp,
            "email": spec.email,
            "quiet_hours": spec.quiet_hours,
            "on": spec.on,
        },
    )


# --- recording ------------------------------------------------------------------------------


def staff_events_record(*, events: list[StaffEvent]) -> None:
    """Create a notification for each event its clinic wants to hear of (held when it falls
    in the quiet hours and is not urgent), once, and send the others after the caller's
    transaction commits. Two queries for a batch, three when something is to be sent."""
    if not events:
        return
    configs = {
        config.clinic_id: config
        for config in StaffNotify.objects.select_related("clinic").filter(
            clinic_id__in={e.clinic_id for e in events}
        )
    }
    rows = [
        _row(configs[e.clinic_id], e)
        for e in events
        if e.clinic_id in configs and configs[e.clinic_id].notifies(e.kind)
    ]
    if not rows:
        return
    StaffNotification.objects.bulk_create(rows, ignore_conflicts=True)
    if not any(row.state == State.PENDING for row in rows):
        return
    # Pending ones only: a row sent already (an earlier run of the caller) is not asked again.
    pending = StaffNotification.objects.filter(
        clinic_id__in={row.clinic_id for row in rows},
        dedupe_key__in={row.dedupe_key for row in rows},
        state=State.PENDING,
    ).values_list("pk", flat=True)
    for pk in pending:
        transaction.on_commit(partial(_enqueue, pk))


def _row(config: StaffNotify, event: StaffEvent) -> StaffNotification:
    held = not event.urgent and config.quiet_at(event.at)
    return StaffNotification(
        clinic_id=event.clinic_id,
        kind=event.kind,
        dedupe_key=f"{event.kind}:{event.key}"[:200],
        conversation_id=event.conversation_id,
        urgent=event.urgent,
        state=State.HELD if held else State.PENDING,
        created_at=event.at,
    )


def _enqueue(pk: int) -> None:
    tasks = current_app.tasks
    if NOTIFICATION_SEND not in tasks:
        current_app.loader.import_default_modules()
    try:
        tasks[NOTIFICATION_SEND].delay(pk)
    except Exception as exc:  # noqa: BLE001  (the broker may be down: the sweep asks again)
        logger.warning("notification %s not enqueued (%s); the sweep will", pk, type(exc).__name__)


# --- sending --------------------------------------------------------------------------------


def notification_send(*, notification_id: int) -> bool:
    """Send one notification if this run claims it; False when another run has (or had)."""
    now = timezone.now()
    claimed = StaffNotification.objects.filter(pk=notification_id, state=State.PENDING).update(
        state=State.SENDING, claimed_at=now
    )
    if not claimed:
        return False
    notification = StaffNotification.objects.select_related("clinic").get(pk=notification_id)
    config = (
        StaffNotify.objects.select_related("clinic")
        .filter(clinic_id=notification.clinic_id)
        .first()
    )
    clinic = notification.clinic
    language = clinic.default_language
    subject = f"[{clinic.name}] {texts.event_name(notification.kind, language)}"
    detail, reached = (
        _deliver(config, subject, _notification_text(notification, language))
        if config is not None
        else ("no staff to notify", False)
    )
    StaffNotification.objects.filter(pk=notification_id).update(
        state=State.SENT if reached else State.FAILED,
        sent_at=timezone.now() if reached else None,
        detail=detail,
    )
    return True


def _notification_text(notification: StaffNotification, language: str) -> str:
    clinic = notification.clinic
    lines = [
        f"{texts.event_name(notification.kind, language)}: {clinic.name}",
        _when(notification.created_at, clinic.timezone),
    ]
    if notification.conversation_id:
        lines.append(_conversation_line(notification.conversation_id, language))
    return "\n".join(lines)


def _when(moment: datetime, zone: str) -> str:
    local = timezone.localtime(moment, timezone=zoneinfo.ZoneInfo(zone))
    return f"{local:%Y-%m-%d %H:%M} ({zone})"


def _conversation_line(conversation_id: int, language: str) -> str:
    link = conversation_link(conversation_id)
    return f"{texts.line('conversation', language)} #{conversation_id}: {link}"


def conversation_link(conversation_id: int) -> str:
    """The conversation's page in the admin, absolute when settings.PUBLIC_URL is set."""
    path = reverse("admin:conversations_conversationsession_change", args=[conversation_id])
    return f"{settings.PUBLIC_URL}{path}"


def _deliver(config: StaffNotify, subject: str, text: str) -> tuple[str, bool]:
    """Send to every on-duty number and address; what was reached, and whether anything was."""
    parts, reached = [], False
    numbers = config.numbers()
    if numbers:
        staff_whatsapp_sending.send(
            sender=StaffNotification, clinic=config.clinic, numbers=numbers, text=text
        )
        try:
            outcomes = aio.run(_whatsapp_all(config.clinic, numbers, text), DELIVERY_TIMEOUT_S)
        except TimeoutError:
            # The sends may have gone out: recorded as unknown, never tried again.
            outcomes = [Outcome.UNKNOWN] * len(numbers)
            logger.warning("staff notification WhatsApp sends timed out")
        went_out = outcomes.count(Outcome.SENT)
        unknown = outcomes.count(Outcome.UNKNOWN)
        note = f" ({unknown} unknown)" if unknown else ""
        parts.append(f"whatsapp {went_out}/{len(numbers)}{note}")
        reached |= went_out > 0
    if config.email:
        sent = _email(subject, text, config.email)
        parts.append(f"email {sent}/{len(config.email)}")
        reached |= sent > 0
    return ", ".join(parts) or "no numbers or addresses", reached


async def _whatsapp_all(clinic, numbers: list[str], text: str) -> list[Outcome]:
    """Through the clinic's own channel, as a plain send: never stored in a conversation."""
    sender = sender_for(clinic.channel_kind)
    results = await asyncio.gather(
        *(sender.asend(instance=clinic.whatsapp_instance, number=n, text=text) for n in numbers),
        return_exceptions=True,
    )
    outcomes = []
    for result in results:
        if isinstance(result, BaseException):
            logger.warning("staff notification send failed (%s)", type(result).__name__)
            outcomes.append(Outcome.NOT_SENT)
        else:
            outcomes.append(result.outcome)
    return outcomes


def _email(subject: str, text: str, addresses: list[str]) -> int:
    """One e-mail to all the addresses (settings.EMAIL_TIMEOUT bounds the SMTP connection)."""
    try:
        send_mail(subject, text, settings.DEFAULT_FROM_EMAIL, addresses, fail_silently=False)
    except (smtplib.SMTPException, OSError) as exc:
        logger.warning("staff notification e-mail failed (%s)", type(exc).__name__)
        return 0
    return len(addresses)


# --- the digest and the sweep (beat) ----------------------------------------------------------


def digests_send(*, now: datetime | None = None) -> int:
    """One digest per clinic whose quiet hours are over and that has held notifications; the
    rows are claimed first (held -> digested), so a second run finds nothing. Returns how many
    digests went."""
    now = now or timezone.now()
    held = StaffNotification.objects.filter(state=State.HELD).values("clinic_id").distinct()
    digests = 0
    for config in StaffNotify.objects.select_related("clinic").filter(clinic_id__in=held):
        if config.quiet_at(now):
            continue
        rows = _held_claim(config.clinic_id, now)
        if rows:
            _digest_deliver(config, rows)
            digests += 1
    return digests


@transaction.atomic
def _held_claim(clinic_id: int, now: datetime) -> list[StaffNotification]:
    # skip_locked: a concurrent run's rows are its own to send, not ours to send again.
    rows = list(
        StaffNotification.objects.select_for_update(skip_locked=True)
        .filter(clinic_id=clinic_id, state=State.HELD, created_at__lte=now)
        .order_by("created_at")
    )
    # Should the digest's sender die now, its rows say so: claimed, never sent again.
    StaffNotification.objects.filter(pk__in=[r.pk for r in rows], state=State.HELD).update(
        state=State.DIGESTED, claimed_at=now, detail="digest claimed, not sent"
    )
    return rows


def _digest_deliver(config: StaffNotify, rows: list[StaffNotification]) -> None:
    clinic = config.clinic
    language = clinic.default_language
    counts = Counter(row.kind for row in rows)
    lines = [f"{clinic.name}: {texts.line('digest', language)} ({config.quiet_hours})"]
    lines += [f"{n} × {texts.event_name(kind, language)}" for kind, n in counts.most_common()]
    conversations = list(dict.fromkeys(r.conversation_id for r in rows if r.conversation_id))
    lines += [_conversation_line(pk, language) for pk in conversations[:DIGEST_LINKS]]
    subject = f"[{clinic.name}] {texts.line('digest', language)}: {len(rows)}"
    detail, reached = _deliver(config, subject, "\n".join(lines))
    StaffNotification.objects.filter(pk__in=[r.pk for r in rows]).update(
        detail=f"digest: {detail}", sent_at=timezone.now() if reached else None
    )


def notifications_sweep(*, now: datetime | None = None) -> None:
    """Ask again for pending rows whose task was lost; mark failed the rows whose sender died
    after claiming them (they are not sent again: see the module's docstring)."""
    now = now or timezone.now()
    StaffNotification.objects.filter(
        state=State.SENDING, claimed_at__lt=now - LOST_SEND_AFTER
    ).update(state=State.FAILED, detail="its sender died mid-send: it may have gone out")
    stale = StaffNotification.objects.filter(
        state=State.PENDING, created_at__lt=now - STALE_PENDING_AFTER
    ).values_list("pk", flat=True)[:500]
    for pk in stale:
        _enqueue(pk)
