"""The follow-ups' figures the staff dashboard shows."""

from datetime import datetime, timedelta

from django.db.models import Count, Q

from followups.models import FollowUp


def followup_counts(followups, now: datetime) -> dict:
    """Due now, scheduled later, sent and failed in the last 24 h (one query)."""
    day = now - timedelta(hours=24)
    Status = FollowUp.Status
    return followups.aggregate(
        due=Count("id", filter=Q(status=Status.PENDING, due_at__lte=now)),
        scheduled=Count("id", filter=Q(status=Status.PENDING, due_at__gt=now)),
        sent=Count("id", filter=Q(status=Status.SENT, sent_at__gte=day)),
        failed=Count("id", filter=Q(status=Status.FAILED, updated_at__gte=day)),
    )
