"""Sending staff notifications, in Celery, never on the webhook's path. Tasks take ids only
(never a phone or a text) and are safe to run twice: a notification is sent by the run that
claims it (notifications.services). An entry point: nothing imports this module (the services
enqueue the send by name)."""

from celery import shared_task

from notifications import services
from notifications.services import NOTIFICATION_SEND


@shared_task(name=NOTIFICATION_SEND)
def notification_send(notification_id: int) -> bool:
    """Send notification `notification_id` unless another run claimed it."""
    return services.notification_send(notification_id=notification_id)


@shared_task(name="notifications.tasks.notifications_digest")
def notifications_digest() -> int:
    """Every minute (beat): the digests of quiet hours just over, and the sweep of sends lost
    on their way (a failed publish, a worker that died mid-send)."""
    services.notifications_sweep()
    return services.digests_send()
