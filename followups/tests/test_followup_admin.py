"""Staff adding a follow-up in the admin go through the same service as the code does: the same
idempotency key, and the same refusal of what an opted-out patient must not receive."""

from datetime import UTC, datetime

import pytest
from django.contrib.auth.models import Permission

from conversations.models import ConversationSession
from followups.kinds import Kind
from followups.models import FollowUp

ADD = "/admin/followups/followup/add/"
DUE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("no_cachalot")


@pytest.fixture
def staff_client(client, clinic_staff):
    clinic_staff.user_permissions.add(Permission.objects.get(codename="add_followup"))
    client.force_login(clinic_staff)
    return client


def conversation_of(clinic, **fields):
    return ConversationSession.objects.create(
        clinic=clinic, patient_phone="79001234567", language="ru", **fields
    )


def add_form(conversation, kind):
    return {
        "conversation": conversation.pk,
        "kind": kind,
        "due_at_0": DUE.strftime("%Y-%m-%d"),
        "due_at_1": DUE.strftime("%H:%M:%S"),
        "context": "{}",
    }


def test_it_schedules_an_added_follow_up_under_the_services_idempotency_key(staff_client, clinic):
    conversation = conversation_of(clinic)
    response = staff_client.post(ADD, add_form(conversation, Kind.APPOINTMENT_REMINDER))
    assert response.status_code == 302, response.content.decode()
    (followup,) = FollowUp.objects.all()
    assert followup.idempotency_key == f"{conversation.pk}:appointment_reminder:{DUE.isoformat()}"
    assert followup.due_at == DUE and followup.status == FollowUp.Status.PENDING
    conversation.refresh_from_db()
    assert conversation.scheduled_followup_at == DUE


def test_it_keeps_one_follow_up_when_the_same_one_is_added_twice(staff_client, clinic):
    conversation = conversation_of(clinic)
    first = staff_client.post(ADD, add_form(conversation, Kind.APPOINTMENT_REMINDER))
    again = staff_client.post(ADD, add_form(conversation, Kind.APPOINTMENT_REMINDER), follow=True)
    assert (first.status_code, again.status_code) == (302, 200)
    assert FollowUp.objects.count() == 1
    # Staff are told that nothing new was added, rather than "added".
    notes = [str(m) for m in again.context["messages"]]
    assert any("scheduled already" in note for note in notes), notes


@pytest.mark.parametrize("kind", [Kind.CUSTOM, Kind.PRICE_NUDGE, Kind.AFTERCARE_CHECKIN])
def test_it_refuses_a_non_transactional_follow_up_for_an_opted_out_patient(
    staff_client, clinic, kind
):
    conversation = conversation_of(clinic, status=ConversationSession.Status.OPTED_OUT)
    response = staff_client.post(ADD, add_form(conversation, kind))
    assert response.status_code == 200
    errors = response.context["adminform"].form.non_field_errors()
    assert any("opted out" in error for error in errors), errors
    assert "opted out" in response.content.decode()
    assert not FollowUp.objects.exists()
    conversation.refresh_from_db()
    assert conversation.scheduled_followup_at is None


def test_it_still_adds_an_appointment_reminder_for_an_opted_out_patient(staff_client, clinic):
    conversation = conversation_of(clinic, status=ConversationSession.Status.OPTED_OUT)
    response = staff_client.post(ADD, add_form(conversation, Kind.APPOINTMENT_REMINDER))
    assert response.status_code == 302
    assert FollowUp.objects.get().kind == Kind.APPOINTMENT_REMINDER


def change_form(followup, **changes):
    return add_form(followup.conversation, followup.kind) | changes


def test_it_saves_an_edit_and_keeps_the_next_due_time_current(staff_client, clinic):
    conversation = conversation_of(clinic)
    staff_client.post(ADD, add_form(conversation, Kind.CUSTOM))
    followup = FollowUp.objects.get()
    later = change_form(followup, due_at_0="2026-11-21")
    response = staff_client.post(f"/admin/followups/followup/{followup.pk}/change/", later)
    assert response.status_code == 302
    conversation.refresh_from_db()
    assert conversation.scheduled_followup_at == DUE.replace(day=21)


def test_it_refuses_to_turn_a_reminder_into_a_custom_message_for_an_opted_out_patient(
    staff_client, clinic
):
    conversation = conversation_of(clinic, status=ConversationSession.Status.OPTED_OUT)
    staff_client.post(ADD, add_form(conversation, Kind.APPOINTMENT_REMINDER))
    followup = FollowUp.objects.get()
    custom = change_form(followup, kind=Kind.CUSTOM)
    response = staff_client.post(f"/admin/followups/followup/{followup.pk}/change/", custom)
    assert response.status_code == 200
    assert "opted out" in response.content.decode()
    assert FollowUp.objects.get().kind == Kind.APPOINTMENT_REMINDER
