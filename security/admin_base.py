"""Admin base classes other apps' admins build on (the admin modules themselves are entry points,
registered by Django, that no module imports)."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    # The log grows for years: no full COUNT(*) on every list page.
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
