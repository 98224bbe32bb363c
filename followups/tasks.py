from celery import shared_task
from django.db import InterfaceError, OperationalError

from clinicbot.runtime.breaker import CircuitOpen, database_breaker
from followups.dispatch import followups_dispatch


@shared_task(
    autoretry_for=(OperationalError, InterfaceError, CircuitOpen),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=5,
)
def followups_send_due() -> dict:
    """Send every due follow-up (Celery beat runs this every minute)."""
    with database_breaker.guard():
        return followups_dispatch().as_dict()
