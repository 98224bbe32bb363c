"""The admin: clinics, conversations, messages, metrics and LLM models.

PHI: phones, names and message texts are encrypted at rest and shown decrypted only on a change
page, whose every opening is audited (security.audit); lists show masked phones. A staff user
sees only their clinics (conversations.staff_scope).
"""

import re

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError

from conversations.models import (
    Clinic,
    ConversationSession,
    LLMModel,
    Message,
    MessageMetric,
    phone_index_candidates,
)
from conversations.phones import mask_phone
from conversations.services import conversation_set_control
from conversations.staff_scope import ClinicScopedAdmin, sees_every_clinic
from security.audit import audit_record
from security.signals import source_ip

# A search term that is a phone number: digits with the usual separators, at least 6 digits.
PHONE_TERM = re.compile(r"\+?[\d\s().-]+(@s\.whatsapp\.net)?")
MIN_PHONE_DIGITS = 6


def looks_like_phone(term: str) -> bool:
    return bool(PHONE_TERM.fullmatch(term)) and sum(c.isdigit() for c in term) >= MIN_PHONE_DIGITS


def audit_admin(
    request, *, action: str, object_type: str, object_id, outcome: str = "success"
) -> None:
    audit_record(
        actor=request.user.get_username(),
        action=action,
        object_type=object_type,
        object_id=str(object_id)[:64],
        outcome=outcome,
        source_ip=source_ip(request),
    )


class AuditedViewAdmin(ClinicScopedAdmin):
    """Opening an object's change page (where PHI is shown decrypted) writes `audit_action`."""

    audit_action = ""
    audit_object_type = ""

    def change_view(self, request, object_id, form_url="", extra_context=None):
        obj = self.get_object(request, unquote(object_id))
        if obj is not None and self.has_view_or_change_permission(request, obj):
            audit_admin(
                request,
                action=self.audit_action,
                object_type=self.audit_object_type,
                object_id=obj.pk,
            )
        elif obj is None and self._exists_elsewhere(unquote(object_id)):
            # Another clinic's object: "not found" for the user, a denied access in the log.
            audit_admin(
                request,
                action=self.audit_action,
                object_type=self.audit_object_type,
                object_id=unquote(object_id),
                outcome="denied",
            )
        return super().change_view(request, object_id, form_url, extra_context)

    def _exists_elsewhere(self, object_id: str) -> bool:
        try:
            return self.model._default_manager.filter(pk=object_id).exists()
        except (ValueError, ValidationError):
            return False


@admin.register(Clinic)
class ClinicAdmin(ClinicScopedAdmin):
    list_display = ["name", "slug", "whatsapp_instance", "default_language", "timezone"]
    list_filter = ["default_language"]
    search_fields = ["name", "slug", "whatsapp_instance", "external_org_id"]
    readonly_fields = ["created_at", "updated_at"]
    filter_horizontal = ["staff"]

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        # Only a superuser assigns staff to clinics.
        return readonly if sees_every_clinic(request.user) else [*readonly, "staff"]


@admin.register(ConversationSession)
class ConversationSessionAdmin(AuditedViewAdmin):
    audit_action = "view_conversation"
    audit_object_type = "conversation"
    list_display = [
        "id",
        "clinic",
        "masked_phone",
        "patient_name",
        "language",
        "control",
        "status",
        "last_inbound_at",
    ]
    list_filter = ["control", "status", "language", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    # Encrypted columns cannot be searched: a phone number is found through its blind index
    # (get_search_results); nothing else is searchable.
    search_fields = ["patient_phone_index"]
    search_help_text = "A patient's phone number, in any format."
    ordering = ["-last_inbound_at"]
    raw_id_fields = ["clinic"]
    exclude = ["patient_phone_index"]
    readonly_fields = ["created_at", "updated_at", "last_inbound_at", "last_outbound_at"]

    actions = ["take_over", "release_to_bot"]

    @admin.display(description="patient")
    def masked_phone(self, session):
        return mask_phone(session.patient_phone)

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        if looks_like_phone(term):
            return queryset.filter(patient_phone_index__in=phone_index_candidates(term)), False
        return queryset.none(), False

    @admin.action(description="Take over: the bot stays silent in these conversations")
    def take_over(self, request, queryset):
        self._set_control(request, queryset, ConversationSession.Control.STAFF)

    @admin.action(description="Release to the bot")
    def release_to_bot(self, request, queryset):
        self._set_control(request, queryset, ConversationSession.Control.BOT)

    def _set_control(self, request, queryset, control):
        sessions = list(queryset.select_related("clinic"))
        action = "take_over" if control == ConversationSession.Control.STAFF else "release"
        for session in sessions:
            conversation_set_control(session=session, control=control)
            audit_admin(request, action=action, object_type="conversation", object_id=session.pk)
        self.message_user(request, f"{len(sessions)} conversation(s): {control} in control.")


@admin.register(Message)
class MessageAdmin(AuditedViewAdmin):
    audit_action = "view_message"
    audit_object_type = "message"

    list_display = [
        "id",
        "clinic",
        "session_id",
        "direction",
        "intent",
        "lane",
        "delivery_status",
        "received_at",
    ]
    list_filter = [
        "direction",
        "lane",
        "intent",
        "delivery_status",
        ("clinic", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["clinic"]
    raw_id_fields = ["clinic", "session", "reply_to"]
    readonly_fields = ["created_at"]
    date_hierarchy = "received_at"


@admin.register(MessageMetric)
class MessageMetricAdmin(ClinicScopedAdmin):
    list_display = ["message_id", "clinic", "lane", "intent", "total_ms", "send_ms", "created_at"]
    list_filter = ["lane", "intent", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["clinic"]
    raw_id_fields = ["message", "clinic"]
    date_hierarchy = "created_at"


@admin.register(LLMModel)
class LLMModelAdmin(admin.ModelAdmin):
    """Model capabilities. The measured figures may stay empty; workers see an edit within a
    minute (conversations.llm.capabilities caches the rows for 60 s)."""

    list_display = [
        "name",
        "provider",
        "active",
        "rank",
        "supports_tools",
        "supports_streaming",
        "context_window",
        "max_output_tokens",
        "p95_latency_ms",
    ]
    list_editable = ["active", "rank"]
    list_filter = ["active", "provider", "supports_tools", "supports_streaming"]
    search_fields = ["name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["provider", "name", "active", "rank"]}),
        (
            "Capabilities",
            {
                "fields": [
                    "context_window",
                    "max_output_tokens",
                    "supports_tools",
                    "supports_streaming",
                ]
            },
        ),
        (
            "Prices per million tokens",
            {"fields": ["input_price_per_mtok", "output_price_per_mtok"]},
        ),
        (
            "Measured (optional)",
            {"fields": ["avg_output_tokens_per_s", "avg_ttft_ms", "p95_latency_ms"]},
        ),
        (None, {"fields": ["created_at", "updated_at"]}),
    ]
