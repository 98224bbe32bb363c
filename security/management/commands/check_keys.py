from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from security.keys import AUDIT_KEY, KEY_NAMES, describe_keys, key_problems


class Command(BaseCommand):
    help = (
        "Exit 0 when PHI_MASTER_KEY, PHI_RSA_PRIVATE_KEY and HIPAA_AUDIT_KEY are present and well "
        "formed; else exit 1 naming each bad key. Never prints key material."
    )
    # It reports the key problems itself; the system checks would refuse to run it.
    requires_system_checks = []

    def handle(self, *args, **options):
        problems = key_problems()
        self._audit(problems)
        if problems:
            raise CommandError(
                "\n".join(f"{name} {problem}" for name, problem in problems.items()),
                returncode=1,
            )
        for name, summary in describe_keys().items():
            self.stdout.write(f"{name}: ok ({summary})")
        self.stdout.write(self.style.SUCCESS(f"All {len(KEY_NAMES)} keys are present and valid."))

    def _audit(self, problems):
        """An audit event when the audit key allows one and the database answers."""
        if AUDIT_KEY in problems:
            return
        from security.audit import audit_record

        try:
            audit_record(
                actor="system",
                action="key_check",
                object_type="keys",
                outcome="failure" if problems else "success",
                details={"bad_keys": sorted(problems)},
            )
        except DatabaseError:
            self.stderr.write("(no audit event written: the database is not reachable)")
