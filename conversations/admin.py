from django.contrib import admin

from conversations.models import Clinic, ConversationSession, Message, MessageMetric
from conversations.phones import mask_phone


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

    @admin.display(description="patient")
    def masked_phone(self, session):
        return mask_phone(session.patient_phone)


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
