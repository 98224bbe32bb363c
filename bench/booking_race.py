"""Processes racing to book one slot: `race(conversation_ids, ...)` starts one process per
patient, waits until every one has Django set up and is ready, then lets them all go at once
and returns what each reported ("won" or "taken"). Used by the race test
(appointments/tests/test_race.py) and by `make bench` (50 contenders).

A contender: `python -m bench.booking_race CONVERSATION_ID SERVICE START_ISO GO_FILE`.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

READY = "ready"


def contend(conversation_id: int, service_code: str, start: str, go_file: str) -> str:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "clinicbot.settings")
    import django
    from django.conf import settings

    # One plain connection per contender: fifty pools would ask the server for more
    # connections than a small PostgreSQL allows, and the race needs one each.
    settings.DATABASES["default"].setdefault("OPTIONS", {}).pop("pool", None)
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
    print(READY, flush=True)
    while not Path(go_file).exists():
        time.sleep(0.001)
    try:
        calendar.book(calendar=cal, conversation=conversation, service=service, slot=slot)
    except calendar.SlotTaken:
        return "taken"
    return "won"


def race(
    conversation_ids: list[int],
    service_code: str,
    start: datetime,
    environment: dict[str, str],
    go_file: Path,
    timeout_s: float = 120.0,
) -> list[str]:
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "bench.booking_race",
                str(conversation_id),
                service_code,
                start.isoformat(),
                str(go_file),
            ],  # fmt: skip
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for conversation_id in conversation_ids
    ]
    try:
        for process in processes:  # every contender set up before anyone goes
            line = process.stdout.readline().strip()
            if line != READY:
                raise RuntimeError(f"a contender did not start: {process.stderr.read()[-2000:]}")
        go_file.touch()
        outcomes = []
        for process in processes:
            out, err = process.communicate(timeout=timeout_s)
            if process.returncode != 0:
                raise RuntimeError(f"a contender failed: {err[-2000:]}")
            outcomes.append(out.strip().splitlines()[-1])
        return outcomes
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()


if __name__ == "__main__":
    conversation_id, service_code, start, go_file = sys.argv[1:5]
    print(contend(int(conversation_id), service_code, start, go_file), flush=True)
