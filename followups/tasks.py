from celery import shared_task
from django.db import InterfaceError, OperationalError

from followups.dispatch import followups_dispatch


@shared_task(
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=5,
)
def followups_send_due() -> dict:
    """Send every due follow-up (Celery beat runs this every minute)."""
    return followups_dispatch().as_dict()
