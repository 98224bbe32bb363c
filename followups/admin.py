from django.contrib import admin, messages

from conversations.staff_scope import ClinicScopedAdmin
from followups.models import FollowUp
from followups.services import followup_cancel, followup_retry, refresh_next_due


@admin.register(FollowUp)
class FollowUpAdmin(ClinicScopedAdmin):
    list_display = [
        "id",
        "kind",
        "status",
        "due_at",
        "conversation_id",
        "clinic",
        "attempts",
        "sent_at",
        "response",
        "reason",
    ]
    list_filter = [
        "status",
        "kind",
        "response",
        ("conversation__clinic", admin.RelatedOnlyFieldListFilter),
    ]
    list_select_related = ["conversation__clinic"]
    raw_id_fields = ["conversation"]
    date_hierarchy = "due_at"
    ordering = ["due_at"]
    exclude = ["idempotency_key"]
    readonly_fields = [
        "status",
        "attempts",
        "claimed_at",
        "sent_at",
        "reason",
        "gateway_id",
        "response",
        "responded_at",
        "created_at",
        "updated_at",
    ]
    actions = ["cancel_selected", "retry_selected"]

    @admin.display(description="clinic", ordering="conversation__clinic__name")
    def clinic(self, followup):
        return followup.conversation.clinic

    def save_model(self, request, obj, form, change):
        if not obj.idempotency_key:
            obj.idempotency_key = f"{obj.conversation_id}:{obj.kind}:{obj.due_at.isoformat()}"
        super().save_model(request, obj, form, change)
        refresh_next_due(conversation=obj.conversation)

    @admin.action(description="Cancel the selected pending follow-ups")
    def cancel_selected(self, request, queryset):
        done = sum(followup_cancel(followup=f) for f in queryset.select_related("conversation"))
        self.message_user(request, f"{done} follow-up(s) cancelled.", messages.SUCCESS)

    @admin.action(description="Send the selected failed or expired follow-ups again")
    def retry_selected(self, request, queryset):
        done = sum(followup_retry(followup=f) for f in queryset.select_related("conversation"))
        self.message_user(request, f"{done} follow-up(s) will be sent again.", messages.SUCCESS)
