"""The dashboard: percentiles per lane by hour from the metrics table, the fast lane's share,
the cache hit rate, slow replies as alerts, follow-ups and the breaker, drawn as inline SVG, in
the same number of queries whatever the row count."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from conversations.dashboard import dashboard_figures
from conversations.models import ConversationSession, Message, MessageMetric

DASHBOARD = "/admin/conversations/messagemetric/dashboard/"


def metrics(clinic, totals, *, lane="fast", hours_ago=1, cache_hits=3):
    """One stored reply per total (ms), `hours_ago` hours back."""
    session = ConversationSession.objects.filter(clinic=clinic).first()
    session = session or ConversationSession.objects.create(clinic=clinic, patient_phone="7900111")
    at = timezone.now() - timedelta(hours=hours_ago)
    rows = []
    for total in totals:
        message = Message.objects.create(
            clinic=clinic, session=session, direction="out", received_at=at, lane=lane
        )
        rows.append(
            MessageMetric(
                message=message, clinic=clinic, lane=lane, total_ms=total, cache_hits=cache_hits
            )
        )
    MessageMetric.objects.bulk_create(rows)
    # created_at is auto_now_add: move the rows into the hour they stand for.
    MessageMetric.objects.filter(message__in=[r.message for r in rows]).update(created_at=at)


def test_percentiles_shares_and_alerts_come_from_the_metrics(clinic):
    metrics(clinic, [float(ms) for ms in range(1, 101)])  # 1..100 ms
    metrics(clinic, [2000.0, 6000.0], lane="llm", cache_hits=0)
    metrics(clinic, [50.0], hours_ago=30)  # outside the last 24 h, inside 7 days
    figures = dashboard_figures(MessageMetric.objects.all())
    day, week = figures["windows"]
    assert day.lanes["fast"]["n"] == 100 and week.lanes["fast"]["n"] == 101
    assert day.lanes["fast"]["p50"] == pytest.approx(50.5)
    assert day.lanes["fast"]["p99"] == pytest.approx(99.01)
    assert day.lanes["llm"]["p50"] == pytest.approx(4000.0)
    assert day.fast_share == pytest.approx(100 / 102)
    assert day.cache_hit_rate == pytest.approx(300 / (102 * 3))
    assert day.slow == 1
    assert [(a["lane"], a["total_ms"]) for a in figures["alerts"]] == [("llm", 6000.0)]
    hours = {(row["lane"], row["n"]) for row in figures["hourly"]}
    assert hours == {("fast", 100), ("llm", 2), ("fast", 1)}
    assert figures["breaker"]["state"] == "closed"


def test_the_dashboard_draws_its_charts_and_lists_alerts(admin_client, clinic):
    metrics(clinic, [5.0, 8.0, 30.0], hours_ago=2)
    metrics(clinic, [5.0, 9.0], hours_ago=1)
    metrics(clinic, [7000.0], lane="llm")
    page = admin_client.get(DASHBOARD).content.decode()
    assert page.count('<svg xmlns="http://www.w3.org/2000/svg" class="latency-chart"') == 2
    assert 'data-series="fast p50"' in page
    assert "7000" in page and "Alerts" in page
    assert "closed" in page  # the breaker
    assert "cdn" not in page.lower() and '<script src="http' not in page


def test_the_dashboard_makes_the_same_number_of_queries_for_few_or_many_rows(
    admin_client, clinic, no_cachalot
):
    def queries_for(n):
        metrics(clinic, [float(i) for i in range(n)], hours_ago=n % 5)
        with CaptureQueriesContext(connection) as captured:
            assert admin_client.get(DASHBOARD).status_code == 200
        return len(captured)

    assert queries_for(3) == queries_for(300)


def test_a_staff_user_sees_only_their_clinics_figures(client, clinic_staff, clinic, other_clinic):
    metrics(other_clinic, [9000.0], lane="llm")
    metrics(clinic, [4.0])
    client.force_login(clinic_staff)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert response.context["alerts"] == []
    assert response.context["windows"][0].lanes["fast"]["n"] == 1
    assert "llm" not in response.context["windows"][0].lanes


def test_the_dashboard_lists_the_replies_the_outbox_gave_up(admin_client, clinic, other_clinic):
    """A reply the gateway kept refusing is stored as failed: staff see it, and where."""
    session = ConversationSession.objects.create(clinic=clinic, patient_phone="79001112233")
    Message.objects.create(
        clinic=clinic,
        session=session,
        direction="out",
        intent="price_query",
        delivery_status=Message.Delivery.FAILED,
        received_at=timezone.now() - timedelta(hours=1),
    )
    page = admin_client.get(DASHBOARD).content.decode()
    listed = page.split('id="undelivered"')[1].split('id="alerts"')[0]
    assert "reply (price_query)" in listed
    assert f"/admin/conversations/conversationsession/{session.pk}/change/" in listed
    elsewhere = admin_client.get(f"{DASHBOARD}?clinic={other_clinic.pk}").content.decode()
    assert "reply (price_query)" not in elsewhere.split('id="undelivered"')[1]
