"""Who sees patients when (providers, closures), and the appointments booked with them.

Two active appointments of one provider can never overlap: on PostgreSQL an exclusion
constraint refuses the second, so two web processes or workers racing for one slot cannot both
win; elsewhere (the embedded SQLite, one process) appointments.services checks before it writes.
"""

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import RangeOperators
from django.db import connections, models
from django.db.models import F, Func, Q
from django.utils.translation import gettext_lazy as _

from security.fields import EncryptedTextField

DEFAULT_REMINDERS_BEFORE = [24 * 60, 120]


class BookingRules(models.Model):
    """How a clinic books: its `booking` in the clinic file."""

    clinic = models.OneToOneField(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="booking_rules"
    )
    min_notice_minutes = models.PositiveIntegerField(default=120)
    horizon_days = models.PositiveSmallIntegerField(default=60)
    slot_step_minutes = models.PositiveSmallIntegerField(default=15)
    reminders_before_minutes = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = _("booking rules")

    def __str__(self):
        return f"booking rules of {self.clinic}"


class Provider(models.Model):
    """A doctor, a hygienist or a chair: whoever an appointment is booked with."""

    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.PROTECT, related_name="providers"
    )
    code = models.SlugField(max_length=64)
    # {"ru": "Д-р Иванова", "en": "Dr Ivanova"}
    names = models.JSONField(default=dict)
    # Service codes this provider performs; empty: every service of the clinic.
    services = models.JSONField(default=list, blank=True)
    # {"mon": "09:00-18:00", ..., "sun": null} in the clinic's timezone.
    hours = models.JSONField(default=dict)
    # The clinic's own opening hours as one chair, for a clinic whose file names no providers.
    is_clinic_chair = models.BooleanField(default=False)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["clinic", "code"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "code"], name="provider_code_per_clinic")
        ]

    def __str__(self):
        return self.name_in("en")

    def name_in(self, language: str) -> str:
        return self.names.get(language) or next(iter(self.names.values()), self.code)


class Closure(models.Model):
    """Whole days the clinic (provider empty) or one provider does not see patients."""

    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.CASCADE, related_name="closures"
    )
    provider = models.ForeignKey(
        Provider, null=True, blank=True, on_delete=models.CASCADE, related_name="closures"
    )
    first_day = models.DateField()
    last_day = models.DateField(help_text=_("Inclusive."))
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["first_day"]

    def __str__(self):
        return f"closed {self.first_day}..{self.last_day}"


class ExclusionOnPostgres(ExclusionConstraint):
    """An exclusion constraint where the database has them; nothing elsewhere (SQLite has no
    EXCLUDE: there appointments.services looks for an overlap before it writes)."""

    def constraint_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().constraint_sql(model, schema_editor)

    def create_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().create_sql(model, schema_editor)

    def remove_sql(self, model, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return None
        return super().remove_sql(model, schema_editor)

    def validate(self, model, instance, exclude=None, using="default"):
        if connections[using].vendor == "postgresql":
            super().validate(model, instance, exclude=exclude, using=using)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.Field()  # only ever compared inside the constraint


class Appointment(models.Model):
    class Status(models.TextChoices):
        HELD = "held", _("held (waiting for the patient's yes)")
        BOOKED = "booked", _("booked")
        CONFIRMED = "confirmed", _("confirmed")
        CANCELLED = "cancelled", _("cancelled")
        NO_SHOW = "no_show", _("no-show")
        DONE = "done", _("done")

    class Source(models.TextChoices):
        BOT = "bot", _("bot")
        STAFF = "staff", _("staff")

    # The statuses that take the provider's time; only these may not overlap.
    ACTIVE = (Status.HELD, Status.BOOKED, Status.CONFIRMED)

    clinic = models.ForeignKey(
        "conversations.Clinic", on_delete=models.PROTECT, related_name="appointments"
    )
    conversation = models.ForeignKey(
        "conversations.ConversationSession",
        on_delete=models.PROTECT,
        related_name="appointments",
    )
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    service = models.ForeignKey(
        "pricing.Service", on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.HELD)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    source = models.CharField(max_length=5, choices=Source.choices, default=Source.BOT)
    # A new time held for a move: booking it cancels the appointment it replaces, in the same
    # transaction, so the patient is never without one of the two.
    replaces = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["starts_at"]
        constraints = [
            ExclusionOnPostgres(
                name="appointment_no_double_booking",
                expressions=[
                    (F("provider"), RangeOperators.EQUAL),
                    (TsTzRange("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(status__in=["held", "booked", "confirmed"]),
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="appointment_ends_after_start"
            ),
        ]
        indexes = [
            models.Index(fields=["provider", "starts_at"], name="appointment_calendar"),
            models.Index(fields=["conversation", "starts_at"], name="appointment_by_patient"),
            models.Index(
                fields=["hold_expires_at"], condition=Q(status="held"), name="appointment_holds"
            ),
        ]

    def __str__(self):
        return f"{self.get_status_display()} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE


class AppointmentChange(models.Model):
    """One change to an appointment: what, from what to what, when and by whom."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="changes")
    at = models.DateTimeField(auto_now_add=True)
    # A staff account, or none: the bot (on the patient's word) or the system (a hold expired).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    action = models.CharField(max_length=20)  # held, booked, confirmed, moved, cancelled...
    old_status = models.CharField(max_length=10, blank=True)
    new_status = models.CharField(max_length=10)
    old_starts_at = models.DateTimeField(null=True, blank=True)
    new_starts_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"{self.action} at {self.at:%Y-%m-%d %H:%M}"


class BookingDialog(models.Model):
    """Where a patient's booking conversation stands: what the bot asked and offered, so the
    next message ("2", "yes", "at 10") is read against it. One per conversation."""

    class Step(models.TextChoices):
        NONE = "", _("nothing pending")
        SERVICE = "service", _("asked which service")
        SLOT = "slot", _("offered times")
        CONFIRM = "confirm", _("holding a time, asked for a yes")
        CHOOSE = "choose", _("asked which appointment")
        CANCEL = "cancel", _("asked to confirm a cancellation")
        MOVE = "move", _("offered times for a move")
        REMINDER = "reminder", _("reminded, waiting for a yes or a no")

    conversation = models.OneToOneField(
        "conversations.ConversationSession", on_delete=models.CASCADE, related_name="booking"
    )
    step = models.CharField(max_length=10, choices=Step.choices, blank=True)
    # What the step is about: the service asked for, the times offered (ISO starts and
    # provider codes), the appointment held, to cancel or to move, and what the patient
    # asked to do with a chosen appointment ("cancel" or "move").
    service_code = models.CharField(max_length=64, blank=True)
    offered = models.JSONField(default=list, blank=True)
    appointment = models.ForeignKey(
        Appointment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    then = models.CharField(max_length=10, blank=True)
    # Exactly once: the last message this dialog answered and its reply, so a redelivered
    # message or a retried task gets the same reply without acting again.
    last_message = models.CharField(max_length=200, blank=True)
    last_reply = EncryptedTextField(blank=True)  # PHI: names the patient's appointment
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"booking dialog of {self.conversation_id} ({self.step or 'idle'})"
