"""A clinic's staff-notification settings: loaded from the clinic file's `staff_notify` (bad
values refused naming the field), edited in the admin (scoped to the user's clinics), and their
quiet hours read in the clinic's timezone, across midnight."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission

from conftest import import_clinic_data, load_demo_clinic_data
from conversations.clinic_file import ClinicFileError, parse_clinic_file
from notifications.models import StaffNotification, StaffNotify

pytestmark = pytest.mark.django_db
MOSCOW = ZoneInfo("Europe/Moscow")
STAFF_NOTIFY = {
    "whatsapp": ["+972500000999"],
    "email": ["desk@example.com"],
    "quiet_hours": "22:00-07:00",
    "on": ["urgent", "handoff"],
}


def test_the_clinic_file_sets_who_is_told_of_what():
    clinic = import_clinic_data(load_demo_clinic_data() | {"staff_notify": STAFF_NOTIFY})
    settings = StaffNotify.objects.get(clinic=clinic)
    assert (settings.whatsapp, settings.email) == (["+972500000999"], ["desk@example.com"])
    assert (settings.quiet_hours, settings.on) == ("22:00-07:00", ["urgent", "handoff"])
    # A file without the field leaves what staff set in the admin.
    import_clinic_data(load_demo_clinic_data())
    assert StaffNotify.objects.get(clinic=clinic).on == ["urgent", "handoff"]


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("quiet_hours", "22:00-25:00"),
        ("quiet_hours", "07:00-07:00"),
        ("on", ["handoff", "birthday"]),
        ("email", ["not an address"]),
        ("whatsapp", ["call me"]),
    ],
)
def test_a_bad_value_is_refused_naming_its_field(field, value):
    data = load_demo_clinic_data() | {"staff_notify": STAFF_NOTIFY | {field: value}}
    with pytest.raises(ClinicFileError, match=rf"^staff_notify\.{field}"):
        parse_clinic_file(data)


def test_quiet_hours_cross_midnight_in_the_clinic_timezone(clinic):
    settings = StaffNotify(clinic=clinic, quiet_hours="22:00-07:00")
    assert settings.quiet_at(datetime(2026, 12, 7, 23, 30, tzinfo=MOSCOW))
    assert settings.quiet_at(datetime(2026, 12, 7, 6, 59, tzinfo=MOSCOW))
    assert not settings.quiet_at(datetime(2026, 12, 7, 7, 0, tzinfo=MOSCOW))
    assert not settings.quiet_at(datetime(2026, 12, 7, 18, 0, tzinfo=ZoneInfo("UTC")))  # 21:00
    assert settings.quiet_at(datetime(2026, 12, 7, 19, 0, tzinfo=ZoneInfo("UTC")))  # 22:00
    assert not StaffNotify(clinic=clinic).quiet_at(datetime(2026, 12, 7, 3, 0, tzinfo=MOSCOW))


def test_an_urgent_hand_off_reaches_staff_who_asked_for_every_hand_off(clinic):
    assert StaffNotify(clinic=clinic, on=["handoff"]).notifies("urgent")
    assert not StaffNotify(clinic=clinic, on=["cancel_request"]).notifies("urgent")
    assert not StaffNotify(clinic=clinic, on=["urgent"]).notifies("handoff")


@pytest.fixture
def alice(client, clinic_staff):
    clinic_staff.user_permissions.add(
        *Permission.objects.filter(content_type__app_label="notifications")
    )
    client.force_login(clinic_staff)
    return clinic_staff


def test_staff_see_only_their_own_clinics_notifications(client, clinic, other_clinic, alice):
    for n, where in enumerate([clinic, other_clinic, other_clinic]):
        StaffNotification.objects.create(clinic=where, kind="handoff", dedupe_key=f"handoff:{n}")
    page = client.get("/admin/notifications/staffnotification/")
    assert page.status_code == 200
    assert page.context["cl"].result_count == 1
    theirs = StaffNotification.objects.filter(clinic=other_clinic).first()
    elsewhere = client.get(f"/admin/notifications/staffnotification/{theirs.pk}/change/")
    assert elsewhere.status_code in (302, 404)  # "not found": back to the list


def test_the_admin_refuses_bad_quiet_hours(client, clinic, alice):
    page = client.post(
        "/admin/notifications/staffnotify/add/",
        {
            "clinic": clinic.pk,
            "whatsapp": '["+972500000999"]',
            "email": "[]",
            "quiet_hours": "late",
            "on": ["handoff"],
        },
    )
    assert page.status_code == 200  # the form again, with the error
    assert page.context["adminform"].form.errors == {
        "quiet_hours": ["'late' is not a span like '22:00-07:00'"]
    }
    assert not StaffNotify.objects.exists()
    page = client.post(
        "/admin/notifications/staffnotify/add/",
        {
            "clinic": clinic.pk,
            "whatsapp": '["+972500000999"]',
            "email": "[]",
            "quiet_hours": "22:00-07:00",
            "on": ["handoff", "urgent"],
        },
    )
    assert page.status_code == 302
    assert StaffNotify.objects.get().on == ["handoff", "urgent"]


def test_the_notifications_email_has_an_smtp_timeout():
    # Django's SMTP backend waits forever without it (notifications.services._email).
    from django.conf import settings

    assert settings.EMAIL_TIMEOUT == 10.0
