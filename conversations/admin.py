from django.contrib import admin

from conversations.models import Clinic, ConversationSession, LLMModel, Message, MessageMetric
from conversations.phones import mask_phone
from conversations.services import conversation_set_control


@admin.register(Clinic)
class ClinicAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "whatsapp_instance", "default_language", "timezone"]
    list_filter = ["default_language"]
    search_fields = ["name", "slug", "whatsapp_instance", "external_org_id"]
    readonly_fields = ["created_at", "updated_at"]


@admin.register(ConversationSession)
class ConversationSessionAdmin(admin.ModelAdmin):
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
    list_filter = ["control", "status", "language", "clinic"]
    list_select_related = ["clinic"]
    search_fields = ["patient_name"]
    ordering = ["-last_inbound_at"]
    raw_id_fields = ["clinic"]
    readonly_fields = ["created_at", "updated_at", "last_inbound_at", "last_outbound_at"]

    actions = ["take_over", "release_to_bot"]

    @admin.display(description="patient")
    def masked_phone(self, session):
        return mask_phone(session.patient_phone)

    @admin.action(description="Take over: the bot stays silent in these conversations")
    def take_over(self, request, queryset):
        self._set_control(request, queryset, ConversationSession.Control.STAFF)

    @admin.action(description="Release to the bot")
    def release_to_bot(self, request, queryset):
        self._set_control(request, queryset, ConversationSession.Control.BOT)

    def _set_control(self, request, queryset, control):
        sessions = list(queryset.select_related("clinic"))
        for session in sessions:
            conversation_set_control(session=session, control=control)
        self.message_user(request, f"{len(sessions)} conversation(s): {control} in control.")


@admin.register(Message)
class MessageAdmin(admin.ModelAdmin):
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
    list_filter = ["direction", "lane", "intent", "delivery_status", "clinic"]
    list_select_related = ["clinic"]
    raw_id_fields = ["clinic", "session", "reply_to"]
    readonly_fields = ["created_at"]
    date_hierarchy = "received_at"


@admin.register(MessageMetric)
class MessageMetricAdmin(admin.ModelAdmin):
    list_display = ["message_id", "clinic", "lane", "intent", "total_ms", "send_ms", "created_at"]
    list_filter = ["lane", "intent", "clinic"]
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
