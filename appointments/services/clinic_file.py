"""The booking part of a clinic file: providers, closures and the booking rules."""

from appointments.models import BookingRules, Closure, Provider
from conversations.clinic_file import ClinicSpec
from conversations.models import Clinic

CLINIC_CHAIR = "clinic"


def booking_import(sender, *, clinic: Clinic, spec: ClinicSpec, **kwargs) -> None:
    """The receiver of conversations.signals.clinic_imported, in the import's transaction.

    Providers are matched by code; one missing from the file is deactivated and keeps its
    appointments. A file without providers books against the clinic's opening hours as one
    chair (code "clinic"), which a file that lists providers deactivates in turn.
    """
    BookingRules.objects.update_or_create(clinic=clinic, defaults=spec.booking.model_dump())
    providers = _providers_sync(clinic, spec)
    _closures_replace(clinic, spec, providers)


def _providers_sync(clinic: Clinic, spec: ClinicSpec) -> dict[str, Provider]:
    if spec.providers:
        wanted = {
            p.code: {"names": p.name, "services": p.services, "hours": p.hours}
            for p in spec.providers
        }
    else:
        chair = {"names": {}, "services": [], "hours": spec.business_hours}
        wanted = {CLINIC_CHAIR: chair | {"is_clinic_chair": True}}
    providers = {}
    for code, fields in wanted.items():
        providers[code], _ = Provider.objects.update_or_create(
            clinic=clinic, code=code, defaults=fields | {"active": True}
        )
    clinic.providers.filter(active=True).exclude(code__in=wanted).update(active=False)
    return providers


def _closures_replace(clinic: Clinic, spec: ClinicSpec, providers: dict[str, Provider]) -> None:
    # The file is the whole list: closures have no identity of their own to match on.
    clinic.closures.all().delete()
    Closure.objects.bulk_create(
        Closure(
            clinic=clinic,
            provider=providers.get(closure.provider) if closure.provider else None,
            first_day=closure.first,
            last_day=closure.last,
            reason=closure.reason,
        )
        for closure in spec.closures
    )
