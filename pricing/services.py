"""Staff writes to a clinic's price list: a price history for every change, and CSV imports.

Every path that changes prices (the admin, a CSV file, the clinic file) announces the new list to
the request path after commit (pricing.cache.bump_version): the next patient message is answered
with the new price.
"""

import csv
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from pydantic import ValidationError

from nlu import LANGUAGES
from pricing.cache import bump_version
from pricing.models import PriceChange, Service
from pricing.spec import ServiceSpec

CSV_REQUIRED = ("code", "price", "currency")
CSV_OPTIONAL = ("duration_minutes", "aliases", *(f"name_{code}" for code in LANGUAGES))
MAX_CSV_ROWS = 2000
MAX_ERRORS_SHOWN = 20


def price_changes_record(*, changes: list[tuple[Service, Decimal | None]], actor, source) -> None:
    """History rows for services whose price changed (old None: the service is new)."""
    user = actor if actor is not None and actor.is_authenticated else None
    PriceChange.objects.bulk_create(
        PriceChange(
            service=service,
            clinic_id=service.clinic_id,
            changed_by=user,
            old_price=old,
            new_price=service.price,
            currency=service.currency,
            source=source,
        )
        for service, old in changes
        if old is None or Decimal(old) != service.price
    )


class PriceImportError(ValueError):
    """A CSV file that cannot be imported; `errors` name each row and column at fault."""

    def __init__(self, errors: list[str]):
        self.errors = errors[:MAX_ERRORS_SHOWN]
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class CsvImportResult:
    created: int
    updated: int
    unchanged: int


def services_import_csv(*, clinic, text: str, actor) -> CsvImportResult:
    """Create or update `clinic`'s services from CSV text (header: code, price, currency, and
    optionally name_<language>, duration_minutes, aliases separated by "|"). Services are matched
    by code; ones not in the file are left alone. All or nothing: a bad row changes nothing."""
    with transaction.atomic():
        existing = {s.code: s for s in Service.objects.select_for_update().filter(clinic=clinic)}
        specs = _csv_specs(text, existing)
        new = [Service(clinic=clinic, code=spec.code, **_fields(spec)) for spec in specs]
        new = [s for s in new if s.code not in existing]
        changed, history = _csv_updates(specs, existing)
        Service.objects.bulk_create(new)
        Service.objects.bulk_update(changed, [*SPEC_FIELDS, "active"])
        history += [(service, None) for service in new]
        price_changes_record(changes=history, actor=actor, source=PriceChange.Source.CSV)
        # Bulk writes send no signal: announce the new list ourselves.
        transaction.on_commit(lambda: bump_version(clinic.id))
    return CsvImportResult(len(new), len(changed), len(specs) - len(new) - len(changed))


SPEC_FIELDS = ["names", "aliases", "price", "currency", "duration_minutes"]


def _fields(spec: ServiceSpec) -> dict:
    return {
        "names": spec.name,
        "aliases": spec.aliases,
        "price": spec.price,
        "currency": spec.currency,
        "duration_minutes": spec.duration_minutes,
    }


def _csv_updates(specs, existing) -> tuple[list[Service], list[tuple[Service, Decimal]]]:
    changed, history = [], []
    for spec in specs:
        service = existing.get(spec.code)
        if service is None:
            continue
        old_price = service.price
        fields = _fields(spec) | {"active": True}
        if all(getattr(service, name) == value for name, value in fields.items()):
            continue
        for name, value in fields.items():
            setattr(service, name, value)
        changed.append(service)
        history.append((service, old_price))
    return changed, history


def _csv_specs(text: str, existing: dict[str, Service]) -> list[ServiceSpec]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    columns = [c.strip() for c in reader.fieldnames or []]
    missing = [c for c in CSV_REQUIRED if c not in columns]
    unknown = [c for c in columns if c not in CSV_REQUIRED + CSV_OPTIONAL]
    if missing or unknown:
        raise PriceImportError(
            [f"header: missing column {c!r}" for c in missing]
            + [f"header: unknown column {c!r}" for c in unknown]
        )
    specs, errors, seen = [], [], {}
    for line, row in enumerate(reader, start=2):
        if line - 1 > MAX_CSV_ROWS:
            raise PriceImportError([f"more than {MAX_CSV_ROWS} rows"])
        row = {(k or "").strip(): (v or "").strip() for k, v in row.items()}
        code = row.get("code", "")
        if code in seen:
            errors.append(f"row {line}, code: {code!r} is also on row {seen[code]}")
            continue
        seen[code] = line
        try:
            specs.append(ServiceSpec.model_validate(_row_spec(row, existing.get(code))))
        except ValidationError as exc:
            errors += [f"row {line}, {_where(e)}: {e['msg']}" for e in exc.errors()]
    if errors:
        raise PriceImportError(errors)
    return specs


def _row_spec(row: dict[str, str], service: Service | None) -> dict:
    """A clinic-file service from a CSV row; an existing service keeps what the row leaves out."""
    names = {code: row[f"name_{code}"] for code in LANGUAGES if row.get(f"name_{code}")}
    spec = {
        "code": row["code"],
        "price": row["price"] or None,
        "currency": row["currency"].upper(),
        "name": names or (service.names if service else {}),
        "aliases": service.aliases if service else [],
        "duration_minutes": service.duration_minutes if service else None,
    }
    if row.get("aliases"):
        spec["aliases"] = [a.strip() for a in row["aliases"].split("|") if a.strip()]
    if row.get("duration_minutes"):
        spec["duration_minutes"] = row["duration_minutes"]
    return spec


def _where(error: dict) -> str:
    location = ".".join(str(part) for part in error["loc"])
    return {"name": "name_<language>"}.get(location, location)
