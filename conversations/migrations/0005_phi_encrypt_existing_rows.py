"""Encrypt the PHI written before the fields were encrypted, and fill the patients' blind index.

The fields read a value that is not a token as legacy plaintext, so every row is read (decrypted
or as is), given its index and written back (encrypted under the current key): a re-run is
harmless. Batched, so any table size runs in bounded memory. Reversing is a no-op: the values stay
encrypted (`rotate_phi_key` and the fields read them either way).
"""

from django.db import migrations

BATCH = 500


def _batches(queryset, size=BATCH):
    batch = []
    for row in queryset.order_by("pk").iterator(chunk_size=size):
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def encrypt_existing_rows(apps, schema_editor):
    session_model = apps.get_model("conversations", "ConversationSession")
    message_model = apps.get_model("conversations", "Message")
    sessions = session_model._base_manager.only(
        "pk", "patient_phone", "patient_name", "patient_phone_index"
    )
    if sessions.exists():
        from security.blind_index import blind_index

        for batch in _batches(sessions):
            for session in batch:
                try:
                    session.patient_phone_index = blind_index(session.patient_phone or "")
                except ValueError:  # no digits: nothing to index
                    session.patient_phone_index = ""
            session_model._base_manager.bulk_update(
                batch, ["patient_phone", "patient_name", "patient_phone_index"]
            )
    messages = message_model._base_manager.exclude(text="").only("pk", "text")
    for batch in _batches(messages):
        message_model._base_manager.bulk_update(batch, ["text"])


class Migration(migrations.Migration):

    dependencies = [
        ("conversations", "0004_phi_encrypted_fields"),
    ]

    operations = [
        migrations.RunPython(encrypt_existing_rows, migrations.RunPython.noop, elidable=False),
    ]
