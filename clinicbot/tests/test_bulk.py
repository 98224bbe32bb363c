"""rows_update: stage B's one-statement UPDATE of many rows."""

from datetime import UTC, datetime

import pytest
from django.db import connection

from clinicbot.runtime import bulk
from conversations.models import ConversationSession
from pricing.models import Service


def sessions_for(clinic, count: int) -> list[ConversationSession]:
    return [
        ConversationSession.objects.create(
            clinic=clinic, patient_phone=f"7999000{n:04d}", patient_phone_index=f"index-{n}"
        )
        for n in range(count)
    ]


def test_each_row_gets_its_own_values_and_encrypted_fields_stay_encrypted(clinic):
    sessions = sessions_for(clinic, 3)
    when = datetime(2026, 11, 22, 9, 30, tzinfo=UTC)
    for n, session in enumerate(sessions):
        session.patient_name = f"Patient {n}"
        session.language = ["ru", "en", "he"][n]
        session.last_inbound_at = when
    assert bulk.rows_update(sessions, ["patient_name", "language", "last_inbound_at"]) == 3
    for n, session in enumerate(sessions):
        stored = ConversationSession.objects.get(pk=session.pk)
        assert (stored.patient_name, stored.language) == (f"Patient {n}", ["ru", "en", "he"][n])
        assert stored.last_inbound_at == when
    with connection.cursor() as cursor:
        cursor.execute("SELECT patient_name FROM conversations_conversationsession")
        raw = [row[0] for row in cursor.fetchall()]
    assert raw and not any("Patient" in value for value in raw)


def test_more_rows_than_one_statement_takes(clinic, monkeypatch):
    monkeypatch.setattr(bulk, "BATCH_ROWS", 2)
    sessions = sessions_for(clinic, 5)
    for session in sessions:
        session.status = ConversationSession.Status.OPTED_OUT
    assert bulk.rows_update(sessions, ["status"]) == 5
    opted_out = ConversationSession.objects.filter(status=ConversationSession.Status.OPTED_OUT)
    assert opted_out.count() == 5


def test_nothing_to_update_makes_no_query(db, django_assert_num_queries):
    with django_assert_num_queries(0):
        assert bulk.rows_update([], ["status"]) == 0


def test_a_table_cachalot_caches_is_refused(clinic):
    service = Service.objects.filter(clinic=clinic).first()
    with pytest.raises(ValueError, match="cached by cachalot"):
        bulk.rows_update([service], ["price"])
