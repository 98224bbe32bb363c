"""Staff notifications in the staff member's language: the app's and models' names, the events
and states (choices) and the settings form's help text."""

import pytest
from django.contrib.auth.models import Permission

from notifications.models import StaffNotification

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("compiled_catalogs")]


@pytest.fixture
def staff_client(client, clinic_staff):
    clinic_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="notifications")
    )
    client.force_login(clinic_staff)
    return client


def test_the_notifications_list_speaks_hebrew(staff_client, clinic):
    StaffNotification.objects.create(
        clinic=clinic, kind="cancel_request", dedupe_key="cancel:1", state="held"
    )
    listing = staff_client.get(
        "/admin/notifications/staffnotification/", headers={"Accept-Language": "he"}
    ).content.decode()
    assert "התראות לצוות" in listing  # the app and the model
    assert "בקשה לבטל או לשנות מועד" in listing  # the event, a choice
    assert "מוחזק לסיכום" in listing  # its state, a choice


def test_the_settings_form_speaks_ukrainian(staff_client, clinic):
    form = staff_client.get(
        "/admin/notifications/staffnotify/add/", headers={"Accept-Language": "uk"}
    ).content.decode()
    assert "налаштування сповіщень персоналу" in form  # the model
    assert "термінова передача персоналу" in form  # an event to tick, a choice
    assert "Термінова передача персоналу — теж передача" in form  # the form's own help text
    assert "тихі години" in form.lower()  # a derived field name
