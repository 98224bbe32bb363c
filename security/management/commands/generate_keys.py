from django.core.management.base import BaseCommand

from security.keys import generate_keys


class Command(BaseCommand):
    help = (
        "Print fresh PHI_MASTER_KEY, PHI_RSA_PRIVATE_KEY and HIPAA_AUDIT_KEY lines for a .env "
        "file. Nothing is written anywhere: redirect the output (`>> .env`)."
    )
    # It must run where the keys are missing: that is what it is for.
    requires_system_checks = []

    def handle(self, *args, **options):
        for name, value in generate_keys().items():
            self.stdout.write(f"{name}={value}")
