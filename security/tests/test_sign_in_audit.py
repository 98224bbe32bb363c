"""Staff sign-ins, failed sign-ins and sign-outs land in the audit log."""

import pytest
from django.contrib.auth import get_user_model

from security.audit import verify_chain
from security.models import AuditEvent


@pytest.fixture
def staff(db):
    return get_user_model().objects.create_user(
        "alice", password="correct horse battery", is_staff=True
    )


def test_a_sign_in_and_a_sign_out_are_recorded(client, staff):
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "alice", "password": "correct horse battery"}
    )
    assert response.status_code == 302
    client.post("/admin/logout/")
    events = list(AuditEvent.objects.order_by("seq").values_list("actor", "action", "outcome"))
    assert events == [("alice", "login", "success"), ("alice", "logout", "success")]
    assert AuditEvent.objects.get(action="login").source_ip == "127.0.0.1"
    assert AuditEvent.objects.get(action="login").object_id == str(staff.pk)


def test_a_failed_sign_in_is_recorded_without_the_password(client, staff):
    client.post("/admin/login/", {"username": "alice", "password": "wrong guess 123"})
    event = AuditEvent.objects.get()
    assert (event.actor, event.action, event.outcome) == ("alice", "login_failed", "failure")
    assert "wrong guess" not in str(event.details)
    assert verify_chain().ok
