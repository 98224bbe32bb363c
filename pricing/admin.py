from django.contrib import admin

from pricing.models import Service


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "code",
        "clinic",
        "english_name",
        "price",
        "currency",
        "duration_minutes",
        "active",
    ]
    list_filter = ["active", "currency", "clinic"]
    list_editable = ["price", "active"]
    list_select_related = ["clinic"]
    search_fields = ["code", "names", "aliases"]
    raw_id_fields = ["clinic"]

    @admin.display(description="name")
    def english_name(self, service):
        return service.display_name("en")
