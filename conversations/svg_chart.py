"""A line chart of response-time percentiles, rendered on the server as inline SVG: nothing is
loaded from a CDN and the page needs no script. The y axis is logarithmic, since the fast lane
answers in milliseconds and the LLM lane in seconds."""

import math
from datetime import datetime, timedelta

from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT = 760, 280
LEFT, RIGHT, TOP, BOTTOM = 56, 150, 16, 32
LANE_COLOURS = {"fast": "#2a7ab0", "llm": "#c0392b"}
DASHES = {"p50": "", "p95": "6 3", "p99": "2 3"}
Y_MIN_MS, Y_MAX_MS = 1.0, 100_000.0


def _y(ms: float) -> float:
    ms = min(max(ms, Y_MIN_MS), Y_MAX_MS)
    span = math.log10(Y_MAX_MS) - math.log10(Y_MIN_MS)
    share = (math.log10(ms) - math.log10(Y_MIN_MS)) / span
    return round(TOP + (1 - share) * (HEIGHT - TOP - BOTTOM), 1)


def _x(at: datetime, start: datetime, hours: int) -> float:
    share = (at - start) / timedelta(hours=hours)
    return round(LEFT + share * (WIDTH - LEFT - RIGHT), 1)


def _segments(points: list[tuple[float, float]], hour_px: float) -> list[list[tuple]]:
    """Consecutive points, split where an hour without replies leaves a gap."""
    segments: list[list[tuple]] = []
    for point in points:
        if segments and point[0] - segments[-1][-1][0] <= hour_px * 1.01:
            segments[-1].append(point)
        else:
            segments.append([point])
    return segments


def _series(rows, lane: str, percentile: str, start: datetime, hours: int) -> SafeString:
    points = [
        (_x(row["hour"], start, hours), _y(row[percentile]))
        for row in rows
        if row["lane"] == lane and row["hour"] >= start and row[percentile] is not None
    ]
    hour_px = (WIDTH - LEFT - RIGHT) / hours
    attrs = (LANE_COLOURS[lane], DASHES[percentile], f"{lane} {percentile}")
    parts = []
    for segment in _segments(points, hour_px):
        if len(segment) == 1:
            x, y = segment[0]
            parts.append(format_html('<circle cx="{}" cy="{}" r="2.5" fill="{}"/>', x, y, attrs[0]))
            continue
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in segment)
        parts.append(
            format_html(
                '<polyline points="{}" fill="none" stroke="{}" stroke-width="1.6" '
                'stroke-dasharray="{}" data-series="{}"/>',
                path,
                *attrs,
            )
        )
    return mark_safe("".join(parts))  # noqa: S308  (every part above is format_html-escaped)


def _axes(start: datetime, hours: int) -> SafeString:
    grid = []
    for ms, label in ((1, "1 ms"), (10, "10 ms"), (100, "100 ms"), (1000, "1 s"), (10_000, "10 s")):
        y = _y(ms)
        grid.append((LEFT, y, WIDTH - RIGHT, y, LEFT - 6, round(y + 4, 1), label))
    lines = format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="#ddd"/>'
        '<text x="{}" y="{}" text-anchor="end" font-size="11">{}</text>',
        grid,
    )
    step = 6 if hours <= 24 else 24
    ticks = []
    for h in range(0, hours + 1, step):
        at = start + timedelta(hours=h)
        label = at.strftime("%H:%M") if hours <= 24 else at.strftime("%d %b")
        ticks.append((_x(at, start, hours), HEIGHT - BOTTOM + 16, label))
    labels = format_html_join(
        "", '<text x="{}" y="{}" text-anchor="middle" font-size="11">{}</text>', ticks
    )
    return lines + labels


def _legend() -> SafeString:
    items = []
    for i, (lane, colour) in enumerate(LANE_COLOURS.items()):
        for j, (percentile, dash) in enumerate(DASHES.items()):
            y = TOP + 14 + (i * 3 + j) * 18
            x = WIDTH - RIGHT + 12
            items.append((x, y, x + 28, y, colour, dash, x + 34, y + 4, f"{lane} {percentile}"))
    return format_html_join(
        "",
        '<line x1="{}" y1="{}" x2="{}" y2="{}" stroke="{}" stroke-width="2" '
        'stroke-dasharray="{}"/><text x="{}" y="{}" font-size="11">{}</text>',
        items,
    )


def latency_chart(rows: list[dict], *, end: datetime, hours: int, title: str) -> SafeString:
    """An <svg> of p50/p95/p99 per lane by hour over the `hours` before `end`, from
    conversations.dashboard.hourly_percentiles rows."""
    start = (end - timedelta(hours=hours)).replace(minute=0, second=0, microsecond=0)
    series = [
        _series(rows, lane, percentile, start, hours)
        for lane in LANE_COLOURS
        for percentile in DASHES
    ]
    return format_html(
        '<svg xmlns="http://www.w3.org/2000/svg" class="latency-chart" role="img" '
        'viewBox="0 0 {w} {h}" width="{w}" height="{h}" aria-label="{t}">'
        '<title>{t}</title><rect x="0" y="0" width="{w}" height="{h}" fill="#fff"/>'
        "{axes}{series}{legend}</svg>",
        w=WIDTH,
        h=HEIGHT,
        t=title,
        axes=_axes(start, hours),
        series=mark_safe("".join(series)),  # noqa: S308  (format_html-built parts)
        legend=_legend(),
    )
