"""The audit log in the admin: readable by staff with the view permission, changeable by nobody
(no add, change or delete; on PostgreSQL a trigger refuses UPDATE and DELETE anyway)."""

from django.contrib import admin

from security.admin_base import ReadOnlyAdmin
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


@admin.register(AuditCheckpoint)
class AuditCheckpointAdmin(ReadOnlyAdmin):
    list_display = ["seq", "at", "head_mac", "key_fingerprint"]
    ordering = ["-seq"]
    readonly_fields = [field.name for field in AuditCheckpoint._meta.fields]
