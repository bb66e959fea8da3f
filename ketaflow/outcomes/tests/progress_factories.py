"""Test data for progress and boosters: scores as stored by the questionnaire services, courses with sessions."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ketaflow.domain import outcomes as domain
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes.models import BoosterReview
from ketaflow.treatment.models import Course, InfusionSession
from ketaflow.treatment.tests.factories import course_for, patient_at, place_session

# PHQ-9 trajectories (day from the first infusion, total). Baseline 20 three days before the start.
RELAPSE = ((-3, 20), (1, 14), (5, 8), (10, 6), (20, 5), (30, 9), (40, 13), (50, 15))
WORSENING = ((-3, 20), (1, 12), (6, 6), (13, 4), (20, 6), (27, 8))
STABLE = ((-3, 20), (1, 12), (6, 6), (13, 4), (20, 4), (27, 3))


def result_for(instrument: str, total: float | None) -> dict[str, Any]:
    """A stored ``ScoreResult.as_dict()``; the BPI keeps its severity in details (it has no total)."""
    if instrument == "bpi_sf":
        return {
            "instrument": instrument,
            "total": None,
            "band": None,
            "flags": [],
            "complete": True,
            "details": {"severity": total, "interference": 3.0},
        }
    return {
        "instrument": instrument,
        "total": total,
        "band": None,
        "flags": [],
        "complete": True,
        "details": {},
    }


def add_score(patient: Any, instrument: str, total: float | None, at: dt.datetime) -> QuestionnaireResponse:
    return QuestionnaireResponse.objects.create(
        patient=patient,
        instrument=instrument,
        answers=[],
        result=result_for(instrument, total),
        engine_version="test",
        completed_at=at,
    )


def started_course(
    clinic: Any,
    patient: Any,
    *,
    first: dt.datetime,
    sessions: int = 6,
    gap_days: int = 2,
    status: str = Course.Status.COMPLETED,
    slug: str = "iv-depression-standard",
) -> Course:
    """A course whose sessions were given every ``gap_days`` from ``first`` (discharged, or booked if future)."""
    course = course_for(clinic, patient, slug)
    now = timezone.now()
    for index in range(sessions):
        start = first + dt.timedelta(days=index * gap_days)
        session = place_session(
            clinic,
            course,
            start=start,
            status=InfusionSession.Status.DISCHARGED if start < now else InfusionSession.Status.BOOKED,
        )
        session.sequence = index + 1
        session.save(update_fields=["sequence"])
    course.status = status
    course.save(update_fields=["status"])
    return course


def scores(
    patient: Any, first: dt.datetime, trajectory: tuple[tuple[int, float], ...], instrument: str = "phq9"
) -> None:
    for day, total in trajectory:
        add_score(patient, instrument, total, first + dt.timedelta(days=day, hours=-2))


def open_review_at_wdm(clinic: Any) -> dict[str, Any]:
    """A West Des Moines patient with a course, PHQ-9 scores and an open booster review (URL matrix)."""
    patient = patient_at(clinic, clinic.wdm)
    first = timezone.now() - dt.timedelta(days=60)
    course = started_course(clinic, patient, first=first)
    scores(patient, first, RELAPSE)
    review = BoosterReview.objects.create(
        patient=patient,
        course=course,
        instrument="phq9",
        why=["PHQ-9 relapse (test)."],
        classification={},
        engine_version=domain.VERSION,
    )
    return {"patient": patient, "course": course, "review": review}
