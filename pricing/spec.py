"""What a service on a clinic's price list must hold, validated strictly: the clinic file's
`services`, the CSV import's rows. Every error names the field it is about."""

from decimal import Decimal
from typing import Annotated

from babel.numbers import list_currencies
from pydantic import BaseModel, ConfigDict, Field, field_validator

from nlu import LANGUAGES

KNOWN_CURRENCIES = frozenset(list_currencies())

Slug = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$", max_length=64)]
NonEmpty = Annotated[str, Field(min_length=1, max_length=300)]


class ServiceSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    code: Slug
    name: dict[str, NonEmpty]
    aliases: list[NonEmpty] = []
    price: Decimal = Field(gt=0, max_digits=12, decimal_places=2)
    currency: str
    duration_minutes: int | None = Field(default=None, gt=0, le=24 * 60)

    @field_validator("name")
    @classmethod
    def names_in_known_languages(cls, names: dict[str, str]) -> dict[str, str]:
        if not names:
            raise ValueError("at least one name is required")
        unknown = sorted(set(names) - set(LANGUAGES))
        if unknown:
            raise ValueError(f"unknown language {', '.join(unknown)}; use {LANGUAGES}")
        return names

    @field_validator("currency")
    @classmethod
    def known_currency(cls, code: str) -> str:
        if code not in KNOWN_CURRENCIES:
            raise ValueError(f"{code!r} is not an ISO 4217 currency code")
        return code
