"""Per-clinic staff in the admin: a staff user sees only the clinics they are assigned to
(`Clinic.staff`) and those clinics' rows; a superuser sees everything.

`ClinicScopedAdmin` filters a ModelAdmin's list, change pages and actions (all go through
`get_queryset`: another clinic's object is "not found"), and the choices of its foreign keys.
"""

from django.contrib import admin
from django.db.models import QuerySet

# How each clinic-scoped model reaches its clinic ("" for the clinic itself).
CLINIC_PATHS = {
    "conversations.clinic": "",
    "conversations.conversationsession": "clinic",
    "conversations.message": "clinic",
    "conversations.messagemetric": "clinic",
    "pricing.service": "clinic",
    "pricing.pricechange": "clinic",
    "followups.followup": "conversation__clinic",
    "appointments.appointment": "clinic",
    "appointments.provider": "clinic",
    "appointments.closure": "clinic",
    "appointments.bookingrules": "clinic",
    "knowledge.replytext": "clinic",
    "knowledge.faqentry": "clinic",
    "knowledge.clinicfacts": "clinic",
    "notifications.staffnotify": "clinic",
    "notifications.staffnotification": "clinic",
}


def sees_every_clinic(user) -> bool:
    return user.is_active and user.is_superuser


def scoped(queryset: QuerySet, user) -> QuerySet:
    """`queryset` limited to the clinics `user` works for; unchanged for a superuser or a model
    that belongs to no clinic."""
    path = CLINIC_PATHS.get(queryset.model._meta.label_lower)
    if path is None or sees_every_clinic(user):
        return queryset
    if not user.is_authenticated:
        return queryset.none()
    # One row per (clinic, user) pair in the assignment table: the join adds no duplicates.
    return queryset.filter(**{f"{path}__staff" if path else "staff": user})


class ClinicScopedAdmin(admin.ModelAdmin):
    def get_queryset(self, request):
        return scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        related = db_field.remote_field.model
        if "queryset" not in kwargs and related._meta.label_lower in CLINIC_PATHS:
            kwargs["queryset"] = scoped(related._default_manager.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)
