"""The audit log in the admin: readable by staff with the view permission, changeable by nobody
(no add, change or delete; on PostgreSQL a trigger refuses UPDATE and DELETE anyway).

A clinic's staff see the entries about their clinics (`details.clinic`, security.audit) and their
own sign-ins; a superuser sees every entry."""

from django.contrib import admin
from django.db.models import Q

from conversations.models import Clinic
from conversations.staff_scope import scoped, sees_every_clinic
from security.admin_base import ReadOnlyAdmin
from security.audit import CLINIC_DETAIL
from security.models import AuditCheckpoint, AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = [
        "seq",
        "at",
        "actor",
        "action",
        "outcome",
        "object_type",
        "object_id",
        "source_ip",
    ]
    list_filter = ["action", "outcome"]
    search_fields = ["=actor", "=object_id", "=source_ip"]
    ordering = ["-seq"]
    date_hierarchy = "at"
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def get_queryset(self, request):
        events = super().get_queryset(request)
        user = request.user
        if sees_every_clinic(user):
            return events
        clinic_ids = list(scoped(Clinic.objects.all(), user).values_list("pk", flat=True))
        about_their_clinics = Q(**{f"details__{CLINIC_DETAIL}__in": clinic_ids})
        # Their own entries too (sign-ins), but not one about another clinic: an attempt the
        # admin answered "not found" must not say, here, that the object exists and whose it is.
        their_own = Q(actor=user.get_username(), **{f"details__{CLINIC_DETAIL}__isnull": True})
        return events.filter(about_their_clinics | their_own)


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "head_mac", "key_fingerprint"]
    ordering = ["-seq"]
    readonly_fields = [field.name for field in AuditCheckpoint._meta.fields]
