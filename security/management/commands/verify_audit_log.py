from django.apps import apps
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
        conversations = conversation_count() if report.entries == 0 else 0
        if conversations:
            # An empty chain verifies, and would read as "intact" after the audit tables were
            # emptied; beside patients' conversations, an empty log is a wiped one.
            raise CommandError(
                f"audit log broken: the audit log has no entries, but {conversations} "
                f"conversation{'s' if conversations > 1 else ''} "
                f"exist{'' if conversations > 1 else 's'} (the audit tables were emptied?)",
                returncode=1,
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"audit log intact: {report.entries} entries (head seq {report.head_seq}), "
                f"{report.checkpoints} signed checkpoints verified"
            )
        )


def conversation_count() -> int:
    """Patients' conversations in the database (the security app does not depend on the
    conversations app: it is looked up, and counts 0 where it is not installed)."""
    try:
        model = apps.get_model("conversations", "ConversationSession")
    except LookupError:
        return 0
    return model._default_manager.count()
