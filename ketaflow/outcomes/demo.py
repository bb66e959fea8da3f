"""Synthetic outcomes workflow demo: measurement schedules for the demo courses, links sent to two patients
(one has answered), and one answered next-day check-in waiting in the nurses' Follow-up queue.

``load_outcomes_demo()`` is idempotent; run it after the treatment demo (``ketaflow.core.demo`` does).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.outcomes import services
from ketaflow.outcomes.models import CheckIn, MeasurementRequest
from ketaflow.patients.models import Patient
from ketaflow.treatment.models import Course, InfusionSession, Protocol

R = MeasurementRequest.Status
# Synthetic answers: a PHQ-9 of 14 (moderate) without item 9, a GAD-7 of 9.
DEMO_ANSWERS = {"phq9": [2, 2, 2, 2, 1, 2, 2, 1, 0], "gad7": [1, 2, 1, 2, 1, 1, 1]}
CHECK_IN_PATIENT = "DEMO-00006"


def _send_open(course: Course, now: dt.datetime) -> list[tuple[MeasurementRequest, str]]:
    sent = []
    for row in MeasurementRequest.objects.filter(
        course=course,
        rater=MeasurementRequest.Rater.PATIENT,
        status=R.SCHEDULED,
        due_at__lte=now,
        expires_at__gt=now,
    ):
        sent.append((row, services.measurement_request_send(request=row, now=now)))
    return sent


@transaction.atomic
def load_outcomes_demo() -> dict[str, Any]:
    now = timezone.now()
    rebuilt = 0
    for course in Course.objects.current().filter(patient__is_synthetic=True):
        services.course_schedule_rebuild(course_id=course.pk, now=now)
        rebuilt += 1
    answered = 0
    for chart_number, answer in (("DEMO-00002", True), ("DEMO-00003", False)):
        course = Course.objects.filter(patient__chart_number=chart_number).order_by("-created_at").first()
        if course is None or MeasurementRequest.objects.filter(course=course, sent_at__isnull=False).exists():
            continue
        for row, _ in _send_open(course, now):
            if answer and row.instrument in DEMO_ANSWERS:
                services.measurement_answer(
                    token_request=row,
                    request_uuid=row.uuid,
                    answers=list(DEMO_ANSWERS[row.instrument]),
                    now=now,
                )
                answered += 1
    check_in = _answered_check_in(now)
    return {
        "courses_scheduled": rebuilt,
        "measures": MeasurementRequest.objects.count(),
        "answered": answered,
        "check_in": str(check_in.uuid) if check_in else "",
    }


def _answered_check_in(now: dt.datetime) -> CheckIn | None:
    """Yesterday's discharged session for DEMO-00006 and its answered check-in (urinary urgency: flagged)."""
    patient = Patient.objects.filter(chart_number=CHECK_IN_PATIENT).first()
    if patient is None:
        return None
    existing = CheckIn.objects.filter(patient=patient).first()
    if existing is not None:
        return existing
    location = patient.preferred_location
    protocol = Protocol.objects.filter(slug="iv-depression-standard").first()
    if location is None or protocol is None:
        return None
    prescriber = (
        User.objects.filter(role="prescriber", is_active=True, locations=location).order_by("id").first()
    )
    nurse = User.objects.filter(role="nurse", is_active=True, locations=location).order_by("id").first()
    chair = location.chairs.order_by("id").first()
    if prescriber is None or nurse is None or chair is None:
        return None
    course = Course.objects.create(
        patient=patient,
        protocol=protocol,
        pathway=protocol.pathway,
        location=location,
        status=Course.Status.INDUCTION,
        planned_sessions=protocol.induction_sessions,
        booster_plan="Demo course (synthetic).",
    )
    start = (now - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    session = InfusionSession.objects.create(
        course=course,
        patient=patient,
        location=location,
        chair=chair,
        nurse=nurse,
        prescriber=prescriber,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=100),
        infusion_minutes=40,
        recovery_minutes=60,
        status=InfusionSession.Status.DISCHARGED,
        discharged_at=start + dt.timedelta(minutes=100),
        discharged_by=nurse,
        booked_by=nurse,
    )
    services.course_schedule_rebuild(course_id=course.pk, now=now)
    check_in = services.check_in_create(session_id=session.pk)
    if check_in is None:
        return None
    CheckIn.objects.filter(pk=check_in.pk).update(due_at=now - dt.timedelta(hours=1))
    services.check_in_send(check_in=check_in, now=now)
    check_in.refresh_from_db()
    services.check_in_answer(
        check_in=check_in,
        side_effects=["headache", "drowsiness"],
        urinary=["urgency"],
        mood=6,
        suicidal_thoughts=False,
        now=now,
    )
    return check_in
