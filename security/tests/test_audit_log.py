"""The HIPAA audit log: an HMAC chain that reveals edited, deleted and reordered entries, an
append-only table, and signed checkpoints."""

import base64
import io
import threading
from contextlib import contextmanager

import pytest
from cryptography.hazmat.primitives import hashes
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

from conversations.models import ConversationSession
from security.audit import (
    GENESIS_MAC,
    PSS,
    AuditChainBroken,
    audit_record,
    checkpoint_create,
    checkpoint_message,
    checkpoint_verify,
    verify_chain,
)
from security.keys import public_key_fingerprint
from security.models import AuditCheckpoint, AuditEvent, AuditHead
from security.tasks import audit_checkpoint
from security.tests.helpers import other_rsa_key


def record_events(count: int, start: int = 1) -> list[AuditEvent]:
    return [
        audit_record(
            actor=f"staff{n}",
            action="view_conversation",
            object_type="conversations.ConversationSession",
            object_id=str(n),
            source_ip="10.0.0.7",
            details={"clinic": 1, "n": n},
        )
        for n in range(start, start + count)
    ]


@contextmanager
def triggers_disabled():
    """Tampering as a database owner would: the append-only triggers off (until rollback)."""
    with connection.cursor() as cursor:
        for table in ("security_auditevent", "security_auditcheckpoint"):
            cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {table}_append_only")
        yield cursor
        for table in ("security_auditevent", "security_auditcheckpoint"):
            cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {table}_append_only")


def verify_command() -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("verify_audit_log", "--chunk-size", "2", stdout=out, stderr=err)
    except CommandError as error:
        return error.returncode, str(error)
    return 0, out.getvalue()


def test_events_are_chained_with_contiguous_seq(db):
    events = record_events(4)
    assert [event.seq for event in events] == [1, 2, 3, 4]
    assert events[0].prev_mac == GENESIS_MAC
    assert [event.prev_mac for event in events[1:]] == [event.mac for event in events[:-1]]
    head = AuditHead.objects.get()
    assert (head.seq, head.mac) == (4, events[-1].mac)


def test_an_event_records_the_six_au3_fields(db):
    event = audit_record(
        actor="alice",
        action="take_over",
        object_type="conversations.ConversationSession",
        object_id=42,
        outcome="denied",
        source_ip="2001:db8::1",
    )
    event.refresh_from_db()
    assert event.at is not None
    assert (event.actor, event.action, event.outcome) == ("alice", "take_over", "denied")
    assert (event.object_type, event.object_id) == ("conversations.ConversationSession", "42")
    assert event.source_ip == "2001:db8::1"
    assert event.details == {}


def test_unknown_actions_outcomes_and_bad_addresses_are_refused(db):
    with pytest.raises(ValueError, match="unknown audit action"):
        audit_record(actor="alice", action="read_everything")
    with pytest.raises(ValueError, match="unknown audit outcome"):
        audit_record(actor="alice", action="login", outcome="maybe")
    with pytest.raises(ValueError):
        audit_record(actor="alice", action="login", source_ip="not an address")
    with pytest.raises(ValueError, match="actor"):
        audit_record(actor="", action="login")
    assert not AuditEvent.objects.exists()


def test_an_intact_chain_verifies(db):
    record_events(5)
    code, output = verify_command()
    assert code == 0
    assert "audit log intact: 5 entries (head seq 5)" in output


def test_an_empty_log_verifies(db):
    assert verify_command()[0] == 0


def test_the_first_entry_is_signed_at_once(db):
    (first,) = record_events(1)
    checkpoint = AuditCheckpoint.objects.get()
    assert (checkpoint.seq, checkpoint.head_mac) == (1, first.mac)
    assert checkpoint_verify(checkpoint)
    record_events(1, start=2)
    assert AuditCheckpoint.objects.count() == 1  # later entries wait for the periodic task


def test_the_audit_tables_truncated_after_the_first_entry_fail_verification(db, clinic):
    ConversationSession.objects.create(clinic=clinic, patient_phone="79001234567")
    record_events(1)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE security_auditevent, security_audithead, security_auditcheckpoint")
    code, message = verify_command()
    assert code == 1
    assert "no entries" in message and "1 conversation" in message


def test_an_empty_log_fails_verification_when_the_clinics_have_conversations(db, clinic):
    ConversationSession.objects.create(clinic=clinic, patient_phone="79001234567")
    code, message = verify_command()
    assert code == 1
    assert "the audit log has no entries, but 1 conversation exists" in message


def test_an_edited_entry_is_named(db):
    record_events(6)
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE security_auditevent SET actor = 'mallory' WHERE seq = 4")
    code, message = verify_command()
    assert code == 1
    assert "broken at entry seq 4" in message
    assert "entry seq 4 was altered (its mac does not match)" in message


def test_edited_details_are_caught_too(db):
    record_events(3)
    with triggers_disabled() as cursor:
        cursor.execute(
            'UPDATE security_auditevent SET details = \'{"clinic": 2, "n": 2}\' WHERE seq = 2'
        )
    assert verify_chain().broken_seq == 2


def test_a_deleted_entry_is_named(db):
    record_events(6)
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM security_auditevent WHERE seq = 3")
    code, message = verify_command()
    assert code == 1
    assert "entry seq 3 is missing (deleted): the chain jumps from seq 2 to seq 4" in message


def test_entries_deleted_from_the_end_are_named(db):
    record_events(6)
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM security_auditevent WHERE seq >= 5")
    code, message = verify_command()
    assert code == 1
    assert "entry seq 5 is missing (deleted): the chain head records seq 6" in message


def test_swapped_entries_are_named(db):
    record_events(6)
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE security_auditevent SET seq = 1000 WHERE seq = 3")
        cursor.execute("UPDATE security_auditevent SET seq = 3 WHERE seq = 4")
        cursor.execute("UPDATE security_auditevent SET seq = 4 WHERE seq = 1000")
    code, message = verify_command()
    assert code == 1
    assert "entry seq 3 does not follow entry seq 2 (entries were reordered" in message


def test_a_forged_entry_without_the_audit_key_is_named(db, settings):
    record_events(3)
    real_key = settings.HIPAA_AUDIT_KEY
    settings.HIPAA_AUDIT_KEY = base64.b64encode(b"f" * 32).decode()
    audit_record(actor="mallory", action="export")  # chained, but under the wrong key
    settings.HIPAA_AUDIT_KEY = real_key
    assert verify_chain().problem == "entry seq 4 was altered (its mac does not match)"


@contextmanager
def refused_by_the_database(match: str):
    """The statement fails with the trigger's error; its savepoint is rolled back."""
    with pytest.raises(DatabaseError, match=match), transaction.atomic():
        yield


def test_the_database_refuses_to_update_or_delete_audit_entries(db):
    (event,) = record_events(1)
    with refused_by_the_database("security_auditevent is append-only: UPDATE"):
        AuditEvent.objects.filter(pk=event.pk).update(actor="mallory")
    with refused_by_the_database("security_auditevent is append-only: DELETE"):
        AuditEvent.objects.filter(pk=event.pk).delete()
    with refused_by_the_database("append-only"), connection.cursor() as cursor:
        cursor.execute("DELETE FROM security_auditevent")
    event.refresh_from_db()
    assert event.actor == "staff1"


def test_the_database_refuses_to_change_checkpoints(db):
    record_events(2)
    checkpoint = checkpoint_create()
    with refused_by_the_database("security_auditcheckpoint is append-only: UPDATE"):
        AuditCheckpoint.objects.filter(pk=checkpoint.pk).update(seq=1)


def test_verification_streams_the_log_in_bounded_chunks(db, django_assert_max_num_queries):
    record_events(9)
    # 9 entries in chunks of 2: five chunk reads, a checkpoint read, the head read.
    with django_assert_max_num_queries(8):
        report = verify_chain(chunk_size=2)
    assert report.ok and report.entries == 9


def test_a_checkpoint_signs_the_chain_head_and_verifies(db):
    record_events(3)
    checkpoint = checkpoint_create()
    assert (checkpoint.seq, checkpoint.head_mac) == (3, AuditEvent.objects.get(seq=3).mac)
    assert checkpoint.key_fingerprint == public_key_fingerprint()
    assert checkpoint_verify(checkpoint)
    record_events(2, start=4)
    code, output = verify_command()
    assert code == 0
    assert "2 signed checkpoints verified" in output  # the first entry's, and this one


def test_the_checkpoint_task_signs_only_new_heads(db):
    assert audit_checkpoint.apply().get() is None  # nothing to sign yet
    record_events(2)
    assert audit_checkpoint.apply().get() == 2
    assert audit_checkpoint.apply().get() is None
    record_events(1, start=3)
    assert audit_checkpoint.apply().get() == 3
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [3, 2, 1]


def test_a_forged_checkpoint_signature_fails(db):
    record_events(3)
    head = AuditEvent.objects.get(seq=3)
    forged = AuditCheckpoint.objects.create(
        at=head.at,
        seq=3,
        head_mac=head.mac,
        key_fingerprint=public_key_fingerprint(),
        signature=base64.b64encode(b"\x01" * 256).decode(),
    )
    assert not checkpoint_verify(forged)
    code, message = verify_command()
    assert code == 1
    assert f"checkpoint #{forged.pk} (at entry seq 3): its signature does not verify" in message


def test_a_checkpoint_signed_by_another_key_fails(db):
    record_events(2)
    head = AuditEvent.objects.get(seq=2)
    other = other_rsa_key()
    checkpoint = AuditCheckpoint(
        at=head.at, seq=2, head_mac=head.mac, key_fingerprint=public_key_fingerprint()
    )
    signature = other.sign(checkpoint_message(checkpoint), PSS, hashes.SHA256())
    checkpoint.signature = base64.b64encode(signature).decode()
    checkpoint.save()
    assert not checkpoint_verify(checkpoint)
    assert "its signature does not verify" in verify_chain().problem


def test_a_truncated_chain_is_caught_by_its_checkpoint_even_with_the_head_row_rewritten(db):
    events = record_events(4)
    checkpoint_create()
    with triggers_disabled() as cursor:
        cursor.execute("DELETE FROM security_auditevent WHERE seq = 4")
    AuditHead.objects.update(seq=3, mac=events[2].mac)
    report = verify_chain()
    assert report.broken_seq == 4
    assert "checkpoint" in report.problem and "covers the chain up to seq 4" in report.problem


def test_a_checkpoint_is_not_signed_over_a_tampered_chain(db):
    record_events(2)
    checkpoint_create()
    record_events(2, start=3)
    with triggers_disabled() as cursor:
        cursor.execute("UPDATE security_auditevent SET outcome = 'failure' WHERE seq = 3")
    with pytest.raises(AuditChainBroken, match="entry seq 3 was altered"):
        checkpoint_create()
    assert list(AuditCheckpoint.objects.values_list("seq", flat=True)) == [2, 1]


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_seq_contiguous_and_the_chain_intact():
    errors = []

    def append(worker):
        try:
            for n in range(10):
                audit_record(actor=f"w{worker}", action="view_message", object_id=str(n))
        except Exception as error:  # surfaced below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=append, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, 41)
    )
    assert verify_chain().ok


def test_the_admin_shows_the_log_read_only(admin_client):
    (event,) = record_events(1)
    checkpoint = checkpoint_create()
    assert admin_client.get("/admin/security/auditevent/").status_code == 200
    assert admin_client.get("/admin/security/auditcheckpoint/").status_code == 200
    page = admin_client.get(f"/admin/security/auditevent/{event.pk}/change/")
    assert page.status_code == 200 and b'type="submit"' not in page.content.split(b"<form")[-1]
    assert admin_client.get("/admin/security/auditevent/add/").status_code == 403
    assert admin_client.get(f"/admin/security/auditevent/{event.pk}/delete/").status_code == 403
    url = f"/admin/security/auditcheckpoint/{checkpoint.pk}/delete/"
    assert admin_client.get(url).status_code == 403
    assert admin_client.post(f"/admin/security/auditevent/{event.pk}/change/").status_code == 403
