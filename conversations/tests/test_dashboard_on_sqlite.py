"""The dashboard on the embedded default's SQLite shows the figures PostgreSQL computes from the
same rows, in a number of queries that does not grow with the rows.

The SQLite side runs in a subprocess on a real SQLite file (DATABASE_URL=sqlite:///..., no Redis),
as `make run` does; the PostgreSQL side is this test's own database.
"""

import json
import subprocess
import sys
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from testing.servers import PROJECT_ROOT, clean_environment

DASHBOARD = "/admin/conversations/messagemetric/dashboard/"

# (lane, total_ms, hours before the anchor, cache hits): both windows, several hours and lanes,
# a silent reply (lane none), replies over 5 s, and rows outside the last 24 h.
ROWS = (
    [("fast", float(ms), 0, 3) for ms in range(1, 101)]
    + [("llm", 2000.0, 0, 0), ("llm", 6000.0, 0, 1)]
    + [("fast", ms, 3, 2) for ms in (5.0, 8.0, 30.0)]
    + [("none", 3.0, 2, 3), ("fast", 12.5, 22, 3), ("fast", 13.25, 22, 1)]
    + [("fast", 50.0, 25, 3), ("llm", 7000.0, 160, 0), ("fast", 40.0, 200, 3)]
)
# (status, due hours from now, sent hours ago)
FOLLOWUPS = [("pending", -1, None), ("pending", 5, None), ("sent", -3, 2), ("failed", -2, None)]

SCRIPT = """
import json, sys
import django
django.setup()
from django.core.management import call_command
call_command("migrate", verbosity=0)
from conversations.tests.test_dashboard_on_sqlite import on_this_database
print(json.dumps(on_this_database(sys.argv[1])))
"""


def anchor_now() -> datetime:
    """Half past an hour, between 30 and 90 minutes ago: every row stays at least half an hour
    from an hour's or a window's edge, so both databases bucket it alike although their clocks
    are read seconds apart."""
    return (timezone.now() - timedelta(hours=1)).replace(minute=30, second=0, microsecond=0)


def store(clinic, anchor: datetime, rows=ROWS, followups=FOLLOWUPS) -> None:
    from conversations.models import ConversationSession, Message, MessageMetric
    from followups.models import FollowUp

    session = ConversationSession.objects.filter(clinic=clinic).first()
    session = session or ConversationSession.objects.create(clinic=clinic, patient_phone="7900111")
    for lane, total, hours, hits in rows:
        at = anchor - timedelta(hours=hours)
        message = Message.objects.create(
            clinic=clinic, session=session, direction="out", received_at=at, lane=lane
        )
        MessageMetric.objects.create(
            message=message, clinic=clinic, lane=lane, total_ms=total, cache_hits=hits
        )
        # created_at is auto_now_add: move the row into the hour it stands for.
        MessageMetric.objects.filter(message=message).update(created_at=at)
    now = timezone.now()
    for i, (status, due_hours, sent_hours_ago) in enumerate(followups):
        FollowUp.objects.create(
            conversation=session,
            kind="custom",
            status=status,
            due_at=now + timedelta(hours=due_hours),
            sent_at=None if sent_hours_ago is None else now - timedelta(hours=sent_hours_ago),
            idempotency_key=f"dashboard-{i}",
        )


def figures_json(figures: dict) -> dict:
    """What the page shows, in a form two databases can be compared by: no row ids, no clock."""

    def number(value):
        return round(value, 6) if isinstance(value, float) else value

    return {
        "hourly": [
            {k: v.isoformat() if k == "hour" else number(v) for k, v in row.items()}
            for row in figures["hourly"]
        ],
        "windows": [
            {
                "name": w.name,
                "lanes": {
                    lane: {k: number(v) for k, v in values.items()}
                    for lane, values in w.lanes.items()
                },
                "replies": w.replies,
                "fast_share": number(w.fast_share),
                "cache_hit_rate": number(w.cache_hit_rate),
                "slow": w.slow,
            }
            for w in figures["windows"]
        ],
        "alerts": [
            [a["created_at"].isoformat(), a["lane"], a["intent"], a["total_ms"], a["clinic__name"]]
            for a in figures["alerts"]
        ],
        "followups": figures["followups"],
    }


def all_figures() -> dict:
    """The dashboard's figures: the metrics' and the follow-ups' (the admin shows both)."""
    from conversations.dashboard import dashboard_figures
    from conversations.models import MessageMetric
    from followups.models import FollowUp
    from followups.selectors import followup_counts

    figures = dashboard_figures(MessageMetric.objects.all())
    return figures | {"followups": followup_counts(FollowUp.objects.all(), figures["now"])}


def on_this_database(anchor: str) -> dict:
    """Run in the subprocess: the demo clinic and ROWS, then the figures, the queries they took
    (before and after 300 more rows) and what the page shows."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from conftest import import_clinic_data, load_demo_clinic_data

    clinic = import_clinic_data(load_demo_clinic_data())
    store(clinic, datetime.fromisoformat(anchor))

    def measured():
        with CaptureQueriesContext(connection) as captured:
            figures = all_figures()
        return figures, len(captured)

    figures, queries = measured()
    client = Client()
    client.force_login(get_user_model().objects.create_superuser("admin", password="x" * 20))
    page = client.get(DASHBOARD)
    html = page.content.decode()
    store(clinic, datetime.fromisoformat(anchor), rows=[("fast", 1.0, 4, 3)] * 300, followups=[])
    _, queries_with_more_rows = measured()
    return {
        "vendor": connection.vendor,
        "figures": figures_json(figures),
        "queries": [queries, queries_with_more_rows],
        "page": {
            "status": page.status_code,
            "windows": html.count('id="window-'),
            "charts": html.count('class="latency-chart"'),
        },
    }


@pytest.fixture(scope="module")
def on_sqlite(tmp_path_factory):
    """The anchor the rows hang from, and what the subprocess found on SQLite."""
    anchor = anchor_now()
    database = tmp_path_factory.mktemp("sqlite") / "db.sqlite3"
    environment = clean_environment(
        DEBUG="true",
        DATABASE_URL=f"sqlite:///{database}",
        DJANGO_SETTINGS_MODULE="clinicbot.settings",
    )
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, anchor.isoformat()],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return anchor, json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.django_db
def test_it_shows_on_sqlite_the_figures_postgresql_computes_from_the_same_rows(clinic, on_sqlite):
    anchor, found = on_sqlite
    store(clinic, anchor)
    on_postgres = figures_json(all_figures())
    assert found["vendor"] == "sqlite"
    assert found["figures"] == on_postgres
    day, week = found["figures"]["windows"]
    assert day["lanes"]["fast"]["n"] == 105 and week["lanes"]["fast"]["n"] == 106
    assert day["lanes"]["fast"]["p50"] == pytest.approx(48.0)
    assert day["lanes"]["llm"]["p50"] == pytest.approx(4000.0)
    assert day["slow"] == 1 and week["slow"] == 2
    assert found["figures"]["followups"] == {"due": 1, "scheduled": 1, "sent": 1, "failed": 1}


def test_it_draws_the_dashboard_on_sqlite_in_the_same_number_of_queries_for_more_rows(
    on_sqlite,
):
    _, found = on_sqlite
    few, many = found["queries"]
    assert few == many
    assert found["page"] == {"status": 200, "windows": 2, "charts": 2}
