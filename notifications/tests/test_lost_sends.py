"""What happens to a notification whose send was interrupted: a task lost before it ran (a
failed publish) is asked for again by the minute sweep and sent once; a run that died after
claiming the row is never repeated (the gateway may have delivered it), and the sweep marks the
row failed for staff to see."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from notifications import services
from notifications.models import StaffNotification
from notifications.services import StaffEvent, staff_events_record
from notifications.tasks import notification_send, notifications_digest
from notifications.tests.conftest import staff_sends

pytestmark = pytest.mark.django_db(transaction=True)


def cancel_request(clinic, key: str) -> StaffNotification:
    staff_events_record(events=[StaffEvent(clinic.pk, "cancel_request", key, timezone.now(), None)])
    return StaffNotification.objects.get(dedupe_key=f"cancel_request:{key}")


def test_a_notification_whose_task_was_lost_is_sent_by_the_sweep_once(
    clinic, on_duty, gateway, mailoutbox, monkeypatch, eager_tasks
):
    monkeypatch.setattr(services, "_enqueue", lambda pk: None)  # the publish is lost
    notification = cancel_request(clinic, "LOST-1")
    assert notification.state == "pending" and staff_sends(gateway) == []
    monkeypatch.undo()
    notifications_digest()  # too soon: its task may still be on its way
    assert staff_sends(gateway) == []
    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        notifications_digest()
        notifications_digest()
    notification.refresh_from_db()
    assert notification.state == "sent"
    assert len(staff_sends(gateway)) == 2 and len(mailoutbox) == 1


def test_a_send_interrupted_after_its_claim_is_never_repeated(
    clinic, on_duty, gateway, mailoutbox, monkeypatch
):
    monkeypatch.setattr(services, "_enqueue", lambda pk: None)
    notification = cancel_request(clinic, "CRASH-1")
    # A worker claimed it and died mid-send (its claim is the only trace).
    StaffNotification.objects.filter(pk=notification.pk).update(
        state="sending", claimed_at=timezone.now()
    )
    assert notification_send(notification.pk) is False  # the task redelivered after the crash
    with time_machine.travel(timezone.now() + timedelta(minutes=11)):
        notifications_digest()
    notification.refresh_from_db()
    assert notification.state == "failed"
    assert "may have gone out" in notification.detail
    assert staff_sends(gateway) == [] and mailoutbox == []


def test_a_notification_the_gateway_refuses_is_recorded_failed(
    clinic, on_duty, gateway, mailoutbox, monkeypatch
):
    on_duty.email = []
    on_duty.save()
    monkeypatch.setattr(services, "_enqueue", lambda pk: None)
    notification = cancel_request(clinic, "REFUSED-1")
    gateway.fail(400, times=2)
    assert notification_send(notification.pk) is True
    notification.refresh_from_db()
    assert (notification.state, notification.detail) == ("failed", "whatsapp 0/2")
    assert notification_send(notification.pk) is False  # not tried again
