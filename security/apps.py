from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SecurityConfig(AppConfig):
    name = "security"
    verbose_name = _("Security and audit")

    def ready(self):
        # Registers the key checks (security.E001-E003) and the sign-in audit receivers.
        from security import checks, signals  # noqa: F401
