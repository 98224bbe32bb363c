"""The calendar's rows in the admin: providers, closures and booking rules come from the clinic
file and are shown here; appointments are read here (with their history) and changed through
appointments.services, never by editing a row, so that a change keeps the calendar's rules."""

from django.contrib import admin

from appointments.models import Appointment, AppointmentChange, BookingRules, Closure, Provider
from conversations.staff_scope import ClinicScopedAdmin


class ReadOnlyScopedAdmin(ClinicScopedAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Provider)
class ProviderAdmin(ReadOnlyScopedAdmin):
    list_display = ["code", "__str__", "clinic", "services", "active"]
    list_filter = ["active", ("clinic", admin.RelatedOnlyFieldListFilter)]


@admin.register(Closure)
class ClosureAdmin(ReadOnlyScopedAdmin):
    list_display = ["first_day", "last_day", "provider", "clinic", "reason"]
    list_filter = [("clinic", admin.RelatedOnlyFieldListFilter)]


@admin.register(BookingRules)
class BookingRulesAdmin(ReadOnlyScopedAdmin):
    list_display = [
        "clinic",
        "min_notice_minutes",
        "horizon_days",
        "slot_step_minutes",
        "reminders_before_minutes",
    ]


class ChangeInline(admin.TabularInline):
    model = AppointmentChange
    extra = 0
    can_delete = False
    fields = readonly_fields = [
        "at",
        "action",
        "actor",
        "old_status",
        "new_status",
        "old_starts_at",
        "new_starts_at",
    ]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Appointment)
class AppointmentAdmin(ReadOnlyScopedAdmin):
    list_display = ["starts_at", "ends_at", "provider", "service", "status", "source", "clinic"]
    list_filter = ["status", "source", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["provider", "service", "clinic"]
    date_hierarchy = "starts_at"
    raw_id_fields = ["conversation"]
    inlines = [ChangeInline]
