"""The clinic file (`import_clinic`), validated strictly: we own this format, so unknown fields
are errors, and every error names the field it is about (`services.2.price: ...`)."""

import re
import zoneinfo
from datetime import date
from typing import Annotated

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from channels.registry import DEFAULT_KIND, kinds
from nlu import LANGUAGES
from notifications.spec import StaffNotifySpec
from pricing.spec import NonEmpty, ServiceSpec, Slug

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
HOURS_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")


class ClinicFileError(ValueError):
    """A clinic file that cannot be imported; the message names the offending field."""


class ChannelSpec(BaseModel):
    """How the clinic's WhatsApp number is reached (channels.registry)."""

    model_config = ConfigDict(extra="forbid")

    kind: str = DEFAULT_KIND

    @field_validator("kind")
    @classmethod
    def known_kind(cls, kind: str) -> str:
        if kind not in kinds():
            raise ValueError(f"{kind!r} is not a channel clinicbot speaks; use {kinds()}")
        return kind


def _checked_hours(hours: dict[str, str | None]) -> dict[str, str | None]:
    for day, span in hours.items():
        if day not in WEEKDAYS:
            raise ValueError(f"unknown day {day!r}; use {WEEKDAYS}")
        if span is not None and not _is_valid_span(span):
            raise ValueError(f"{day}: {span!r} is not an opening span like '09:00-20:00'")
    return hours


class BookingSpec(BaseModel):
    """How the clinic books (appointments.models.BookingRules)."""

    model_config = ConfigDict(extra="forbid")

    min_notice_minutes: int = Field(default=120, ge=0, le=30 * 24 * 60)
    horizon_days: int = Field(default=60, ge=1, le=366)
    slot_step_minutes: int = Field(default=15, ge=5, le=240)
    reminders_before_minutes: list[Annotated[int, Field(gt=0, le=14 * 24 * 60)]] = [1440, 120]


class ProviderSpec(BaseModel):
    """A doctor, hygienist or chair and the services they perform, with weekly hours."""

    model_config = ConfigDict(extra="forbid")

    code: Slug
    name: dict[str, NonEmpty]
    services: list[str] = []  # empty: every service
    hours: dict[str, str | None]

    _hours = field_validator("hours")(_checked_hours)


class ClosureSpec(BaseModel):
    """Whole days, inclusive, of the whole clinic (provider null) or one provider."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    first: date = Field(alias="from")
    last: date = Field(alias="to")
    provider: str | None = None
    reason: str = ""

    @model_validator(mode="after")
    def in_order(self):
        if self.last < self.first:
            raise ValueError("'to' is before 'from'")
        return self


FaqText = Annotated[str, Field(min_length=1, max_length=2000)]


class FaqSpec(BaseModel):
    """A question the clinic answers in its own words (knowledge.models.FaqEntry), matched by
    key. Every language with questions needs an answer: the bot answers in the patient's."""

    model_config = ConfigDict(extra="forbid")

    key: Slug
    questions: dict[str, list[FaqText]]
    answer: dict[str, FaqText]
    tags: list[NonEmpty] = []

    @field_validator("questions")
    @classmethod
    def asked_in_known_languages(cls, questions: dict[str, list[str]]):
        _known_languages(questions)
        if not any(questions.values()):
            raise ValueError("at least one question is needed")
        return questions

    @field_validator("answer")
    @classmethod
    def answered_where_asked(cls, answer: dict[str, str], info: ValidationInfo):
        _known_languages(answer)
        asked = {lang for lang, variants in info.data.get("questions", {}).items() if variants}
        if missing := sorted(asked - set(answer)):
            raise ValueError(f"no answer in {', '.join(missing)}, which has questions")
        return answer


def _known_languages(by_language: dict) -> None:
    if unknown := sorted(set(by_language) - set(LANGUAGES)):
        raise ValueError(f"unknown language {', '.join(unknown)}; use {LANGUAGES}")


class ClinicSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slug: Slug
    name: NonEmpty
    whatsapp_instance: NonEmpty
    external_org_id: str = ""
    timezone: str
    default_language: str
    address: str = ""
    phone: str = ""
    business_hours: dict[str, str | None] = {}
    # What a patient with an urgent symptom is told, by language.
    emergency_instructions: dict[str, NonEmpty] = {}
    services: list[ServiceSpec] = []
    channel: ChannelSpec = ChannelSpec()
    booking: BookingSpec = BookingSpec()
    providers: list[ProviderSpec] = []
    closures: list[ClosureSpec] = []
    # None (no `faq` in the file): the clinic's FAQ is left as staff keep it in the admin.
    faq: list[FaqSpec] | None = None
    staff_notify: StaffNotifySpec | None = None  # absent: the admin's settings stay

    @field_validator("timezone")
    @classmethod
    def known_timezone(cls, name: str) -> str:
        if name not in zoneinfo.available_timezones():
            raise ValueError(f"{name!r} is not an IANA timezone")
        return name

    @field_validator("default_language")
    @classmethod
    def known_language(cls, code: str) -> str:
        if code not in LANGUAGES:
            raise ValueError(f"{code!r} is not one of {LANGUAGES}")
        return code

    _business_hours = field_validator("business_hours")(_checked_hours)

    @field_validator("emergency_instructions")
    @classmethod
    def instructions_in_known_languages(cls, texts: dict[str, str]) -> dict[str, str]:
        if unknown := sorted(set(texts) - set(LANGUAGES)):
            raise ValueError(f"{', '.join(unknown)} is not one of {LANGUAGES}")
        return texts

    @model_validator(mode="after")
    def unique_service_codes(self):
        codes = [service.code for service in self.services]
        duplicates = sorted({code for code in codes if codes.count(code) > 1})
        if duplicates:
            raise ValueError(f"services: duplicate code {', '.join(duplicates)}")
        return self

    @model_validator(mode="after")
    def providers_name_known_services(self):
        services = {service.code for service in self.services}
        codes = [provider.code for provider in self.providers]
        for i, provider in enumerate(self.providers):
            if codes.count(provider.code) > 1:
                raise ValueError(f"providers.{i}.code: duplicate code {provider.code!r}")
            if unknown := sorted(set(provider.services) - services):
                raise ValueError(f"providers.{i}.services: unknown service {', '.join(unknown)}")
        for i, closure in enumerate(self.closures):
            if closure.provider is not None and closure.provider not in codes:
                raise ValueError(f"closures.{i}.provider: unknown provider {closure.provider!r}")
        return self

    @model_validator(mode="after")
    def unique_faq_keys(self):
        keys = [entry.key for entry in self.faq or []]
        for i, key in enumerate(keys):
            if keys.index(key) != i:
                raise ValueError(f"faq.{i}.key: duplicate key {key!r}")
        return self


def _is_valid_span(span: str) -> bool:
    if not HOURS_PATTERN.match(span):
        return False
    opens, closes = span.split("-")
    return opens < closes


def parse_clinic_file(data: object) -> ClinicSpec:
    try:
        return ClinicSpec.model_validate(data)
    except ValidationError as exc:
        raise ClinicFileError(_describe(exc)) from None


def _describe(exc: ValidationError) -> str:
    lines = []
    for error in exc.errors():
        field = ".".join(str(part) for part in error["loc"]) or "(file)"
        lines.append(f"{field}: {error['msg']}")
    return "; ".join(lines)
