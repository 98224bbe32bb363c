from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from security.audit import audit_record
from security.crypto import DecryptionError
from security.keys import keyring
from security.rotation import (
    models_with_blind_indexes,
    models_with_encrypted_fields,
    pending_counts,
    recompute_blind_indexes,
    rotate_values,
)


class Command(BaseCommand):
    help = (
        "Re-encrypt every EncryptedTextField value not under the current (first) key of "
        "PHI_MASTER_KEY, then recompute blind indexes (models' BLIND_INDEXES). Each batch "
        "commits; run it again to continue after an interruption."
    )

    def add_arguments(self, parser):
        parser.add_argument("--batch-size", type=int, default=500)
        parser.add_argument(
            "--dry-run", action="store_true", help="only count the values still to re-encrypt"
        )

    def handle(self, *args, batch_size, dry_run, **options):
        ring = keyring()
        self.key_id = ring.current.key_id
        self.stdout.write(f"current key id {self.key_id}; {len(ring.keys) - 1} previous key(s)")
        if dry_run:
            for model, names in models_with_encrypted_fields():
                for name, count in pending_counts(model, names).items():
                    self.stdout.write(f"{model._meta.label}.{name}: {count} to re-encrypt")
            return
        self.values = self.indexes = 0
        try:
            self._rotate(batch_size)
        except (DecryptionError, DatabaseError) as error:
            # A DecryptionError names table, column and key id only; a database error may quote
            # a value, so only its type is shown.
            reason = str(error) if isinstance(error, DecryptionError) else type(error).__name__
            self._audit("failure", error=type(error).__name__)
            raise CommandError(
                f"rotation stopped: {reason}. {self.values} values were re-encrypted and "
                "committed before it; fix the cause and run it again."
            ) from None
        self._audit("success")
        self.stdout.write(
            self.style.SUCCESS(
                f"Every encrypted value is under key {self.key_id} ({self.values} re-encrypted, "
                f"{self.indexes} blind indexes recomputed). Previous keys can now be removed "
                "from PHI_MASTER_KEY."
            )
        )

    def _rotate(self, batch_size):
        def count_values(name, count):
            self.values += count

        def count_indexes(name, count):
            self.indexes += count

        for model, names in models_with_encrypted_fields():
            done = rotate_values(model, names, batch_size=batch_size, progress=count_values)
            for name, count in done.items():
                self.stdout.write(f"{model._meta.label}.{name}: {count} re-encrypted")
        for model in models_with_blind_indexes():
            changed = recompute_blind_indexes(model, batch_size=batch_size, progress=count_indexes)
            for name, count in changed.items():
                self.stdout.write(f"{model._meta.label}.{name}: {count} recomputed")

    def _audit(self, outcome, **extra):
        details = {"key_id": self.key_id, "values": self.values, "blind_indexes": self.indexes}
        try:
            audit_record(
                actor="system",
                action="key_rotation",
                object_type="keys",
                object_id=self.key_id,
                outcome=outcome,
                details=details | extra,
            )
        except DatabaseError:
            self.stderr.write("(no audit event written: the database is not reachable)")
