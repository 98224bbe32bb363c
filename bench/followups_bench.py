"""The follow-up benchmark (issue 6): 10,000 due follow-ups dispatched by one Celery worker to
the fake gateway, each exactly once.

It runs first, while the worker is idle: the follow-ups are created in the benchmark's database,
one `followups_send_due` task is enqueued (as Celery beat would), and the rate is counted at the
gateway from the enqueue to the arrival of the last send.
"""

import json
import sys
import time

from bench import processes as procs
from bench.webhook_bench import DEMO_CLINIC

DEMO_HOURS = json.loads(DEMO_CLINIC.read_text(encoding="utf-8"))["business_hours"]

FOLLOWUPS = 10_000
PHONE_PREFIX = "7995"
TIMEOUT_S = 300

SETUP = f"""
from datetime import timedelta
from django.utils import timezone
from conversations.models import Clinic, ConversationSession, phone_index
from followups.models import FollowUp
clinic = Clinic.objects.get(slug="smile-dental")
# Open around the clock for the benchmark: business hours are tested elsewhere.
days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
clinic.business_hours = dict.fromkeys(days, "00:00-24:00")
clinic.save()
now = timezone.now()
sessions = ConversationSession.objects.bulk_create(
    [ConversationSession(clinic=clinic, patient_phone=f"{PHONE_PREFIX}{{n:07d}}", language="ru",
                         patient_phone_index=phone_index(f"{PHONE_PREFIX}{{n:07d}}"),
                         last_inbound_at=now) for n in range({FOLLOWUPS})], batch_size=2000)
FollowUp.objects.bulk_create(
    [FollowUp(conversation=s, kind="appointment_reminder", due_at=now,
              context={{"appointment_at": (now + timedelta(days=1)).isoformat()}},
              idempotency_key=f"bench:{{s.pk}}") for s in sessions], batch_size=2000)
"""
ENQUEUE = "from followups.tasks import followups_send_due; followups_send_due.delay()"
# The clinic's own hours again, as the webhook runs after this one expect them.
RESTORE_HOURS = f"""
import json
from conversations.models import Clinic
clinic = Clinic.objects.get(slug="smile-dental")
clinic.business_hours = json.loads({json.dumps(json.dumps(DEMO_HOURS))})
clinic.save()
"""
COUNT_SENT = (
    "from followups.models import FollowUp; "
    "mine = FollowUp.objects.filter(idempotency_key__startswith='bench:'); "
    "print(mine.filter(status='sent').count(), mine.count())"
)


def manage_shell(code: str, env: dict) -> str:
    return procs.run_checked([sys.executable, "manage.py", "shell", "-c", code], env, "shell")


def followups_benchmark(fake_url: str, env: dict, results) -> None:
    manage_shell(SETUP, env)
    since = len(procs.get_json(f"{fake_url}/_fake/sent?since=0"))
    started_ns = time.monotonic_ns()
    manage_shell(ENQUEUE, env)
    sends = _wait_for_followups(fake_url, since)
    numbers = [s["number"] for s in sends]
    last_ns = max((s["monotonic_ns"] for s in sends), default=started_ns)
    elapsed = (last_ns - started_ns) / 1e9
    sent_rows, rows = (int(x) for x in manage_shell(COUNT_SENT, env).split()[-2:])
    manage_shell(RESTORE_HOURS, env)
    table = "followups"
    results.add(table, "follow-ups due", "", str(rows), None)
    results.add(table, "sends received by the gateway", f"{FOLLOWUPS}", str(len(numbers)),
                len(numbers) == FOLLOWUPS)  # fmt: skip
    duplicates = len(numbers) - len(set(numbers))
    results.add(table, "patients who got a follow-up twice", "0", str(duplicates), duplicates == 0)
    results.add(table, "rows marked sent", f"{FOLLOWUPS}", str(sent_rows), sent_rows == FOLLOWUPS)
    rate = len(numbers) / elapsed if elapsed > 0 else 0.0
    results.add(table, "dispatch rate, one worker (enqueue to last arrival)", "reported",
                f"{rate:.0f} follow-ups/s ({elapsed:.1f} s)", None)  # fmt: skip


def _wait_for_followups(fake_url: str, since: int) -> list[dict]:
    deadline = time.monotonic() + TIMEOUT_S
    while True:
        sends = [
            s
            for s in procs.get_json(f"{fake_url}/_fake/sent?since={since}")
            if s["number"].startswith(PHONE_PREFIX)
        ]
        if len(sends) >= FOLLOWUPS or time.monotonic() > deadline:
            time.sleep(2.0)  # a duplicate trailing the last send must not be missed
            return [
                s
                for s in procs.get_json(f"{fake_url}/_fake/sent?since={since}")
                if s["number"].startswith(PHONE_PREFIX)
            ]
        time.sleep(0.5)
