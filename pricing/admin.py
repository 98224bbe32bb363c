from django.contrib import admin

from conversations.staff_scope import ClinicScopedAdmin
from pricing.models import Service
from security.audit import audit_record
from security.signals import source_ip


@admin.register(Service)
class ServiceAdmin(ClinicScopedAdmin):
    list_display = [
        "code",
        "clinic",
        "english_name",
        "price",
        "currency",
        "duration_minutes",
        "active",
    ]
    list_filter = ["active", "currency", ("clinic", admin.RelatedOnlyFieldListFilter)]
    list_editable = ["price", "active"]
    list_select_related = ["clinic"]
    search_fields = ["code", "names", "aliases"]
    raw_id_fields = ["clinic"]

    @admin.display(description="name")
    def english_name(self, service):
        return service.display_name("en")

    def save_model(self, request, obj, form, change):
        # The change page and the list's editable column both save through here.
        old_price = form.initial.get("price") if change else None
        super().save_model(request, obj, form, change)
        if change and "price" in form.changed_data:
            audit_record(
                actor=request.user.get_username(),
                action="change_price",
                object_type="service",
                object_id=str(obj.pk),
                source_ip=source_ip(request),
                details={
                    "code": obj.code,
                    "old_price": None if old_price is None else str(old_price),
                    "new_price": str(obj.price),
                },
            )
