"""The embedded default (SQLite, one process, no Redis) books correctly: the same dialogue as on
PostgreSQL through `manage.py chat`, and a second booking of a taken time is refused by the
check the calendar makes before it writes (SQLite has no exclusion constraint)."""

import json
import subprocess
import sys

from testing.servers import PROJECT_ROOT, clean_environment

SCRIPT = """
import io, json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
call_command("import_clinic", "conversations/demo/smile-dental.json", stdout=io.StringIO())

def chat(phone, lines):
    out = io.StringIO()
    sys.stdin = io.StringIO("\\n".join(lines) + "\\n")
    call_command("chat", "--json", "--phone", phone, "--now", "2026-12-07T09:00", stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]

from appointments.models import Appointment
first = chat("79990000001", ["book a cleaning tomorrow at 10", "yes"])
second = chat("79990000002", ["book a cleaning tomorrow at 10"])
print(json.dumps({
    "first": first[-1]["appointment"],
    "second": second[-1]["appointment"],
    "second_reply": second[-1]["reply"],
    "statuses": sorted(Appointment.objects.values_list("status", flat=True)),
}))
"""


def test_the_embedded_default_books_and_refuses_a_taken_time(tmp_path):
    environment = clean_environment(
        DEBUG="true",
        DJANGO_SETTINGS_MODULE="clinicbot.settings",
        DATABASE_URL=f"sqlite:///{tmp_path / 'embedded.sqlite3'}",
    )
    environment.pop("REDIS_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert result["first"]["status"] == "booked"
    assert result["first"]["starts_at"] == "2026-12-08T10:00:00+03:00"
    assert result["second"] is None  # offered other times, held nothing
    assert "11:00" in result["second_reply"]
    assert result["statuses"] == ["booked"]
