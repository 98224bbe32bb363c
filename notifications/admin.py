"""Staff notifications in the admin, scoped to the user's clinics like every clinic model: the
settings (who is told of what, quiet hours) and the notifications themselves, read-only."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from conversations.staff_scope import ClinicScopedAdmin
from notifications.models import Event, StaffNotification, StaffNotify


class StaffNotifyForm(forms.ModelForm):
    on = forms.MultipleChoiceField(
        choices=Event.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("An urgent hand-off is also a hand-off: 'hand-off' alone hears of it too."),
    )

    class Meta:
        model = StaffNotify
        fields = ["clinic", "whatsapp", "email", "quiet_hours", "on"]


@admin.register(StaffNotify)
class StaffNotifyAdmin(ClinicScopedAdmin):
    form = StaffNotifyForm
    list_display = ["clinic", "quiet_hours", "events"]
    list_select_related = ["clinic"]
    search_fields = ["clinic__name", "clinic__slug"]

    @admin.display(description=_("notify on"))
    def events(self, settings):
        return ", ".join(settings.on)


@admin.register(StaffNotification)
class StaffNotificationAdmin(ClinicScopedAdmin):
    list_display = ["created_at", "clinic", "kind", "urgent", "state", "conversation_id", "detail"]
    list_filter = ["state", "kind", "urgent"]
    list_select_related = ["clinic"]
    raw_id_fields = ["conversation"]
    date_hierarchy = "created_at"
    readonly_fields = [
        "clinic",
        "kind",
        "dedupe_key",
        "conversation",
        "urgent",
        "state",
        "detail",
        "created_at",
        "claimed_at",
        "sent_at",
    ]

    def has_add_permission(self, request):
        return False  # events create them

    def has_change_permission(self, request, obj=None):
        return False
