import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import IntegrityError

from conversations.clinic_file import ClinicFileError, parse_clinic_file
from conversations.services.clinics import clinic_import


class Command(BaseCommand):
    help = "Create or update a clinic and its price list from a clinic file (JSON, see README)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)

    def handle(self, *args, file: Path, **options):
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise CommandError(f"{file}: cannot read: {exc.strerror}") from None
        except json.JSONDecodeError as exc:
            raise CommandError(f"{file}: not valid JSON (line {exc.lineno}): {exc.msg}") from None
        try:
            spec = parse_clinic_file(data)
            result = clinic_import(spec=spec)
        except ClinicFileError as exc:
            raise CommandError(f"{file}: {exc}") from None
        except IntegrityError:
            # The only unique field a valid file can collide on is another clinic's instance.
            raise CommandError(
                f"{file}: whatsapp_instance: {spec.whatsapp_instance!r} belongs to another clinic"
            ) from None
        verb = "Created" if result.created else "Updated"
        self.stdout.write(
            f"{verb} clinic {result.clinic.slug}: {result.services_created} services added, "
            f"{result.services_updated} changed, {result.services_deactivated} deactivated."
        )
