"""Importing a clinic file: the clinic and its price list, created or brought up to date."""

from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from conversations.clinic_file import ClinicSpec
from conversations.models import Clinic
from conversations.signals import clinic_imported
from notifications.services import staff_notify_import
from pricing.cache import bump_version
from pricing.models import PriceChange, Service
from pricing.services import price_changes_record


@dataclass(frozen=True)
class ClinicImportResult:
    clinic: Clinic
    created: bool
    services_created: int
    services_updated: int
    services_deactivated: int


@transaction.atomic
def clinic_import(*, spec: ClinicSpec, actor=None) -> ClinicImportResult:
    """Create or update a clinic and its price list from a validated clinic file.

    Idempotent: the clinic is matched by slug and services by code; a service missing from the
    file is deactivated, never deleted (messages and history may point at it).
    """
    clinic, created = Clinic.objects.select_for_update().update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "whatsapp_instance": spec.whatsapp_instance,
            "channel_kind": spec.channel.kind,
            "external_org_id": spec.external_org_id,
            "timezone": spec.timezone,
            "default_language": spec.default_language,
            "address": spec.address,
            "phone": spec.phone,
            "business_hours": spec.business_hours,
            "emergency_instructions": spec.emergency_instructions,
        },
    )
    existing = {service.code: service for service in clinic.services.all()}
    created_count = updated_count = 0
    prices: list[tuple[Service, Decimal | None]] = []  # the price history (pricing.services)
    for item in spec.services:
        fields = {
            "names": item.name,
            "aliases": item.aliases,
            "price": item.price,
            "currency": item.currency,
            "duration_minutes": item.duration_minutes,
            "active": True,
        }
        service = existing.get(item.code)
        if service is None:
            service = Service.objects.create(clinic=clinic, code=item.code, **fields)
            prices.append((service, None))
            created_count += 1
        elif _differs(service, fields):
            prices.append((service, service.price))
            for name, value in fields.items():
                setattr(service, name, value)
            service.save()
            updated_count += 1
    price_changes_record(changes=prices, actor=actor, source=PriceChange.Source.CLINIC_FILE)
    listed = {item.code for item in spec.services}
    deactivated = clinic.services.filter(active=True).exclude(code__in=listed).update(active=False)
    clinic_imported.send(sender=Clinic, clinic=clinic, spec=spec)
    staff_notify_import(clinic=clinic, spec=spec.staff_notify)
    # A bulk update sends no signal: announce the new price list to every worker ourselves.
    transaction.on_commit(lambda: bump_version(clinic.id))
    return ClinicImportResult(clinic, created, created_count, updated_count, deactivated)


def _differs(service: Service, fields: dict) -> bool:
    return any(getattr(service, name) != value for name, value in fields.items())
