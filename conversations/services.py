"""Writes that touch several models. Keyword-only, named <entity>_<action>."""

from dataclasses import dataclass

from django.db import transaction

from conversations.clinic_file import ClinicSpec
from conversations.models import Clinic
from pricing.models import Service


@dataclass(frozen=True)
class ClinicImportResult:
    clinic: Clinic
    created: bool
    services_created: int
    services_updated: int
    services_deactivated: int


@transaction.atomic
def clinic_import(*, spec: ClinicSpec) -> ClinicImportResult:
    """Create or update a clinic and its price list from a validated clinic file.

    Idempotent: the clinic is matched by slug and services by code; a service missing from the
    file is deactivated, never deleted (messages and history may point at it).
    """
    clinic, created = Clinic.objects.select_for_update().update_or_create(
        slug=spec.slug,
        defaults={
            "name": spec.name,
            "whatsapp_instance": spec.whatsapp_instance,
            "external_org_id": spec.external_org_id,
            "timezone": spec.timezone,
            "default_language": spec.default_language,
            "address": spec.address,
            "phone": spec.phone,
            "business_hours": spec.business_hours,
        },
    )
    existing = {service.code: service for service in clinic.services.all()}
    created_count = updated_count = 0
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
            Service.objects.create(clinic=clinic, code=item.code, **fields)
            created_count += 1
        elif _differs(service, fields):
            for name, value in fields.items():
                setattr(service, name, value)
            service.save()
            updated_count += 1
    listed = {item.code for item in spec.services}
    deactivated = clinic.services.filter(active=True).exclude(code__in=listed).update(active=False)
    return ClinicImportResult(clinic, created, created_count, updated_count, deactivated)


def _differs(service: Service, fields: dict) -> bool:
    return any(getattr(service, name) != value for name, value in fields.items())
