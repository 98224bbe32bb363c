"""Scheduled follow-ups: reminders, nudges and check-ins that Celery beat sends when due."""

from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from followups.kinds import Kind


class FollowUp(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        CANCELLED = "cancelled", _("cancelled")
        EXPIRED = "expired", _("expired")
        FAILED = "failed", _("failed")

    class Response(models.TextChoices):
        NONE = "", _("no answer")
        CONFIRMED = "confirmed", _("confirmed")
        DECLINED = "declined", _("declined")

    conversation = models.ForeignKey(
        "conversations.ConversationSession", on_delete=models.CASCADE, related_name="followups"
    )
    kind = models.CharField(max_length=24, choices=Kind.choices)
    due_at = models.DateTimeField()
    # Datetimes, dates, decimals and UUIDs are stored as their JSON (ISO 8601, strings).
    context = models.JSONField(default=dict, blank=True, encoder=DjangoJSONEncoder)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text=_("Why it ended as it did."))
    gateway_id = models.CharField(max_length=128, blank=True)
    # The same follow-up (same key) can never be scheduled twice.
    idempotency_key = models.CharField(max_length=200, unique=True)
    response = models.CharField(max_length=10, choices=Response.choices, blank=True)
    responded_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["due_at"]
        indexes = [
            # The dispatcher's query: pending rows by due time, and nothing else.
            models.Index(fields=["due_at"], condition=Q(status="pending"), name="followup_due"),
            models.Index(fields=["conversation", "status"], name="followup_by_conversation"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} due {self.due_at:%Y-%m-%d %H:%M}"
