"""Outcomes reads for the measurement workflow: completion rates, the link page and the Follow-up worklist.

Every list here is fetched with its related rows decided once (``select_related``) so page query counts do not
grow with the number of rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.db.models.fields.json import KT
from django.utils import timezone

from ketaflow.outcomes.models import CheckIn, MeasurementRequest, UrgentTask

R = MeasurementRequest.Status


def token_hash(raw: str) -> str:
    """SHA-256 of a link token: only this is stored."""
    return hashlib.sha256(raw.encode()).hexdigest()


def _moment(value: dt.date | dt.datetime, *, end: bool) -> dt.datetime:
    """A date becomes local midnight (the end date is inclusive: midnight of the next day)."""
    if isinstance(value, dt.datetime):
        return value if timezone.is_aware(value) else timezone.make_aware(value)
    day = value + dt.timedelta(days=1) if end else value
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def completion_rates(
    *,
    start: dt.date | dt.datetime,
    end: dt.date | dt.datetime,
    location_ids: Iterable[int] | None = None,
) -> list[dict[str, Any]]:
    """Completed / (completed + expired) per instrument, location and timepoint, for measures due in the range.

    ``start``/``end`` are dates (inclusive, local clinic days) or aware datetimes (``end`` exclusive);
    ``location_ids`` None means every location. Cancelled and still-open measures are not counted. One SQL
    query (GROUP BY); ``timepoint`` is the first reason the measure was due (``timepoints[0]``).
    Rows: ``{"instrument", "location_id", "location", "timepoint", "completed", "expired", "total", "rate"}``
    with ``rate`` a fraction 0-1 (None when nothing was counted), sorted by location, instrument, timepoint.
    """
    rows = MeasurementRequest.objects.filter(
        due_at__gte=_moment(start, end=False),
        due_at__lt=_moment(end, end=True),
        status__in=[R.COMPLETED, R.EXPIRED],
    )
    if location_ids is not None:
        rows = rows.filter(course__location_id__in=list(location_ids))
    grouped = (
        rows.annotate(timepoint=KT("timepoints__0"))
        .values("instrument", "course__location_id", "course__location__name", "timepoint")
        .annotate(
            completed=Count("id", filter=Q(status=R.COMPLETED)),
            expired=Count("id", filter=Q(status=R.EXPIRED)),
        )
        .order_by("course__location__name", "instrument", "timepoint")
    )
    result = []
    for row in grouped:
        total = row["completed"] + row["expired"]
        result.append(
            {
                "instrument": row["instrument"],
                "location_id": row["course__location_id"],
                "location": row["course__location__name"],
                "timepoint": row["timepoint"],
                "completed": row["completed"],
                "expired": row["expired"],
                "total": total,
                "rate": (row["completed"] / total) if total else None,
            }
        )
    return result


# --- the patient's link --------------------------------------------------------------------------------


def request_for_token(raw: str) -> MeasurementRequest | None:
    if not raw or len(raw) > 200:
        return None
    return (
        MeasurementRequest.objects.select_related("patient", "course__location")
        .filter(token_hash=token_hash(raw))
        .first()
    )


def check_in_for_token(raw: str) -> CheckIn | None:
    if not raw or len(raw) > 200:
        return None
    return (
        CheckIn.objects.select_related("patient", "session__location")
        .filter(token_hash=token_hash(raw))
        .first()
    )


def open_requests_for_patient(patient_id: int, *, now: dt.datetime | None = None) -> list[MeasurementRequest]:
    """The patient-rated measures sent to this patient whose window is still open, oldest due first."""
    now = now or timezone.now()
    return list(
        MeasurementRequest.objects.filter(
            patient_id=patient_id,
            status=R.SENT,
            rater=MeasurementRequest.Rater.PATIENT,
            due_at__lte=now,
            expires_at__gt=now,
        )
        .select_related("course__location")
        .order_by("due_at", "instrument", "id")
    )


# --- the Follow-up worklist ----------------------------------------------------------------------------


def _location_filter(user: Any, location_ids: Iterable[int] | None) -> list[int]:
    allowed = set(user.location_ids())
    if location_ids is None:
        return sorted(allowed)
    return sorted(allowed & set(location_ids))


def checkins_to_review(*, location_ids: list[int]) -> QuerySet[CheckIn]:
    """Answered check-ins nobody has reviewed yet at these locations: flagged first, then oldest answer."""
    return (
        CheckIn.objects.filter(
            status=CheckIn.Status.ANSWERED,
            reviewed_at__isnull=True,
            session__location_id__in=location_ids,
        )
        .select_related("patient", "session__location")
        .order_by("-needs_attention", "answered_at", "id")
    )


def open_urgent_tasks(*, location_ids: list[int]) -> QuerySet[UrgentTask]:
    return (
        UrgentTask.objects.filter(
            status__in=[UrgentTask.Status.OPEN, UrgentTask.Status.ACKNOWLEDGED],
            location_id__in=location_ids,
        )
        .select_related("patient", "location", "assigned_to", "acknowledged_by", "escalated_to")
        .order_by("-status", "created_at", "id")  # open before acknowledged
    )


def clinician_measures_due(
    *, location_ids: list[int], now: dt.datetime | None = None
) -> QuerySet[MeasurementRequest]:
    """Clinician-rated measures (MADRS) whose window is open at these locations."""
    now = now or timezone.now()
    return (
        MeasurementRequest.objects.filter(
            rater=MeasurementRequest.Rater.CLINICIAN,
            status=R.SCHEDULED,
            due_at__lte=now,
            expires_at__gt=now,
            course__location_id__in=location_ids,
        )
        .select_related("patient", "course__location", "session")
        .order_by("expires_at", "id")
    )


def worklist(*, user: Any, location_ids: Iterable[int] | None = None, limit: int = 100) -> dict[str, Any]:
    """The Follow-up page: urgent tasks, check-ins to review and clinician-rated measures, at the user's locations."""
    ids = _location_filter(user, location_ids)
    return {
        "location_ids": ids,
        "tasks": list(open_urgent_tasks(location_ids=ids)[:limit]),
        "checkins": list(checkins_to_review(location_ids=ids)[:limit]),
        "measures": list(clinician_measures_due(location_ids=ids)[:limit]),
    }


def check_in_for_staff(*, user: Any, uuid: Any) -> CheckIn | None:
    return (
        CheckIn.objects.select_related("patient", "session__location")
        .filter(uuid=uuid, session__location_id__in=list(user.location_ids()))
        .first()
    )


def urgent_task_for_staff(*, user: Any, uuid: Any) -> UrgentTask | None:
    return (
        UrgentTask.objects.select_related("patient", "location")
        .filter(uuid=uuid, location_id__in=list(user.location_ids()))
        .first()
    )


def clinician_measure_for_staff(*, user: Any, uuid: Any) -> MeasurementRequest | None:
    return (
        MeasurementRequest.objects.select_related("patient", "course__location")
        .filter(
            uuid=uuid,
            rater=MeasurementRequest.Rater.CLINICIAN,
            course__location_id__in=list(user.location_ids()),
        )
        .first()
    )
