"""System checks that refuse a production start (DEBUG false) with a missing secret.

`manage.py check`, `migrate` and `runserver` run them by Django's own rules; the ASGI/WSGI
applications and the Celery app call `refuse_start_on_errors()` because uvicorn, gunicorn and
Celery would otherwise never run them.
"""

import re

from django.conf import settings
from django.core import checks
from django.core.management.base import SystemCheckError

# What a path segment carries as it is: anything else would have to be percent-encoded.
URL_SAFE = re.compile(r"[A-Za-z0-9._~-]+")


@checks.register(checks.Tags.security, deploy=False)
def check_production_secrets(app_configs=None, **kwargs):
    if settings.DEBUG:
        return []
    errors = []
    if not settings.SECRET_KEY_FROM_ENV:
        errors.append(
            checks.Error("SECRET_KEY is not set.", hint="Set SECRET_KEY.", id="clinicbot.E001")
        )
    if not settings.ALLOWED_HOSTS:
        errors.append(
            checks.Error(
                "ALLOWED_HOSTS is empty.",
                hint="Set ALLOWED_HOSTS to the host names clinicbot is served on.",
                id="clinicbot.E002",
            )
        )
    if not settings.EVOLUTION_WEBHOOK_SECRET:
        errors.append(
            checks.Error(
                "EVOLUTION_WEBHOOK_SECRET is not set; every webhook would be refused.",
                hint="Set it, and the same value in Evolution's webhook.headers X-Webhook-Secret.",
                id="clinicbot.E003",
            )
        )
    elif not URL_SAFE.fullmatch(settings.EVOLUTION_WEBHOOK_SECRET):
        errors.append(
            checks.Warning(
                "EVOLUTION_WEBHOOK_SECRET holds characters that are not URL-safe: it cannot be "
                "used in the webhook's path (/webhooks/evolution/t/<secret>), and the logs would "
                "redact only part of such a path.",
                hint="Use letters, digits, '-', '_' and '.' only, e.g. `openssl rand -hex 32`.",
                id="clinicbot.W004",
            )
        )
    return errors


def refuse_start_on_errors():
    """Raise SystemCheckError, naming each problem, when any check reports an error."""
    problems = [m for m in checks.run_checks() if m.is_serious() and not m.is_silenced()]
    if problems:
        raise SystemCheckError(
            "clinicbot refuses to start:\n" + "\n".join(f"  {m.id}: {m.msg}" for m in problems)
        )
