"""The open inbox's poll: the count of conversations waiting for staff (also in the page title)
and a version that changes with the inbox; per clinic, staff only, no PHI, a fixed number of
queries whatever the number of conversations."""

from datetime import timedelta

import pytest
import time_machine
from django.conf import settings
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.models import ConversationSession, Message
from conversations.tests.test_console_inbox import INBOX, T0, conversation

PULSE = f"{INBOX}pulse/"
BACKGROUND = {"X-Console-Background": "1"}  # as inbox.js sends it


@pytest.fixture
def staff_client(client, clinic_staff):
    client.force_login(clinic_staff)
    return client


def pulse(client) -> dict:
    response = client.get(PULSE)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert "no-cache" in response["Cache-Control"]
    return response.json()


def test_it_counts_patients_waiting_for_staff_and_flagged_conversations(staff_client, clinic):
    conversation(clinic, "79000000001", texts=["hi", "hello"])
    conversation(clinic, "79000000002", control="staff", texts=["a person please"])
    answered = conversation(clinic, "79000000003", control="staff", texts=["help", "on it"])
    answered.messages.filter(direction="out").update(from_staff=True)
    conversation(clinic, "79000000005", control="staff", texts=["help", "a colleague will reply"])
    flagged = conversation(clinic, "79000000004", texts=["(voice)", "please type"])
    flagged.attention = "urgent"
    flagged.save()
    assert pulse(staff_client)["waiting"] == 3


def test_another_clinics_waiting_conversations_are_not_counted(staff_client, clinic, other_clinic):
    conversation(other_clinic, "447700900123", control="staff", texts=["help"])
    assert pulse(staff_client)["waiting"] == 0
    conversation(clinic, "79000000002", control="staff", texts=["help"])
    assert pulse(staff_client)["waiting"] == 1


def test_the_version_changes_when_a_patient_writes_or_control_changes(staff_client, clinic):
    session = conversation(clinic, "79000000001", texts=["hi"])
    first = pulse(staff_client)["version"]
    assert pulse(staff_client)["version"] == first
    Message.objects.create(
        clinic=clinic, session=session, direction="in", text="and a cleaning?", received_at=T0
    )
    session.last_inbound_at = T0 + timedelta(minutes=5)
    session.save()
    second = pulse(staff_client)["version"]
    assert second != first
    session.control, session.control_changed_at = "staff", T0 + timedelta(minutes=6)
    session.save()
    third = pulse(staff_client)
    assert third["version"] not in (first, second)
    assert third["waiting"] == 1


def test_it_shows_no_patient_data(staff_client, clinic):
    conversation(clinic, "79001112233", name="Anna", control="staff", texts=["my tooth hurts"])
    body = staff_client.get(PULSE).content.decode()
    assert set(pulse(staff_client)) == {"waiting", "version"}
    for phi in ("79001112233", "1112233", "Anna", "tooth"):
        assert phi not in body


def test_it_is_for_signed_in_staff_who_may_view_conversations(client, clinic, clinic_staff):
    response = client.get(PULSE)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]
    clinic_staff.user_permissions.clear()
    client.force_login(clinic_staff)
    assert client.get(PULSE).status_code == 403


def test_it_makes_the_same_two_queries_for_5_or_50_conversations(staff_client, clinic, no_cachalot):
    def queries_for(total):
        while (n := ConversationSession.objects.count()) < total:
            control = "staff" if n % 5 == 0 else "bot"
            conversation(clinic, f"7900{n:07d}", control=control, texts=["hi"])
        with CaptureQueriesContext(connection) as captured:
            pulse(staff_client)
        return [q["sql"] for q in captured if "conversations_" in q["sql"]]

    few, many = queries_for(5), queries_for(50)
    assert len(few) == len(many) == 2, many


def test_the_inbox_title_carries_the_count(staff_client, clinic):
    page = staff_client.get(INBOX).content.decode()
    assert "<title>(" not in page
    conversation(clinic, "79000000002", control="staff", texts=["help"])
    page = staff_client.get(INBOX).content.decode()
    assert "<title>(1) " in page
    assert 'id="inbox-pulse"' in page and "conversations/inbox.js" in page


def test_polling_does_not_keep_an_idle_session_alive(staff_client, clinic):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        renewed = staff_client.get(INBOX)
        assert settings.SESSION_COOKIE_NAME in renewed.cookies
        polled = staff_client.get(PULSE, headers=BACKGROUND)
        assert polled.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in polled.cookies
        refreshed = staff_client.get(INBOX, headers=BACKGROUND)
        assert refreshed.status_code == 200
        assert settings.SESSION_COOKIE_NAME not in refreshed.cookies
    for minutes in (5, 10, 14):
        with time_machine.travel(start + timedelta(minutes=minutes), tick=False):
            assert staff_client.get(PULSE, headers=BACKGROUND).status_code == 200
    with time_machine.travel(start + timedelta(minutes=16), tick=False):
        signed_out = staff_client.get(PULSE, headers=BACKGROUND)
        assert signed_out.status_code == 302 and "/admin/login/" in signed_out["Location"]


def test_the_waiting_count_can_use_the_partial_index(clinic):
    """Its filter matches session_waiting's condition, so PostgreSQL may read just those rows
    (with sequential scans off, as on a big table where they would cost more)."""
    sessions = ConversationSession.objects.filter(clinic=clinic)
    candidates = sessions.filter(ConversationSession.WAITING_CANDIDATE).values("pk")
    sql, params = candidates.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "session_waiting" in plan, plan
