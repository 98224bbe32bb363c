import logging

from django.apps import AppConfig
from django.conf import settings

logger = logging.getLogger("clinicbot")


class ClinicbotConfig(AppConfig):
    name = "clinicbot"
    verbose_name = "clinicbot"

    def ready(self):
        from clinicbot import checks  # noqa: F401  (registers the system checks)
        from clinicbot.labels import derived_names_translate

        derived_names_translate()

        if settings.EMBEDDED:
            logger.warning(
                "clinicbot is running embedded: SQLite database, in-process cache, tasks run "
                "inline. Set DATABASE_URL and REDIS_URL for Postgres, Redis and Celery."
            )
