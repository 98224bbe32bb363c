from django.db import models


class AuditAction(models.TextChoices):
    # Extend freely: the column is a plain string; a new choice needs only a no-op migration.
    LOGIN = "login"
    LOGIN_FAILED = "login_failed"
    LOGOUT = "logout"
    LOCKOUT = "lockout"
    VIEW_CONVERSATION = "view_conversation"
    VIEW_MESSAGE = "view_message"
    VIEW_PATIENT = "view_patient"
    EXPORT = "export"
    CHANGE_PRICE = "change_price"
    TAKE_OVER = "take_over"
    RELEASE = "release"
    SEND_MESSAGE = "send_message"
    IMPORT_PRICES = "import_prices"
    KEY_CHECK = "key_check"
    KEY_ROTATION = "key_rotation"
    # Staff changing an appointment from the calendar (appointments.admin).
    BOOK_APPOINTMENT = "book_appointment"
    MOVE_APPOINTMENT = "move_appointment"
    CANCEL_APPOINTMENT = "cancel_appointment"
    # Staff opening a patient's image or document, fetched from the gateway (conversations.admin).
    VIEW_MEDIA = "view_media"
    # A patient or staff member deleted a message for everyone: its text was erased, its row
    # kept (conversations.events).
    DELETE_MESSAGE = "delete_message"
    # Staff clearing a conversation's "needs attention" flag (conversations.admin).
    CLEAR_ATTENTION = "clear_attention"
    # Stage B joining a conversation kept under a patient's LID to their phone's: rows of one
    # patient record moved to another (conversations.services.patients).
    MERGE_CONVERSATION = "merge_conversation"


class AuditOutcome(models.TextChoices):
    SUCCESS = "success"
    FAILURE = "failure"
    DENIED = "denied"


class AuditEvent(models.Model):
    """One entry of the HIPAA audit log (45 CFR 164.312(b); the six AU-3 fields: what, when,
    where, source, outcome, who and which object).

    Tamper-evident: `mac` = HMAC-SHA256(HIPAA_AUDIT_KEY, prev_mac || canonical row), so editing,
    deleting or reordering a row breaks the chain (`manage.py verify_audit_log`), and `seq` is
    contiguous. Append only through `security.audit.audit_record`. On PostgreSQL a trigger
    rejects every UPDATE and DELETE on this table.

    Retention: entries are kept at least six years (45 CFR 164.316(b)(2)) and nothing prunes
    them: the trigger allows no DELETE at all. A future pruning job must be an explicit, audited
    migration that removes only entries older than six years and re-anchors the chain at a
    signed checkpoint.

    Never PHI here: `actor` is a staff username or "system" (never a patient), `object_id` is a
    database id, and `details` holds ids and counts, never message text or phone numbers.
    """

    seq = models.PositiveBigIntegerField(unique=True)
    at = models.DateTimeField()
    actor = models.CharField(max_length=150)
    action = models.CharField(max_length=40, choices=AuditAction.choices)
    object_type = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=AuditOutcome.choices)
    source_ip = models.CharField(max_length=45, blank=True)
    details = models.JSONField(default=dict, blank=True)
    prev_mac = models.CharField(max_length=64)
    mac = models.CharField(max_length=64)

    class Meta:
        ordering = ["-seq"]
        indexes = [models.Index(fields=["actor", "at"]), models.Index(fields=["action", "at"])]

    def __str__(self):
        return f"#{self.seq} {self.action} by {self.actor}"


class AuditHead(models.Model):
    """The chain head (one row, pk 1): appenders lock it with SELECT ... FOR UPDATE, which
    serialises them on PostgreSQL; on SQLite the unique `AuditEvent.seq` catches a race and the
    append is retried. It also lets `verify_audit_log` notice entries deleted from the end."""

    seq = models.PositiveBigIntegerField()
    mac = models.CharField(max_length=64)

    def __str__(self):
        return f"audit chain head at #{self.seq}"


class AuditCheckpoint(models.Model):
    """A signed statement "the chain had `seq` entries ending with `head_mac`" (RSA-PSS SHA-256
    under PHI_RSA_PRIVATE_KEY), written by the periodic task `security.tasks.audit_checkpoint`
    and logged, so a copy lives outside the database. Append-only like `AuditEvent`."""

    at = models.DateTimeField()
    seq = models.PositiveBigIntegerField(unique=True)
    head_mac = models.CharField(max_length=64)
    key_fingerprint = models.CharField(max_length=64)
    signature = models.TextField()

    class Meta:
        ordering = ["-seq"]

    def __str__(self):
        return f"checkpoint at #{self.seq}"
