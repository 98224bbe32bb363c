"""The audit log in the admin, per clinic: a clinic's staff who may read the log see the entries
about their clinics' patients and data, and their own sign-ins; a superuser sees every entry."""

import pytest
from django.contrib.auth.models import Permission

from conversations.models import ConversationSession
from security.models import AuditEvent

LOG = "/admin/security/auditevent/"


@pytest.fixture
def conversations(clinic, other_clinic):
    return [
        ConversationSession.objects.create(clinic=c, patient_phone=phone)
        for c, phone in ((clinic, "79001234567"), (other_clinic, "447700900123"))
    ]


@pytest.fixture
def officer(clinic_staff):
    """alice, of the demo clinic, also allowed to read the audit log."""
    clinic_staff.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    return clinic_staff


def opened(client, conversation) -> None:
    url = f"/admin/conversations/conversationsession/{conversation.pk}/change/"
    assert client.get(url).status_code == 200


def listed(response) -> set[tuple]:
    assert response.status_code == 200
    rows = response.context["cl"].result_list
    return {(event.actor, event.action, event.object_id) for event in rows}


def test_a_clinic_staff_user_sees_only_their_clinics_audit_entries(
    client, admin_client, officer, conversations
):
    ours, theirs = conversations
    for conversation in (ours, theirs):
        opened(admin_client, conversation)
    client.force_login(officer)
    opened(client, ours)

    seen = listed(client.get(LOG))
    assert seen == {
        ("admin", "view_conversation", str(ours.pk)),
        ("alice", "login", str(officer.pk)),
        ("alice", "view_conversation", str(ours.pk)),
    }
    other_entry = AuditEvent.objects.get(action="view_conversation", object_id=str(theirs.pk))
    assert client.get(f"{LOG}{other_entry.pk}/change/").status_code in (302, 404)
    everything = listed(admin_client.get(LOG))
    assert ("admin", "view_conversation", str(theirs.pk)) in everything


def test_another_clinics_denied_attempt_is_that_clinics_to_see(
    client, officer, conversations, other_clinic, django_user_model
):
    ours, theirs = conversations
    bob = django_user_model.objects.create_user("bob", password="x", is_staff=True)
    bob.user_permissions.set(Permission.objects.filter(codename="view_conversationsession"))
    other_clinic.staff.add(bob)
    client.force_login(bob)
    url = f"/admin/conversations/conversationsession/{ours.pk}/change/"
    assert client.get(url).status_code in (302, 404)
    client.force_login(officer)
    assert ("bob", "view_conversation", str(ours.pk)) in listed(client.get(LOG))


def test_a_denied_attempt_does_not_tell_its_author_what_another_clinic_holds(
    client, officer, conversations
):
    """The admin answers "not found" for another clinic's conversation; the author's own audit
    entry about the attempt must not reveal that it exists, nor whose it is."""
    ours, theirs = conversations
    client.force_login(officer)
    url = f"/admin/conversations/conversationsession/{theirs.pk}/change/"
    assert client.get(url).status_code in (302, 404)
    assert AuditEvent.objects.filter(actor="alice", object_id=str(theirs.pk)).exists()
    seen = listed(client.get(LOG))
    assert not any(object_id == str(theirs.pk) for _, _, object_id in seen)
    assert ("alice", "login", str(officer.pk)) in seen
