"""PHI at rest: AES-256-GCM tokens bound to their table and column, and EncryptedTextField."""

import time

import pytest

from security.crypto import DecryptionError, decrypt, encrypt, is_encrypted, token_key_id
from security.keys import key_id, keyring, parse_master_keys
from security.tests.helpers import new_master_key, raw_column

WHERE = {"table": "conversations_message", "column": "text"}
SECRET_TEXT = "У меня болит зуб, записан к доктору Иванову"


def test_a_value_round_trips():
    token = encrypt(SECRET_TEXT, **WHERE)
    assert decrypt(token, **WHERE) == SECRET_TEXT
    assert SECRET_TEXT not in token


def test_the_token_is_text_with_the_current_key_id_as_prefix():
    token = encrypt("hello", **WHERE)
    assert token.startswith(f"enc1:{keyring().current.key_id}:")
    assert is_encrypted(token)
    assert token_key_id(token) == keyring().current.key_id
    assert token.isascii()


def test_the_key_id_is_the_first_8_hex_of_an_hmac_of_the_key():
    import base64
    import hashlib
    import hmac

    raw = new_master_key()
    material = base64.b64decode(raw)
    expected = hmac.new(material, b"clinicbot key id", hashlib.sha256).hexdigest()[:8]
    assert key_id(material) == expected == parse_master_keys(raw).current.key_id


def test_the_same_plaintext_encrypts_differently_each_time():
    tokens = {encrypt("yes", **WHERE) for _ in range(200)}
    assert len(tokens) == 200
    nonces = {token.split(":")[2][:16] for token in tokens}  # 12 bytes = 16 base64 characters
    assert len(nonces) == 200


def test_a_value_moved_to_another_column_does_not_decrypt():
    token = encrypt(SECRET_TEXT, **WHERE)
    with pytest.raises(DecryptionError) as raised:
        decrypt(token, table="conversations_message", column="patient_name")
    assert "conversations_message.patient_name" in str(raised.value)
    with pytest.raises(DecryptionError):
        decrypt(token, table="conversations_conversationsession", column="text")


def test_an_altered_value_does_not_decrypt_and_the_error_holds_no_plaintext():
    token = encrypt(SECRET_TEXT, **WHERE)
    flipped = token[:-3] + ("A" if token[-3] != "A" else "B") + token[-2:]
    with pytest.raises(DecryptionError) as raised:
        decrypt(flipped, **WHERE)
    assert SECRET_TEXT not in str(raised.value)
    assert "altered" in str(raised.value)


def test_a_value_under_an_unknown_key_names_the_key_id_only(settings):
    token = encrypt(SECRET_TEXT, **WHERE)
    old_id = token_key_id(token)
    settings.PHI_MASTER_KEY = new_master_key()
    with pytest.raises(DecryptionError, match=f"key id {old_id}, which PHI_MASTER_KEY does not"):
        decrypt(token, **WHERE)


def test_any_key_of_a_rotation_list_decrypts_and_the_first_encrypts(settings):
    old = settings.PHI_MASTER_KEY
    token = encrypt(SECRET_TEXT, **WHERE)
    new = new_master_key()
    settings.PHI_MASTER_KEY = f"{new},{old}"
    assert decrypt(token, **WHERE) == SECRET_TEXT
    assert token_key_id(encrypt("x", **WHERE)) == parse_master_keys(new).current.key_id


def test_plain_text_is_not_mistaken_for_a_token():
    assert not is_encrypted("")
    assert not is_encrypted("enc1:hello")
    assert not is_encrypted("Сколько стоит пломба?")
    assert not is_encrypted(None)


def test_a_value_decrypts_in_microseconds():
    tokens = [encrypt(f"message {n} " * 10, **WHERE) for n in range(2000)]
    started = time.perf_counter()
    for token in tokens:
        decrypt(token, **WHERE)
    per_value = (time.perf_counter() - started) / len(tokens)
    assert per_value < 100e-6, f"{per_value * 1e6:.1f} µs per value"


def test_the_field_stores_tokens_bound_to_its_table_and_column(phi_model):
    row = phi_model.objects.create(phone="+79001234567", note=SECRET_TEXT)
    phone, note = raw_column(phi_model, "phone")[0], raw_column(phi_model, "note")[0]
    assert is_encrypted(phone) and is_encrypted(note)
    assert decrypt(note, table="security_test_rotationprobe", column="note") == SECRET_TEXT
    fresh = phi_model.objects.get(pk=row.pk)
    assert (fresh.phone, fresh.note) == ("+79001234567", SECRET_TEXT)
    assert phi_model.objects.values_list("note", flat=True).get() == SECRET_TEXT


def test_the_field_keeps_empty_and_null_values_as_they_are(phi_model):
    phi_model.objects.create(phone="", note=None)
    assert raw_column(phi_model, "phone") == [""]
    assert raw_column(phi_model, "note") == [None]
    assert phi_model.objects.values_list("phone", "note").get() == ("", None)


def test_the_field_returns_legacy_plaintext_as_is(phi_model):
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO security_test_rotationprobe (phone, phone_index, note) "
            "VALUES ('+79001234567', '', 'written before encryption')"
        )
    row = phi_model.objects.get()
    assert row.note == "written before encryption"
    row.save()
    assert is_encrypted(raw_column(phi_model, "note")[0])
    assert phi_model.objects.get().note == "written before encryption"


def test_the_field_encrypts_text_that_looks_like_a_token(phi_model):
    lookalike = encrypt("inner", table="security_test_rotationprobe", column="note")
    phi_model.objects.create(note=lookalike)
    assert phi_model.objects.get().note == lookalike


def test_a_token_copied_into_another_column_fails_to_load(phi_model):
    from django.db import connection

    phi_model.objects.create(phone="+79001234567", note="note")
    with connection.cursor() as cursor:
        cursor.execute("UPDATE security_test_rotationprobe SET note = phone")
    with pytest.raises(DecryptionError, match="security_test_rotationprobe.note"):
        phi_model.objects.get()
