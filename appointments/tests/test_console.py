"""The staff calendar in the admin: a day and a week per provider in the clinic's time, staff
booking, moving and cancelling through the calendar's service, a clash refused with its name and
nothing changed, the patient told once through the outbox, every change audited, another clinic's
staff kept out, and the patient's appointments on their conversation's page."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission

from appointments.models import Appointment, AppointmentChange, Provider
from appointments.notices import NOTICES, notice_text
from appointments.services import calendar
from appointments.slots import Slot
from appointments.tests.conftest import PATIENT, local
from conftest import STAFF_PASSWORD
from conversations.models import ConversationSession, Message
from conversations.services.staff_messages import staff_message_send, staff_message_token
from pricing.models import Service
from security.models import AuditEvent

CALENDAR = "/admin/appointments/appointment/calendar/"
BOOK = f"{CALENDAR}book/"
pytestmark = pytest.mark.usefixtures("clinic_clock", "no_cachalot")


def appointments_perms(*actions):
    return Permission.objects.filter(
        content_type__app_label="appointments",
        codename__in=[f"{action}_appointment" for action in actions],
    )


@pytest.fixture
def staff_client(client, clinic_staff):
    clinic_staff.user_permissions.add(*appointments_perms("view", "add", "change"))
    client.force_login(clinic_staff)
    return client


@pytest.fixture
def other_staff_client(client, other_clinic):
    """bob, staff of the other clinic, with the same rights as alice."""
    bob = get_user_model().objects.create_user("bob", password=STAFF_PASSWORD, is_staff=True)
    bob.user_permissions.add(*appointments_perms("view", "add", "change"))
    other_clinic.staff.add(bob)
    client.force_login(bob)
    return client


def booked(clinic, conversation, start, *, code="dr-ivanova", service="filling"):
    service = Service.objects.get(clinic=clinic, code=service)
    slot = Slot(code, start, start + timedelta(minutes=service.duration_minutes))
    return calendar.book(
        calendar=calendar.calendar_of(clinic), conversation=conversation, service=service, slot=slot
    )


def other_patient(clinic):
    return ConversationSession.objects.create(clinic=clinic, patient_phone="79005556677")


def book_form(clinic, conversation, start, *, code="dr-ivanova", service="filling", token=None):
    return {
        "book-conversation": conversation.pk,
        "book-service": Service.objects.get(clinic=clinic, code=service).pk,
        "book-provider": code,
        "book-day": start.date().isoformat(),
        "book-time": f"{start:%H:%M}",
        "book-token": token or staff_message_token(),
    }


def move_form(start, *, code="dr-ivanova", token=None):
    return {
        "move-provider": code,
        "move-day": start.date().isoformat(),
        "move-time": f"{start:%H:%M}",
        "move-token": token or staff_message_token(),
    }


def action_url(appointment, action):
    return f"/admin/appointments/appointment/{appointment.pk}/{action}/"


def notes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def audited(action):
    return list(AuditEvent.objects.filter(action=action).order_by("seq"))


def staff_sent(conversation):
    return list(Message.objects.filter(session=conversation, from_staff=True))


# --- the page --------------------------------------------------------------------------------
def test_a_day_shows_each_providers_hours_and_appointments_in_clinic_time_without_names(
    staff_client, clinic, conversation
):
    conversation.patient_name = "Anna Karenina"
    conversation.save()
    appointment = booked(clinic, conversation, local(8, 10))
    response = staff_client.get(CALENDAR, {"clinic": clinic.pk, "day": "2026-12-08"})
    assert response.status_code == 200
    columns = response.context["grid"].columns
    assert [(c.provider.code, c.hours) for c in columns] == [
        ("dr-ivanova", "09:00-18:00"),
        ("hyg-petrova", "10:00-19:00"),
    ]
    (block,) = columns[0].blocks
    assert block.appointment == appointment
    page = response.content.decode()
    # Moscow's 10:00 is 07:00 UTC: the block is drawn and labelled in the clinic's time.
    assert f"10:00–11:00 Filling · #{conversation.pk}" in page
    assert block.top == 90  # an hour below the first hour drawn, Dr Ivanova's 09:00
    assert "07:00–08:00" not in page
    # No patient is named, so looking is not PHI access: nothing is audited.
    assert "Anna" not in page and PATIENT[-4:] not in page
    assert not AuditEvent.objects.exclude(action="login").exists()


def test_a_week_is_one_providers_with_closures_and_days_off(staff_client, clinic):
    response = staff_client.get(
        CALENDAR,
        {"clinic": clinic.pk, "day": "2026-12-31", "span": "week", "provider": "hyg-petrova"},
    )
    columns = response.context["grid"].columns
    assert [c.day.isoformat() for c in columns][::6] == ["2026-12-28", "2027-01-03"]
    assert {c.provider.code for c in columns} == {"hyg-petrova"}
    assert [c.closed for c in columns] == [
        "",
        "",
        "",
        "New Year",
        "New Year",
        "New Year",
        "day off",
    ]
    assert columns[0].bands and not columns[3].bands


def test_the_appointment_list_links_to_the_calendar(staff_client):
    page = staff_client.get("/admin/appointments/appointment/").content.decode()
    assert f'href="{CALENDAR}"' in page


# --- booking ---------------------------------------------------------------------------------
# Notices are sent by tasks run inline in other threads, on their own connections: rows must be
# committed.
@pytest.mark.django_db(transaction=True)
def test_staff_book_and_the_patient_is_told_once_in_their_language(
    staff_client, clinic, conversation, clinic_staff, outbox, eager_tasks
):
    form = book_form(clinic, conversation, local(8, 10))
    first = staff_client.post(f"{BOOK}?clinic={clinic.pk}", form, follow=True)
    again = staff_client.post(f"{BOOK}?clinic={clinic.pk}", form, follow=True)  # a double click

    appointment = Appointment.objects.get()
    assert (appointment.status, appointment.source) == ("booked", "staff")
    assert (appointment.starts_at, appointment.provider.code) == (local(8, 10), "dr-ivanova")
    assert set(appointment.changes.values_list("actor", flat=True)) == {clinic_staff.pk}
    assert any("Booked: appointment" in note for note in notes(first))
    assert any("booked already" in note for note in notes(again))
    # The conversation has no language of its own: the clinic's (Russian).
    assert [(sent["number"], sent["text"]) for sent in outbox] == [
        (
            PATIENT,
            "Клиника записала вас: «Пломба», специалист: д-р Иванова, вторник, 8 декабря, "
            "10:00. Перед визитом пришлём напоминание.",
        )
    ]
    conversation.refresh_from_db()
    assert conversation.control == "bot"  # a notice leaves the bot in charge
    (event,) = audited("book_appointment")
    assert (event.actor, event.object_id, event.outcome) == (
        "alice",
        str(appointment.pk),
        "success",
    )
    assert event.details == {"conversation": conversation.pk, "clinic": conversation.clinic_id}


def test_a_clash_is_refused_naming_the_appointment_and_nothing_changes(
    staff_client, clinic, conversation
):
    taken = booked(clinic, conversation, local(8, 10))
    someone = other_patient(clinic)
    response = staff_client.post(
        f"{BOOK}?clinic={clinic.pk}&day=2026-12-08", book_form(clinic, someone, local(8, 10, 30))
    )
    assert response.status_code == 200
    (note,) = notes(response)
    assert note == (
        f"Not booked: Tue 8 Dec 10:30–11:30 clashes with appointment #{taken.pk} of Dr Ivanova "
        f"(Filling, Tue 8 Dec 10:00–11:00, conversation #{conversation.pk}, booked). "
        "Nothing was changed."
    )
    assert list(Appointment.objects.all()) == [taken]
    assert not staff_sent(someone)
    (event,) = audited("book_appointment")
    assert event.outcome == "failure"
    # The form comes back as it was filled, to pick another time.
    assert response.context["book_form"]["time"].value() == "10:30"


@pytest.mark.parametrize(
    ("code", "service", "start", "why"),
    [
        (
            "dr-ivanova",
            "filling",
            local(8, 17, 30),
            "Dr Ivanova does not work Tue 8 Dec 17:30–18:30 (hours: 09:00-18:00)",
        ),
        ("hyg-petrova", "filling", local(8, 12), "hygienist Petrova does not do Filling"),
        (
            "dr-ivanova",
            "filling",
            local(31, 12),
            "nobody sees patients with Dr Ivanova on Thu 31 Dec (New Year)",
        ),
        ("dr-ivanova", "filling", local(7, 8), "Mon 7 Dec 08:00–09:00 has passed"),
    ],
)
def test_a_time_the_clinic_file_does_not_allow_is_refused(
    staff_client, clinic, conversation, code, service, start, why
):
    form = book_form(clinic, conversation, start, code=code, service=service)
    response = staff_client.post(f"{BOOK}?clinic={clinic.pk}", form)
    assert notes(response) == [f"Not booked: {why}. Nothing was changed."]
    assert not Appointment.objects.exists()
    (event,) = audited("book_appointment")
    assert (event.outcome, event.details) == ("failure", {"conversation": conversation.pk})


def test_staff_book_an_hour_from_now_without_the_patients_notice(
    staff_client, clinic, conversation
):
    # The bot offers times two hours ahead at the earliest; at the desk, staff may book sooner.
    staff_client.post(f"{BOOK}?clinic={clinic.pk}", book_form(clinic, conversation, local(7, 10)))
    assert Appointment.objects.get().starts_at == local(7, 10)


# --- moving and cancelling -------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_staff_move_and_the_patient_is_told_once(
    staff_client, clinic, conversation, outbox, eager_tasks
):
    conversation.language = "en"
    conversation.save()
    appointment = booked(clinic, conversation, local(8, 10))
    form = move_form(local(9, 13))
    first = staff_client.post(action_url(appointment, "move"), form, follow=True)
    again = staff_client.post(action_url(appointment, "move"), form, follow=True)
    appointment.refresh_from_db()
    assert appointment.starts_at == local(9, 13)
    assert any("Moved: appointment" in note for note in notes(first))
    assert any("at that time already" in note for note in notes(again))
    assert [sent["text"] for sent in outbox] == [
        "The clinic has moved your appointment: Filling with Dr Ivanova is now Wednesday, "
        "9 December, 13:00 (it was Tuesday, 8 December, 10:00)."
    ]
    assert appointment.changes.filter(action="moved").count() == 1
    assert [e.outcome for e in audited("move_appointment")] == ["success"]
    # Redirected to where it is now.
    assert first.context["span"].day.isoformat() == "2026-12-09"


def test_a_move_onto_another_appointment_is_refused_and_nothing_changes(
    staff_client, clinic, conversation
):
    appointment = booked(clinic, conversation, local(8, 10))
    taken = booked(clinic, other_patient(clinic), local(8, 14))
    response = staff_client.post(action_url(appointment, "move"), move_form(local(8, 13, 30)))
    (note,) = notes(response)
    assert note.startswith("Not moved: Tue 8 Dec 13:30–14:30 clashes with appointment")
    assert f"#{taken.pk}" in note and note.endswith("Nothing was changed.")
    appointment.refresh_from_db()
    assert appointment.starts_at == local(8, 10)
    assert not appointment.changes.filter(action="moved").exists()
    assert not staff_sent(conversation)
    assert [e.outcome for e in audited("move_appointment")] == ["failure"]


@pytest.mark.django_db(transaction=True)
def test_staff_cancel_and_the_patient_is_told_once(
    staff_client, clinic, conversation, outbox, eager_tasks
):
    conversation.language = "es"
    conversation.save()
    appointment = booked(clinic, conversation, local(8, 10))
    form = {"cancel-token": staff_message_token()}
    first = staff_client.post(action_url(appointment, "cancel"), form, follow=True)
    again = staff_client.post(action_url(appointment, "cancel"), form, follow=True)
    appointment.refresh_from_db()
    assert appointment.status == "cancelled"
    assert any("Cancelled: appointment" in note for note in notes(first))
    assert any("cancelled already" in note for note in notes(again))
    assert [sent["text"] for sent in outbox] == [
        "La clínica ha cancelado tu cita: Empaste, martes, 8 diciembre, 10:00. Escríbenos "
        "aquí si quieres otro horario."
    ]
    assert [e.outcome for e in audited("cancel_appointment")] == ["success"]


def test_a_change_the_appointment_does_not_allow_is_refused(staff_client, clinic, conversation):
    appointment = booked(clinic, conversation, local(8, 10))
    Appointment.objects.filter(pk=appointment.pk).update(status="done")
    response = staff_client.post(
        action_url(appointment, "cancel"), {"cancel-token": staff_message_token()}
    )
    assert notes(response) == ["Not cancelled: the appointment is done. Nothing was changed."]
    response = staff_client.post(action_url(appointment, "move"), move_form(local(9, 13)))
    assert notes(response) == ["Not moved: the appointment is done. Nothing was changed."]
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at) == ("done", local(8, 10))
    assert [e.outcome for e in audited("cancel_appointment")] == ["failure"]


# --- who may ---------------------------------------------------------------------------------
def test_another_clinics_staff_can_neither_see_nor_change(
    other_staff_client, clinic, other_clinic, conversation
):
    appointment = booked(clinic, conversation, local(8, 10))
    assert other_staff_client.get(CALENDAR, {"clinic": clinic.pk}).status_code == 404
    own = other_staff_client.get(CALENDAR, {"day": "2026-12-08"})
    assert own.context["clinic"] == other_clinic
    assert not any(c.blocks for c in own.context["grid"].columns)
    assert (
        other_staff_client.post(
            action_url(appointment, "move"), move_form(local(9, 13))
        ).status_code
        == 404
    )
    cancel = {"cancel-token": staff_message_token()}
    assert other_staff_client.post(action_url(appointment, "cancel"), cancel).status_code == 404
    form = book_form(clinic, other_patient(clinic), local(8, 12))
    assert other_staff_client.post(f"{BOOK}?clinic={clinic.pk}", form).status_code == 404
    # Their own clinic's calendar, with this clinic's conversation: no such conversation there.
    form["book-service"] = Service.objects.get(clinic=other_clinic, code="filling").pk
    refused = other_staff_client.post(f"{BOOK}?clinic={other_clinic.pk}", form)
    assert "has no conversation" in str(refused.context["book_form"].errors["conversation"])
    appointment.refresh_from_db()
    assert (appointment.status, appointment.starts_at) == ("booked", local(8, 10))
    assert list(Appointment.objects.all()) == [appointment]
    denied = AuditEvent.objects.filter(outcome="denied").values_list("action", "actor")
    assert sorted(denied) == [("cancel_appointment", "bob"), ("move_appointment", "bob")]


def test_viewing_alone_shows_no_forms_and_changes_nothing(
    client, clinic_staff, clinic, conversation
):
    clinic_staff.user_permissions.add(*appointments_perms("view"))
    client.force_login(clinic_staff)
    appointment = booked(clinic, conversation, local(8, 10))
    page = client.get(CALENDAR, {"day": "2026-12-08", "selected": appointment.pk})
    assert page.status_code == 200
    assert page.context["book_form"] is None and "move_form" not in page.context
    form = book_form(clinic, conversation, local(8, 12))
    assert client.post(f"{BOOK}?clinic={clinic.pk}", form).status_code == 403
    assert client.post(action_url(appointment, "move"), move_form(local(9, 13))).status_code == 403
    assert list(Appointment.objects.all()) == [appointment]


# --- the conversation's page -----------------------------------------------------------------
def test_the_conversation_page_lists_the_patients_appointments_and_still_saves(
    staff_client, clinic, conversation
):
    appointment = booked(clinic, conversation, local(8, 10))
    url = f"/admin/conversations/conversationsession/{conversation.pk}/change/"
    page = staff_client.get(url).content.decode()
    assert "Tue 8 Dec 2026, 10:00–11:00" in page
    assert f"day=2026-12-08&amp;provider=dr-ivanova&amp;selected={appointment.pk}" in page
    assert f"{CALENDAR}?clinic={clinic.pk}&amp;conversation={conversation.pk}" in page
    # The conversation's own form still saves with the appointments beside it: the inline's
    # management form, as the page renders it, goes with the conversation's fields.
    inline = dict(
        re.findall(r'<input type="hidden" name="(appointments-[A-Z_]+)" value="(\d+)"', page)
    )
    assert inline["appointments-INITIAL_FORMS"] == "1"
    response = staff_client.post(
        url,
        {
            "patient_phone": PATIENT,
            "patient_name": "Anna",
            "language": "en",
            "status": "active",
            "awaiting": "",
            "scheduled_followup_at_0": "",
            "scheduled_followup_at_1": "",
            **inline,
        },
    )
    assert response.status_code == 302, response.context["errors"]
    conversation.refresh_from_db()
    assert (conversation.patient_name, conversation.language) == ("Anna", "en")


def test_the_booking_form_comes_filled_with_the_patient_from_their_page(
    staff_client, clinic, conversation
):
    response = staff_client.get(CALENDAR, {"clinic": clinic.pk, "conversation": conversation.pk})
    assert response.context["book_form"]["conversation"].value() == str(conversation.pk)
    # The list of recent conversations shows numbers and masked phones, never a name.
    assert response.context["recent"] == [
        (conversation.pk, f"#{conversation.pk} · +7 *** *** 11 22")
    ]


# --- the notices -----------------------------------------------------------------------------
def test_every_notice_is_written_in_the_six_languages(clinic, conversation):
    appointment = booked(clinic, conversation, local(8, 10))
    assert set(NOTICES) == {"ru", "en", "es", "pt", "uk", "he"}
    for language, texts in NOTICES.items():
        assert set(texts) == {"booked", "moved", "cancelled"}, language
        appointment.conversation.language = language
        for kind in texts:
            text = notice_text(kind, appointment, old_start=local(7, 12))
            assert "{" not in text and "10:00" in text, (language, kind)


def test_a_staff_message_takes_control_unless_asked_not_to(clinic, conversation, outbox):
    staff_message_send(
        session=conversation, text="a notice", token=staff_message_token(), take_control=False
    )
    conversation.refresh_from_db()
    assert conversation.control == "bot"
    staff_message_send(session=conversation, text="Hello", token=staff_message_token())
    conversation.refresh_from_db()
    assert conversation.control == "staff"


def test_a_clinic_without_providers_books_its_single_chair(staff_client, clinic, conversation):
    Provider.objects.filter(clinic=clinic).update(active=False)
    page = staff_client.get(CALENDAR, {"day": "2026-12-08"})
    assert [c.provider.code for c in page.context["grid"].columns] == ["clinic"]
    form = book_form(clinic, conversation, local(8, 19), code="clinic")
    staff_client.post(f"{BOOK}?clinic={clinic.pk}", form)
    assert Appointment.objects.get().provider.code == "clinic"
    assert AppointmentChange.objects.filter(action="booked").count() == 1
