"""The demo clinic's on-duty staff: two WhatsApp numbers and the front desk's e-mail."""

import pytest

STAFF_NUMBERS = ("+972500000999", "+972500000888")
STAFF_DIGITS = {"972500000999", "972500000888"}
DESK = "desk@example.com"


@pytest.fixture
def on_duty(clinic):
    from notifications.models import StaffNotify
    from notifications.spec import EVENTS

    return StaffNotify.objects.create(
        clinic=clinic, whatsapp=list(STAFF_NUMBERS), email=[DESK], on=list(EVENTS)
    )


def staff_sends(gateway) -> list[dict]:
    """What the fake gateway sent to the on-duty numbers (not to patients)."""
    return [send for send in gateway.sent() if send["number"] in STAFF_DIGITS]
