"""What each kind of follow-up is allowed to do: the rules a receptionist keeps.

- transactional: about an appointment the patient has; still sent after an opt-out.
- outside_window: may go out more than 24 h after the patient last wrote (on the official
  WhatsApp Cloud API that needs an approved template; free text does not).
- cancelled_by_reply: a new message from the patient makes it pointless (a nudge).
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    APPOINTMENT_REMINDER = "appointment_reminder", _("appointment reminder")
    PRICE_NUDGE = "price_nudge", _("nudge after a price question")
    AFTERCARE_CHECKIN = "aftercare_checkin", _("check-in after a procedure")
    CUSTOM = "custom", _("custom message")


@dataclass(frozen=True, slots=True)
class Policy:
    transactional: bool
    outside_window: bool
    cancelled_by_reply: bool


POLICIES = {
    Kind.APPOINTMENT_REMINDER: Policy(
        transactional=True, outside_window=True, cancelled_by_reply=False
    ),
    Kind.PRICE_NUDGE: Policy(transactional=False, outside_window=False, cancelled_by_reply=True),
    Kind.AFTERCARE_CHECKIN: Policy(
        transactional=False, outside_window=True, cancelled_by_reply=False
    ),
    Kind.CUSTOM: Policy(transactional=False, outside_window=False, cancelled_by_reply=False),
}


def policy(kind: str) -> Policy:
    return POLICIES[Kind(kind)]
