"""A clinic's `staff_notify` settings, validated strictly: the clinic file's field and the admin's
form. Every error names the field it is about (`staff_notify.quiet_hours: ...`)."""

import re
from datetime import time
from typing import Annotated

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from pydantic import BaseModel, ConfigDict, Field, field_validator

# The events that may notify; an urgent hand-off is also a hand-off (see StaffNotify.notifies).
EVENTS = (
    "urgent",
    "handoff",
    "cancel_request",
    "reminder_declined",
    "send_refused",
    "disconnected",
)
QUIET_HOURS = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
StaffNumber = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ()-]{6,30}$")]


def quiet_span(text: str) -> tuple[time, time] | None:
    """ "22:00-07:00" -> (22:00, 07:00); "" -> None. Raises ValueError for anything else."""
    if not text:
        return None
    match = QUIET_HOURS.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a span like '22:00-07:00'")
    start = time(int(match[1]), int(match[2]))
    end = time(int(match[3]), int(match[4]))
    if start == end:
        raise ValueError(f"{text!r} starts and ends at the same time")
    return start, end


class StaffNotifySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")

    whatsapp: list[StaffNumber] = []
    email: list[str] = []
    quiet_hours: str = ""
    on: list[str] = list(EVENTS)

    @field_validator("quiet_hours")
    @classmethod
    def a_span(cls, text: str) -> str:
        quiet_span(text)
        return text

    @field_validator("email")
    @classmethod
    def addresses(cls, addresses: list[str]) -> list[str]:
        for address in addresses:
            try:
                validate_email(address)
            except ValidationError:
                raise ValueError(f"{address!r} is not an e-mail address") from None
        return addresses

    @field_validator("on")
    @classmethod
    def known_events(cls, events: list[str]) -> list[str]:
        if unknown := sorted(set(events) - set(EVENTS)):
            raise ValueError(f"unknown event {', '.join(unknown)}; use {EVENTS}")
        return events

    def digits(self) -> list[str]:
        """The WhatsApp numbers as the gateway takes them: digits only."""
        return [re.sub(r"\D", "", number) for number in self.whatsapp]
