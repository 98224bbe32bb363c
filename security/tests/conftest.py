"""A throwaway model with encrypted fields and a blind index for the security tests."""

import pytest


@pytest.fixture
def phi_model(db):
    """A model with two encrypted fields and a blind index, its table created for this test only
    (DDL is transactional on PostgreSQL: the test's rollback drops it)."""
    from django.apps import apps
    from django.db import connection, models

    from security.fields import EncryptedTextField

    class RotationProbe(models.Model):
        BLIND_INDEXES = {"phone_index": "phone"}

        phone = EncryptedTextField(blank=True, default="")
        phone_index = models.CharField(max_length=64, blank=True, default="")
        note = EncryptedTextField(blank=True, null=True)

        class Meta:
            app_label = "security"
            db_table = "security_test_rotationprobe"

        def __str__(self):
            return f"probe {self.pk}"

    with connection.schema_editor() as editor:
        editor.create_model(RotationProbe)
    yield RotationProbe
    apps.all_models["security"].pop("rotationprobe", None)
    apps.clear_cache()
