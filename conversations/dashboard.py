"""The staff dashboard's figures of the metrics: response-time percentiles per lane by hour, the
fast lane's share, the cache hit rate, slow replies and the circuit breaker; and each clinic's
WhatsApp connection as its gateway last reported it. (The follow-ups'
figures are followups.selectors'; the admin puts them side by side.)

On PostgreSQL every figure is aggregated in the database (percentile_cont, date_trunc, FILTER),
so the page makes the same few queries whether the metrics table holds a hundred rows or ten
million; the scans are bounded to the last 7 days by the metric indexes
(conversations.models.MessageMetric). Other databases (the embedded default's SQLite) have no
percentile_cont: there one query reads the week's timings and Python computes the same figures,
which suits the small tables of a trial run.
"""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connections
from django.db.models import Aggregate, Count, FloatField, Q, Sum
from django.db.models.functions import TruncHour
from django.utils import timezone
from django.utils.translation import gettext as _

from clinicbot.runtime.breaker import database_breaker
from conversations.models import CONNECTION_DOWN, Lane

PERCENTILES = {"p50": 0.5, "p95": 0.95, "p99": 0.99}
CHART_LANES = (Lane.FAST, Lane.LLM)
SLOW_MS = 5000
ALERT_LIMIT = 50
LOOKUPS_PER_MESSAGE = 3  # clinic, session state, price list (conversations.inbound._context)


class Percentile(Aggregate):
    """PostgreSQL's continuous percentile: percentile_cont(f) WITHIN GROUP (ORDER BY x)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression, fraction: float, **extra):
        super().__init__(expression, fraction=float(fraction), **extra)


@dataclass
class Window:
    """One period's figures per lane: {"fast": {"n": .., "p50": .., ...}, ...}."""

    name: str
    since: datetime
    lanes: dict[str, dict] = field(default_factory=dict)
    replies: int = 0
    fast_share: float | None = None
    cache_hit_rate: float | None = None
    slow: int = 0


def hourly_percentiles(metrics, since: datetime) -> list[dict]:
    """[{"hour", "lane", "n", "p50", "p95", "p99"}] for every hour with replies since `since`
    (at most 168 hours x 2 lanes rows)."""
    return list(
        metrics.filter(created_at__gte=since, lane__in=CHART_LANES)
        .annotate(hour=TruncHour("created_at"))
        .values("hour", "lane")
        .annotate(
            n=Count("id"),
            **{name: Percentile("total_ms", f) for name, f in PERCENTILES.items()},
        )
        .order_by("hour", "lane")
    )


def windows_summary(metrics, now: datetime) -> list[Window]:
    """The last 24 h and 7 days, per lane, in one query (conditional aggregates)."""
    windows = [Window("24 h", now - timedelta(hours=24)), Window("7 days", now - timedelta(days=7))]
    aggregates = {}
    for i, window in enumerate(windows):
        recent = Q(created_at__gte=window.since)
        aggregates |= {
            f"n{i}": Count("id", filter=recent),
            f"hits{i}": Sum("cache_hits", filter=recent),
            f"slow{i}": Count("id", filter=recent & Q(total_ms__gt=SLOW_MS)),
            **{
                f"{name}_{i}": Percentile("total_ms", fraction, filter=recent)
                for name, fraction in PERCENTILES.items()
            },
        }
    rows = metrics.filter(created_at__gte=windows[-1].since).values("lane").annotate(**aggregates)
    for row in rows.order_by("lane"):
        for i, window in enumerate(windows):
            _add_lane(window, row, i)
    for window in windows:
        _finish(window)
    return windows


def _add_lane(window: Window, row: dict, i: int) -> None:
    n = row[f"n{i}"]
    window.lanes[row["lane"]] = {"n": n, **{p: row[f"{p}_{i}"] for p in PERCENTILES}}
    window.slow += row[f"slow{i}"]
    window.lanes[row["lane"]]["hits"] = row[f"hits{i}"] or 0


def _finish(window: Window) -> None:
    answered = {lane: v["n"] for lane, v in window.lanes.items() if lane in CHART_LANES}
    window.replies = sum(answered.values())
    if window.replies:
        window.fast_share = answered.get(Lane.FAST, 0) / window.replies
    handled = sum(v["n"] for v in window.lanes.values())
    if handled:
        hits = sum(v["hits"] for v in window.lanes.values())
        window.cache_hit_rate = hits / (handled * LOOKUPS_PER_MESSAGE)


def percentile_cont(ordered: list[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont over already sorted values: the value at `fraction` of the
    way from the first to the last, interpolated between the two nearest."""
    if not ordered:
        return None
    position = fraction * (len(ordered) - 1)
    lower, upper = math.floor(position), math.ceil(position)
    return ordered[lower] + (ordered[upper] - ordered[lower]) * (position - lower)


def percentiles_in_python(metrics, now: datetime) -> tuple[list[dict], list[Window]]:
    """`hourly_percentiles` and `windows_summary` for a database without percentile_cont: the
    same rows and figures, from one query reading the last 7 days' timings."""
    windows = [Window("24 h", now - timedelta(hours=24)), Window("7 days", now - timedelta(days=7))]
    hours: dict[tuple[datetime, str], list[float]] = defaultdict(list)
    totals = [defaultdict(list) for _ in windows]
    hits = [defaultdict(int) for _ in windows]
    rows = metrics.filter(created_at__gte=windows[-1].since).values_list(
        "created_at", "lane", "total_ms", "cache_hits"
    )
    for created_at, lane, total_ms, cache_hits in rows.iterator():
        if lane in CHART_LANES:
            # TruncHour's hour: in the current time zone.
            hour = timezone.localtime(created_at).replace(minute=0, second=0, microsecond=0)
            hours[hour, lane].append(total_ms)
        for i, window in enumerate(windows):
            if created_at >= window.since:
                totals[i][lane].append(total_ms)
                hits[i][lane] += cache_hits
    hourly = []
    for (hour, lane), values in sorted(hours.items()):
        values.sort()
        hourly.append(
            {"hour": hour, "lane": lane, "n": len(values)}
            | {name: percentile_cont(values, f) for name, f in PERCENTILES.items()}
        )
    for lane in sorted(totals[-1]):  # every lane of the week, in both windows, as in PostgreSQL
        for i, window in enumerate(windows):
            values = sorted(totals[i][lane])
            row = {
                f"n{i}": len(values),
                f"hits{i}": hits[i][lane],
                f"slow{i}": sum(1 for v in values if v > SLOW_MS),
                **{f"{name}_{i}": percentile_cont(values, f) for name, f in PERCENTILES.items()},
            }
            _add_lane(window, {"lane": lane, **row}, i)
    for window in windows:
        _finish(window)
    return hourly, windows


def slow_replies(metrics, since: datetime) -> list[dict]:
    """The latest replies over 5 s (the partial index metric_slow holds only those)."""
    return list(
        metrics.filter(created_at__gte=since, total_ms__gt=SLOW_MS)
        .order_by("-created_at")
        .values("created_at", "lane", "intent", "total_ms", "clinic__name", "message__session_id")[
            :ALERT_LIMIT
        ]
    )


def breaker_state() -> dict:
    """This web process's database breaker (each process keeps its own)."""
    return {
        "state": database_breaker.state,
        "transitions": dict(database_breaker.transitions),
    }


def dashboard_figures(metrics) -> dict:
    """The metrics' figures, from an already clinic-scoped queryset, in a number of queries
    that does not depend on the rows."""
    now = timezone.now()
    week = now - timedelta(days=7)
    if connections[metrics.db].vendor == "postgresql":
        hourly, windows = hourly_percentiles(metrics, week), windows_summary(metrics, now)
    else:
        hourly, windows = percentiles_in_python(metrics, now)
    return {
        "now": now,
        "hourly": hourly,
        "windows": windows,
        "alerts": slow_replies(metrics, week),
        "breaker": breaker_state(),
    }


@dataclass(frozen=True)
class ConnectionLine:
    """A clinic's WhatsApp connection, as the dashboard and the clinic list show it."""

    clinic: str
    text: str
    down: bool  # the number can neither send nor receive: shown in red


def connection_line(clinic) -> ConnectionLine:
    """From the clinic's row (no query): "connected since ...", "disconnected since ..."."""
    state, since = clinic.connection_state, clinic.connection_changed_at
    if not state:
        return ConnectionLine(clinic.name, _("not reported yet"), False)
    when = timezone.localtime(since).strftime("%Y-%m-%d %H:%M") if since else "?"
    down = state in CONNECTION_DOWN
    if down and clinic.connection_reason:
        text = _("disconnected since %(when)s (%(state)s, code %(code)s)") % {
            "when": when,
            "state": state,
            "code": clinic.connection_reason,
        }
    elif down:
        text = _("disconnected since %(when)s (%(state)s)") % {"when": when, "state": state}
    elif state == "open":
        text = _("connected since %(when)s") % {"when": when}
    else:
        text = _("%(state)s since %(when)s") % {"state": state, "when": when}
    return ConnectionLine(clinic.name, text, down)
