"""Who at a clinic is told of what (`StaffNotify`), and each thing they are told of
(`StaffNotification`, one row per event, created once: unique on the clinic and a key that names
the event)."""

import zoneinfo
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from pydantic import ValidationError as PydanticError

from clinicbot.labels import lazy_interpolated
from notifications.spec import EVENTS, StaffNotifySpec, quiet_span


class Event(models.TextChoices):
    URGENT = "urgent", _("urgent hand-off")
    HANDOFF = "handoff", _("hand-off")
    CANCEL_REQUEST = "cancel_request", _("cancel or reschedule request")
    REMINDER_DECLINED = "reminder_declined", _("reminder declined")
    SEND_REFUSED = "send_refused", _("reply refused by the gateway")
    DISCONNECTED = "disconnected", _("WhatsApp disconnected")


class StaffNotify(models.Model):
    """A clinic's on-duty staff: WhatsApp numbers and e-mail addresses, the quiet hours (clinic
    time, may cross midnight) and the events that notify them."""

    clinic = models.OneToOneField(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="staff_notify"
    )
    whatsapp = models.JSONField(
        default=list, blank=True, help_text=_("numbers, e.g. +972500000999")
    )
    email = models.JSONField(default=list, blank=True)
    quiet_hours = models.CharField(
        max_length=11, blank=True, help_text=_("clinic time, e.g. 22:00-07:00; empty: none")
    )
    on = models.JSONField(
        default=list,
        blank=True,
        help_text=lazy_interpolated(gettext_noop("any of %(events)s"), events=", ".join(EVENTS)),
    )

    class Meta:
        verbose_name = _("staff notification settings")
        verbose_name_plural = _("staff notification settings")

    def __str__(self):
        return gettext("staff notifications of clinic %(clinic)s") % {"clinic": self.clinic_id}

    def clean(self):
        try:
            StaffNotifySpec(
                whatsapp=self.whatsapp or [],
                email=self.email or [],
                quiet_hours=self.quiet_hours,
                on=self.on or [],
            )
        except PydanticError as exc:
            # Each error on its own field of the form, in the clinic file's words.
            raise ValidationError(
                {str(e["loc"][0]): e["msg"].removeprefix("Value error, ") for e in exc.errors()}
            ) from None

    def notifies(self, kind: str) -> bool:
        # An urgent hand-off is a hand-off: a clinic told of every hand-off hears of it too.
        return kind in self.on or (kind == Event.URGENT and Event.HANDOFF in self.on)

    def numbers(self) -> list[str]:
        return StaffNotifySpec(whatsapp=self.whatsapp).digits()

    def _local(self, moment: datetime) -> datetime:
        return moment.astimezone(zoneinfo.ZoneInfo(self.clinic.timezone))

    def quiet_at(self, moment: datetime) -> bool:
        """Whether `moment` falls in the quiet hours, in the clinic's timezone."""
        span = quiet_span(self.quiet_hours)
        if span is None:
            return False
        start, end = span
        now = self._local(moment).time()
        if start < end:
            return start <= now < end
        return now >= start or now < end  # crosses midnight


class StaffNotification(models.Model):
    """One event staff are told of. Created with ignore_conflicts on (clinic, dedupe_key): a
    redelivered webhook, a second stage B run or a retried task finds it there already. Sent by
    notifications.tasks after claiming it (pending -> sending, a conditional UPDATE)."""

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")  # claimed by one task; never sent again from here
        SENT = "sent", _("sent")
        HELD = "held", _("held for the digest")  # created in quiet hours
        DIGESTED = "digested", _("sent in a digest")
        FAILED = "failed", _("failed")

    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="staff_notifications"
    )
    kind = models.CharField(max_length=20, choices=Event.choices)
    dedupe_key = models.CharField(max_length=200)
    conversation = models.ForeignKey(
        "conversations.ConversationSession",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff_notifications",
    )
    urgent = models.BooleanField(default=False)
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    # What the send reached ("whatsapp 2/2, email 1/1"): never a number or an address.
    detail = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)  # when the event happened
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["clinic", "dedupe_key"], name="staff_notification_once")
        ]
        indexes = [models.Index(fields=["state", "created_at"], name="staff_notification_state")]
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} #{self.pk}"
