"""Key rotation: re-encryption under the new key, resumable, and blind indexes recomputed."""

import io

import pytest
from django.core.management import CommandError, call_command

from security.blind_index import blind_index
from security.crypto import token_key_id
from security.keys import parse_master_keys
from security.models import AuditEvent
from security.rotation import models_with_encrypted_fields, pending_counts, rotate_values
from security.tests.helpers import new_master_key, raw_column

PHONES = [f"+7 900 000-00-{n:02d}" for n in range(7)]


def key_ids(model, column):
    return [token_key_id(value) if value else value for value in raw_column(model, column)]


@pytest.fixture
def rows_under_old_key(phi_model, settings):
    """Seven rows written under the old key (one with an empty note), then a new key first."""
    old = settings.PHI_MASTER_KEY
    for n, phone in enumerate(PHONES):
        phi_model.objects.create(
            phone=phone, phone_index=blind_index(phone), note="" if n == 3 else f"note {n}"
        )
    new = new_master_key()
    settings.PHI_MASTER_KEY = f"{new},{old}"
    return parse_master_keys(old).current.key_id, parse_master_keys(new).current.key_id, new


def test_rotation_re_encrypts_every_value_and_the_old_key_can_then_go(
    phi_model, rows_under_old_key, settings
):
    old_id, new_id, new = rows_under_old_key
    assert set(key_ids(phi_model, "phone")) == {old_id}

    done = rotate_values(phi_model, ["phone", "note"], batch_size=3)

    assert done == {"phone": 7, "note": 6}
    assert set(key_ids(phi_model, "phone")) == {new_id}
    assert set(key_ids(phi_model, "note")) == {new_id, ""}
    settings.PHI_MASTER_KEY = new  # the old key removed
    rows = list(phi_model.objects.order_by("pk"))
    assert [row.phone for row in rows] == PHONES
    assert [row.note for row in rows] == [f"note {n}" if n != 3 else "" for n in range(7)]


def test_rotation_is_resumable_after_an_interruption(phi_model, rows_under_old_key):
    old_id, new_id, _ = rows_under_old_key

    def crash_after_first_batch(field, count):
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        rotate_values(phi_model, ["phone"], batch_size=3, progress=crash_after_first_batch)
    assert key_ids(phi_model, "phone") == [new_id] * 3 + [old_id] * 4  # the first batch committed
    first_three = raw_column(phi_model, "phone")[:3]

    assert rotate_values(phi_model, ["phone"], batch_size=3) == {"phone": 4}

    assert set(key_ids(phi_model, "phone")) == {new_id}
    assert raw_column(phi_model, "phone")[:3] == first_three  # values already current skipped
    assert rotate_values(phi_model, ["phone"], batch_size=3) == {"phone": 0}


def test_rotation_encrypts_legacy_plaintext_too(phi_model, settings):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO security_test_rotationprobe (phone, phone_index, note) "
            "VALUES ('+79001234567', '', 'legacy')"
        )
    assert rotate_values(phi_model, ["note"]) == {"note": 1}
    assert token_key_id(raw_column(phi_model, "note")[0]) is not None
    assert phi_model.objects.get().note == "legacy"


def test_the_command_finds_encrypted_fields_and_recomputes_blind_indexes(
    phi_model, rows_under_old_key, settings
):
    old_id, new_id, new = rows_under_old_key
    assert (phi_model, ["phone", "note"]) in models_with_encrypted_fields()
    out = io.StringIO()
    call_command("rotate_phi_key", "--dry-run", stdout=out)
    assert "security.RotationProbe.phone: 7 to re-encrypt" in out.getvalue()

    call_command("rotate_phi_key", "--batch-size", "2", stdout=out)

    assert "security.RotationProbe.phone: 7 re-encrypted" in out.getvalue()
    assert "security.RotationProbe.phone_index: 7 recomputed" in out.getvalue()
    assert pending_counts(phi_model, ["phone", "note"]) == {"phone": 0, "note": 0}
    settings.PHI_MASTER_KEY = new
    for phone in PHONES:  # found by the index computed under the new key alone
        assert phi_model.objects.get(phone_index=blind_index(phone)).phone == phone
    event = AuditEvent.objects.get(action="key_rotation")
    assert event.outcome == "success"
    assert event.details == {"key_id": new_id, "values": 13, "blind_indexes": 7}
    assert not any(phone in str(event.details) for phone in PHONES)


def test_the_command_stops_naming_the_column_when_a_key_is_missing(
    phi_model, rows_under_old_key, settings
):
    old_id, new_id, new = rows_under_old_key
    settings.PHI_MASTER_KEY = new  # the old key removed too early
    with pytest.raises(CommandError) as raised:
        call_command("rotate_phi_key", stdout=io.StringIO())
    message = str(raised.value)
    assert f"security_test_rotationprobe.phone: encrypted under key id {old_id}" in message
    assert not any(phone in message for phone in PHONES)
    assert AuditEvent.objects.get(action="key_rotation").outcome == "failure"
