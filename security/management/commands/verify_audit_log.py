from django.core.management.base import BaseCommand, CommandError

from security.audit import VERIFY_CHUNK, verify_chain


class Command(BaseCommand):
    help = (
        "Exit 0 when the audit chain is intact and every checkpoint's signature verifies and "
        "matches it; else exit 1 naming the first broken entry. Streams the log in chunks."
    )

    def add_arguments(self, parser):
        parser.add_argument("--chunk-size", type=int, default=VERIFY_CHUNK)

    def handle(self, *args, chunk_size, **options):
        report = verify_chain(chunk_size=chunk_size)
        if not report.ok:
            raise CommandError(
                f"audit log broken at entry seq {report.broken_seq}: {report.problem} "
                f"({report.entries} entries before it verified)",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit log intact: {report.entries} entries (head seq {report.head_seq}), "
                f"{report.checkpoints} signed checkpoints verified"
            )
        )
