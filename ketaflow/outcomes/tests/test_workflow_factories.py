"""Test helpers for the measurement workflow (imported by the workflow tests and the browser journeys).

``sent_measure_link(clinic, instrument="phq9")`` gives a patient at West Des Moines a course whose next
infusion is tomorrow, builds its schedule, sends the open measure of ``instrument`` and returns
``(request, url)`` with the raw link URL (path only; prefix ``live_server.url`` in a browser test).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from ketaflow.outcomes import services
from ketaflow.outcomes.models import CheckIn, MeasurementRequest
from ketaflow.treatment.models import Course, InfusionSession
from ketaflow.treatment.tests.factories import course_for, patient_at, place_session


def course_with_sessions(
    clinic: Any,
    *,
    first: dt.datetime | None = None,
    count: int = 3,
    gap_days: int = 2,
    patient_index: int = 0,
    location: Any = None,
    slug: str = "iv-depression-standard",
) -> tuple[Course, list[InfusionSession]]:
    """A course at ``location`` (West Des Moines) with ``count`` sessions, the first one ``first`` (tomorrow)."""
    location = location or clinic.wdm
    patient = patient_at(clinic, location, patient_index)
    course = course_for(clinic, patient, slug=slug, location=location)
    first = first or (timezone.now() + dt.timedelta(days=1)).replace(second=0, microsecond=0)
    sessions = [
        place_session(clinic, course, start=first + dt.timedelta(days=gap_days * i)) for i in range(count)
    ]
    return course, sessions


def open_request(course: Course, instrument: str, now: dt.datetime | None = None) -> MeasurementRequest:
    now = now or timezone.now()
    return MeasurementRequest.objects.get(
        course=course, instrument=instrument, due_at__lte=now, expires_at__gt=now
    )


def sent_measure_link(
    clinic: Any, instrument: str = "phq9", *, patient_index: int = 0, location: Any = None
) -> tuple[MeasurementRequest, str]:
    """A sent, open measure of ``instrument`` and the path of its one-time link."""
    course, _ = course_with_sessions(clinic, patient_index=patient_index, location=location)
    services.course_schedule_rebuild(course_id=course.pk)
    request = open_request(course, instrument)
    raw = services.measurement_request_send(request=request)
    request.refresh_from_db()
    return request, reverse("outcomes:measure_link", args=[raw])


def sent_check_in(clinic: Any, *, patient_index: int = 0, location: Any = None) -> tuple[CheckIn, str]:
    """A discharged session yesterday with its check-in sent; returns the check-in and its link path."""
    location = location or clinic.wdm
    yesterday = timezone.now() - dt.timedelta(days=1)
    course, sessions = course_with_sessions(
        clinic, first=yesterday, count=1, patient_index=patient_index, location=location
    )
    session = sessions[0]
    InfusionSession.objects.filter(pk=session.pk).update(
        status=InfusionSession.Status.DISCHARGED, discharged_at=yesterday + dt.timedelta(hours=2)
    )
    check_in = services.check_in_create(session_id=session.pk)
    assert check_in is not None
    CheckIn.objects.filter(pk=check_in.pk).update(due_at=timezone.now() - dt.timedelta(minutes=5))
    raw = services.check_in_send(check_in=check_in)
    check_in.refresh_from_db()
    return check_in, reverse("outcomes:check_in_link", args=[raw])
