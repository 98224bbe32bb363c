from django import forms
from django.contrib import admin, messages
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from conversations.staff_scope import ClinicScopedAdmin
from followups.models import FollowUp
from followups.services import (
    FollowUpRefused,
    followup_cancel,
    followup_check,
    followup_retry,
    followup_schedule,
    refresh_next_due,
)


class FollowUpForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        conversation, kind = cleaned.get("conversation"), cleaned.get("kind")
        scheduling = self.instance._state.adding or {"conversation", "kind"} & {*self.changed_data}
        if conversation is not None and kind and scheduling:
            try:
                followup_check(conversation=conversation, kind=kind)
            except FollowUpRefused as refused:
                raise forms.ValidationError(
                    _("Not scheduled: %(reason)s.") % {"reason": refused}
                ) from None
        return cleaned


@admin.register(FollowUp)
class FollowUpAdmin(ClinicScopedAdmin):
    form = FollowUpForm
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

    @admin.display(description=_("clinic"), ordering="conversation__clinic__name")
    def clinic(self, followup):
        return followup.conversation.clinic

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            refresh_next_due(conversation=obj.conversation)
            return
        # Added by staff is scheduled like any other follow-up: the service's key, so the same
        # one added twice is one row, and its rules (checked on the form above as well).
        asked_at = timezone.now()
        scheduled = followup_schedule(
            conversation=obj.conversation, kind=obj.kind, due_at=obj.due_at, context=obj.context
        )
        if scheduled.created_at < asked_at:
            self.message_user(
                request,
                _(
                    "This follow-up was scheduled already (#%(id)s, %(status)s); "
                    "nothing new was added."
                )
                % {"id": scheduled.pk, "status": scheduled.get_status_display()},
                messages.WARNING,
            )
        for model_field in obj._meta.concrete_fields:
            setattr(obj, model_field.attname, getattr(scheduled, model_field.attname))
        obj._state.adding = False

    @admin.action(description=_("Cancel the selected pending follow-ups"))
    def cancel_selected(self, request, queryset):
        done = sum(followup_cancel(followup=f) for f in queryset.select_related("conversation"))
        cancelled = ngettext(
            "%(count)d follow-up cancelled.", "%(count)d follow-ups cancelled.", done
        )
        self.message_user(request, cancelled % {"count": done}, messages.SUCCESS)

    @admin.action(description=_("Send the selected failed or expired follow-ups again"))
    def retry_selected(self, request, queryset):
        done = sum(followup_retry(followup=f) for f in queryset.select_related("conversation"))
        again = ngettext(
            "%(count)d follow-up will be sent again.",
            "%(count)d follow-ups will be sent again.",
            done,
        )
        self.message_user(request, again % {"count": done}, messages.SUCCESS)
