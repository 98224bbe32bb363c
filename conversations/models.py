"""Clinics, the patients' conversations with them, every message, and its timings."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from channels.registry import DEFAULT_KIND
from security.blind_index import blind_index, blind_index_candidates
from security.fields import EncryptedTextField

LANGUAGES = [
    ("ru", _("Russian")),
    ("en", _("English")),
    ("es", _("Spanish")),
    ("pt", _("Portuguese")),
    ("uk", _("Ukrainian")),
    ("he", _("Hebrew")),
]


def validate_texts_by_language(value) -> None:
    """{"en": "text", "he": "text"}: the six languages' codes, each with a text."""
    if not isinstance(value, dict):
        raise ValidationError(
            gettext('Give an object of texts by language: {"en": "...", "ru": "..."}.')
        )
    codes = {code for code, _ in LANGUAGES}
    for language, text in value.items():
        if language not in codes:
            raise ValidationError(
                gettext("%(language)s is not one of %(codes)s.")
                % {"language": repr(language), "codes": sorted(codes)}
            )
        if not isinstance(text, str) or not text.strip():
            raise ValidationError(
                gettext("%(language)s: the text is empty.") % {"language": language}
            )


class Lane(models.TextChoices):
    FAST = "fast", _("fast lane")
    LLM = "llm", _("LLM lane")
    BOOKING = "booking", _("booking lane")
    NONE = "none", _("no reply")


# The gateway's connection states (Clinic.connection_state) in which the clinic's number can
# neither send nor receive.
CONNECTION_DOWN = frozenset({"close", "refused"})


class Clinic(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    # The clinic's WhatsApp number on its channel (Evolution: the instance's name); a number
    # belongs to exactly one clinic.
    whatsapp_instance = models.CharField(max_length=100, unique=True)
    # Which channel reaches that number: a key of channels.registry.CHANNELS.
    channel_kind = models.CharField(max_length=20, default=DEFAULT_KIND)
    # The organization id this clinic had in the system clinicbot replaces, for data migration.
    external_org_id = models.CharField(max_length=100, blank=True, db_index=True)
    timezone = models.CharField(max_length=64, default="UTC")
    default_language = models.CharField(max_length=2, choices=LANGUAGES, default="ru")
    address = models.CharField(max_length=300, blank=True)
    phone = models.CharField(max_length=32, blank=True)
    # {"mon": "09:00-20:00", ..., "sun": null} in the clinic's own timezone.
    business_hours = models.JSONField(default=dict, blank=True)
    # A conversation staff took over goes back to the bot after this many hours of staff
    # control, unless staff release it sooner in the admin.
    handoff_release_hours = models.PositiveSmallIntegerField(default=24)
    # What a patient with an urgent symptom is told to do, by language: {"en": "...", ...}.
    # Without a text in the patient's language, the clinic's default language's is sent.
    emergency_instructions = models.JSONField(
        default=dict,
        blank=True,
        validators=[validate_texts_by_language],
        help_text=_(
            "Sent at once to a patient who writes about an urgent symptom, by language: "
            '{"en": "If you have severe swelling or bleeding, call ... now.", "ru": "..."}.'
        ),
    )
    # The clinic's number on its gateway, as the gateway last reported it (Evolution's
    # connection.update): "open", "connecting", "close" or "refused"; empty until reported.
    connection_state = models.CharField(max_length=12, blank=True)
    connection_reason = models.IntegerField(null=True, blank=True)
    connection_changed_at = models.DateTimeField(null=True, blank=True)
    # The LLM that answers this clinic's patients; empty: the best active model (see
    # conversations.llm.capabilities).
    llm_model = models.ForeignKey(
        "LLMModel",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="clinics",
        verbose_name=_("LLM model"),
    )
    # The clinic's own speech-to-text model for voice notes (conversations.voice); empty:
    # settings.TRANSCRIPTION_MODEL.
    transcription_model = models.CharField(max_length=100, blank=True)
    # The staff accounts that work for this clinic: in the admin a staff user sees only their
    # clinics' conversations, messages, prices and follow-ups (superusers see every clinic).
    staff = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="clinics",
        help_text=_("Staff accounts that may see this clinic's data in the admin."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class LLMModel(models.Model):
    """What one LLM can do and what it costs, edited by staff in the admin. The measured
    figures are optional: a model nobody has benchmarked yet is still usable."""

    class Provider(models.TextChoices):
        OPENAI = "openai", _("OpenAI-compatible (OPENAI_BASE_URL)")

    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.OPENAI)
    name = models.CharField(max_length=100, help_text=_("The model name the API expects."))
    context_window = models.PositiveIntegerField(help_text=_("Tokens, prompt and answer together."))
    max_output_tokens = models.PositiveIntegerField()
    supports_tools = models.BooleanField(default=True)
    supports_streaming = models.BooleanField(default=True)
    input_price_per_mtok = models.DecimalField(
        _("input price per 1M tokens"), max_digits=10, decimal_places=4
    )
    output_price_per_mtok = models.DecimalField(
        _("output price per 1M tokens"), max_digits=10, decimal_places=4
    )
    # Measured figures, when someone has measured them.
    avg_output_tokens_per_s = models.FloatField(
        _("average output speed (tokens/s)"), null=True, blank=True
    )
    avg_ttft_ms = models.FloatField(_("average time to first token (ms)"), null=True, blank=True)
    p95_latency_ms = models.FloatField(_("p95 latency (ms)"), null=True, blank=True)
    active = models.BooleanField(default=True)
    rank = models.PositiveSmallIntegerField(
        default=100,
        help_text=_(
            "Lower is preferred when a clinic names no model; ties go to the faster model."
        ),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("LLM model")
        ordering = ["rank", "name"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "name"], name="llm_model_unique_name")
        ]

    def __str__(self):
        return f"{self.name} ({self.provider})"


class ConversationSession(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", _("active")
        OPTED_OUT = "opted_out", _("opted out")

    class Control(models.TextChoices):
        BOT = "bot", _("bot")
        STAFF = "staff", _("staff")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="sessions")
    # PHI: encrypted at rest (security.fields), so never filtered on; the blind index finds a
    # patient by phone (security.blind_index), and it is what the unique constraint is on.
    # The number's digits, or "<lid>@lid" for a patient WhatsApp shows only by a LID (its
    # privacy id) until a message names the phone too.
    patient_phone = EncryptedTextField(help_text=_("Digits of the patient's number."))
    patient_phone_index = models.CharField(max_length=64, db_index=True, blank=True)
    # The patient's LID once a message named it beside the phone: a later message carrying only
    # the LID belongs to this conversation.
    patient_lid = EncryptedTextField(blank=True)
    patient_lid_index = models.CharField(max_length=64, db_index=True, blank=True)
    patient_name = EncryptedTextField(blank=True)
    channel = models.CharField(max_length=20, default="whatsapp")
    language = models.CharField(max_length=2, choices=LANGUAGES, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    control = models.CharField(max_length=8, choices=Control.choices, default=Control.BOT)
    control_changed_at = models.DateTimeField(null=True, blank=True)
    # What the bot waits for from the patient in a dialogue another app runs ("booking"): the
    # next message goes to that app's lane, even a bare "yes" or "2".
    awaiting = models.CharField(max_length=20, blank=True)
    last_inbound_at = models.DateTimeField(null=True, blank=True)
    # Why staff should look at this conversation (a voice note the bot could not transcribe...);
    # empty when nothing waits for them.
    attention = models.CharField(max_length=60, blank=True)
    attention_at = models.DateTimeField(null=True, blank=True)
    scheduled_followup_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    # Recomputed by `rotate_phi_key` (security.rotation) under a new master key.
    BLIND_INDEXES = {"patient_phone_index": "patient_phone", "patient_lid_index": "patient_lid"}
    # The conversations that may wait for staff (the inbox's count in the page title): a few
    # among thousands, so a partial index holds just them.
    WAITING_CANDIDATE = Q(control=Control.STAFF) | ~Q(attention="")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "channel", "patient_phone_index"], name="one_session_per_patient"
            )
        ]
        indexes = [
            models.Index(fields=["clinic", "-last_inbound_at"], name="session_inbox"),
            models.Index(
                fields=["clinic"],
                condition=Q(control="staff") | ~Q(attention=""),
                name="session_waiting",
            ),
        ]

    def __str__(self):
        return f"{self.clinic.slug} conversation {self.pk}"

    def save(self, *args, **kwargs):
        # bulk_create skips this: stage B sets the index itself (conversations.services.storage).
        update_fields = kwargs.get("update_fields")
        if update_fields is None or "patient_phone" in update_fields:
            self.patient_phone_index = phone_index(self.patient_phone)
            if update_fields is not None:
                kwargs["update_fields"] = {*update_fields, "patient_phone_index"}
        if update_fields is None or "patient_lid" in update_fields:
            self.patient_lid_index = phone_index(self.patient_lid)
            if update_fields is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], "patient_lid_index"}
        super().save(*args, **kwargs)


# How a patient known only by their WhatsApp LID is written where a phone would be.
LID_SUFFIX = "@lid"


def patient_lookup(phone: str, prefix: str = "") -> Q:
    """The conversations of the patient with this number, or "<lid>@lid": a LID also finds the
    phone's conversation that learned it (`prefix`: the path to the conversation, e.g.
    "session__")."""
    candidates = phone_index_candidates(phone)
    lookup = Q(**{f"{prefix}patient_phone_index__in": candidates})
    if phone.endswith(LID_SUFFIX):
        lookup |= Q(**{f"{prefix}patient_lid_index__in": candidates})
    return lookup


def patient_conversation(clinic_id: int, phone: str, lid: str = "") -> "ConversationSession | None":
    """The patient's conversation at the clinic, by phone (or LID), or by the LID named beside
    it. Until stage B merges a conversation kept under the LID alone into the phone's, the
    patient may have two: the phone's comes first, else the one that learned the LID."""
    lookup = patient_lookup(phone)
    if lid and lid != phone:
        lookup |= patient_lookup(lid)
    rows = list(
        ConversationSession.objects.filter(
            lookup, clinic_id=clinic_id, channel="whatsapp"
        ).order_by("pk")[:3]
    )
    by_phone = [
        row for row in rows if row.patient_phone == phone and not phone.endswith(LID_SUFFIX)
    ]
    learned = [row for row in rows if row.patient_lid]
    return (by_phone or learned or rows or [None])[0]


def phone_index(phone: str) -> str:
    """The blind index of a patient's number (or "<lid>@lid") under the current key; empty for
    no number."""
    try:
        return blind_index(phone) if phone else ""
    except ValueError:  # no digits at all
        return ""


def phone_index_candidates(phone: str) -> list[str]:
    """The number's index under each key of PHI_MASTER_KEY, current first (for lookups while a
    rotation is under way); [""] for no number."""
    try:
        return blind_index_candidates(phone) if phone else [""]
    except ValueError:
        return [""]


class Message(models.Model):
    class Direction(models.TextChoices):
        INBOUND = "in", _("from patient")
        OUTBOUND = "out", _("to patient")

    class Delivery(models.TextChoices):
        RECEIVED = "received", _("received")
        PENDING = "pending", _("pending")
        SENDING = "sending", _("sending")
        SENT = "sent", _("sent")
        FAILED = "failed", _("failed")

    clinic = models.ForeignKey(Clinic, on_delete=models.PROTECT, related_name="messages")
    session = models.ForeignKey(
        ConversationSession, on_delete=models.CASCADE, related_name="messages"
    )
    direction = models.CharField(max_length=3, choices=Direction.choices)
    # Inbound: the patient's WhatsApp message id; outbound: the id the gateway gave our reply.
    wa_message_id = models.CharField(max_length=128, blank=True)
    # The inbound message an outbound reply answers; at most one reply per inbound message.
    reply_to = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="reply"
    )
    text = EncryptedTextField(blank=True)  # PHI: encrypted at rest
    # The text is the transcript of a voice note, not what the patient typed.
    is_transcript = models.BooleanField(default=False)
    # What the message carries besides text (channels.base.Media): its kind ("image", "voice",
    # "location"...), type and size; `media_content` is a document's name, a location or the
    # contact cards (PHI: encrypted). Staff open the file itself through clinicbot.
    media_kind = models.CharField(max_length=12, blank=True)
    media_mime = models.CharField(max_length=100, blank=True)
    media_size = models.BigIntegerField(null=True, blank=True)
    media_content = EncryptedTextField(blank=True)
    # The WhatsApp id of the message this one quotes, and a tapped button's or list row's id.
    quoted_wa_id = models.CharField(max_length=128, blank=True)
    choice_id = models.CharField(max_length=128, blank=True)
    # The sender edited it (the text is the edited one), or deleted it for everyone (the text
    # and media content are gone; the row stays as a tombstone).
    edited_at = models.DateTimeField(null=True, blank=True)
    deleted_at = models.DateTimeField(null=True, blank=True)
    intent = models.CharField(max_length=20, blank=True)
    lane = models.CharField(max_length=8, choices=Lane.choices, blank=True)
    from_staff = models.BooleanField(default=False)
    delivery_status = models.CharField(
        max_length=10, choices=Delivery.choices, default=Delivery.RECEIVED
    )
    received_at = models.DateTimeField(help_text=_("When clinicbot received or produced it."))
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            # The database's half of de-duplication of what WhatsApp delivered to us (patient
            # messages and staff echoes): Redis answers first, this is the backstop. Our replies'
            # gateway ids are informational and are not part of it.
            models.UniqueConstraint(
                fields=["clinic", "wa_message_id"],
                condition=(Q(direction="in") | Q(from_staff=True)) & ~Q(wa_message_id=""),
                name="message_unique_per_instance",
            )
        ]
        indexes = [
            models.Index(fields=["session", "received_at"], name="message_thread"),
            # The dashboard's replies given up: few rows, read by time.
            models.Index(
                fields=["-received_at"],
                condition=Q(delivery_status="failed"),
                name="message_undelivered",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} message {self.pk}"


class MessageMetric(models.Model):
    """Timings of one handled message, attached to the reply that was stored (or, when the bot
    stayed silent, to the inbound message), so a metric can never point at a missing row."""

    message = models.OneToOneField(Message, on_delete=models.CASCADE, related_name="metric")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="metrics")
    lane = models.CharField(max_length=8, choices=Lane.choices)
    intent = models.CharField(max_length=20, blank=True)
    fast_lane_ms = models.FloatField(null=True, blank=True)
    db_ms = models.FloatField(null=True, blank=True)
    llm_ms = models.FloatField(null=True, blank=True)
    llm_model = models.CharField(max_length=100, blank=True)
    llm_prompt_tokens = models.PositiveIntegerField(null=True, blank=True)
    llm_completion_tokens = models.PositiveIntegerField(null=True, blank=True)
    send_ms = models.FloatField(null=True, blank=True)
    total_ms = models.FloatField()
    cache_hits = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [
            models.Index(fields=["created_at", "lane"], name="metric_by_time"),
            # The dashboard: one clinic's last 7 days, and the replies over 5 s (few rows).
            models.Index(fields=["clinic", "created_at"], name="metric_by_clinic_time"),
            models.Index(
                fields=["-created_at"], condition=Q(total_ms__gt=5000), name="metric_slow"
            ),
        ]

    def __str__(self):
        return f"{self.lane} {self.total_ms:.1f} ms"
