from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.models import AuditEvent
from ketaflow.core.permissions import ensure_perm


def audit_events_filtered(
    *,
    user: Any,
    patient: Any = None,
    user_name: str = "",
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> QuerySet[AuditEvent]:
    """Audit lines a manager/auditor may see: events at their locations plus events with no location."""
    ensure_perm(user, Perm.VIEW_AUDIT)
    qs = AuditEvent.objects.select_related("location")
    if not user.is_superuser:
        qs = qs.filter(Q(location_id__in=user.location_ids()) | Q(location__isnull=True))
    if patient:
        qs = qs.filter(patient_uuid=patient)
    if user_name:
        qs = qs.filter(actor_label=user_name)
    tz = timezone.get_current_timezone()
    if date_from:
        qs = qs.filter(occurred_at__gte=dt.datetime.combine(date_from, dt.time.min, tzinfo=tz))
    if date_to:
        qs = qs.filter(
            occurred_at__lt=dt.datetime.combine(date_to + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
        )
    return qs.order_by("-occurred_at", "-id")
