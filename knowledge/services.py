"""Writing a clinic's FAQ: from the clinic file, in the clinic import's transaction."""

from conversations.clinic_file import ClinicSpec
from conversations.models import Clinic
from knowledge.models import FaqEntry


def faq_import(sender, *, clinic: Clinic, spec: ClinicSpec, **kwargs) -> None:
    """The receiver of conversations.signals.clinic_imported. Entries are matched by key; one
    missing from the file is deactivated, never deleted (staff may want it back). A file with
    no `faq` at all leaves the clinic's FAQ as it is."""
    if spec.faq is None:
        return
    for item in spec.faq:
        FaqEntry.objects.update_or_create(
            clinic=clinic,
            key=item.key,
            defaults={
                "questions": item.questions,
                "answers": item.answer,
                "tags": item.tags,
                "active": True,
            },
        )
    listed = [item.key for item in spec.faq]
    # The import bumps the clinic's cache version after commit (conversations.services.clinics):
    # this bulk update needs no signal of its own.
    FaqEntry.objects.filter(clinic=clinic, active=True).exclude(key__in=listed).update(active=False)
