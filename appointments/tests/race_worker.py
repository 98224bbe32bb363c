"""One contender in a race for one slot, as its own process: `python -m
appointments.tests.race_worker CONVERSATION_ID SERVICE START_ISO GO_AT` holds and books the slot
at wall-clock GO_AT (all contenders start together) and prints "won" or "taken"."""

import os
import sys
import time
from datetime import datetime, timedelta


def main(conversation_id: int, service_code: str, start: str, go_at: float) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")
    import django

    django.setup()
    from appointments.services import calendar
    from appointments.slots import Slot
    from conversations.models import ConversationSession
    from pricing.models import Service

    conversation = ConversationSession.objects.select_related("clinic").get(pk=conversation_id)
    cal = calendar.calendar_of(conversation.clinic)
    service = Service.objects.get(clinic=conversation.clinic, code=service_code)
    starts = datetime.fromisoformat(start)
    slot = Slot(provider=next(iter(cal.providers)), start=starts, end=starts + timedelta(hours=1))
    time.sleep(max(0.0, go_at - time.time()))
    try:
        calendar.book(calendar=cal, conversation=conversation, service=service, slot=slot)
    except calendar.SlotTaken:
        return "taken"
    return "won"


if __name__ == "__main__":
    conversation_id, service_code, start, go_at = sys.argv[1:5]
    print(main(int(conversation_id), service_code, start, float(go_at)), flush=True)
