"""Stored rows → domain measurements and courses: score extraction, missed measures, phases, classification."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ketaflow.domain import outcomes as domain
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes import progress
from ketaflow.outcomes.models import BoosterReview, MeasurementRequest
from ketaflow.outcomes.tests.progress_factories import RELAPSE, add_score, result_for, scores, started_course
from ketaflow.treatment.models import Course, InfusionSession
from ketaflow.treatment.tests.factories import course_for, patient_at, place_session

T0 = dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


def test_score_is_the_total_and_the_bpi_severity() -> None:
    assert progress.score_from_result("phq9", result_for("phq9", 14)) == 14.0
    assert progress.score_from_result("peg3", result_for("peg3", 6.33)) == 6.33
    assert progress.score_from_result("bpi_sf", result_for("bpi_sf", 5.25)) == 5.25
    # Answers that could not be scored are a missed measure, not a zero.
    assert progress.score_from_result("phq9", {"total": None, "complete": False}) is None
    assert progress.score_from_result("phq9", {"total": True}) is None
    assert progress.score_from_result("phq9", None) is None


def test_rows_become_sorted_measurements_per_instrument_with_missed_ones() -> None:
    rows = [
        ("phq9", T0 + dt.timedelta(days=7), result_for("phq9", 8)),
        ("phq9", T0, result_for("phq9", 20)),
        ("cssrs", T0, {"total": None}),  # no response rule: left out
        ("gad7", T0, result_for("gad7", 11)),
    ]
    made = progress.measurements_from_rows(rows, [("phq9", T0 + dt.timedelta(days=3))])
    assert set(made) == {"phq9", "gad7"}
    assert made["phq9"] == [
        domain.Measurement("phq9", T0, 20.0),
        domain.Measurement("phq9", T0 + dt.timedelta(days=3), None),
        domain.Measurement("phq9", T0 + dt.timedelta(days=7), 8.0),
    ]


def _sessions(course: Course, starts: list[dt.datetime], status: str = "discharged") -> list[InfusionSession]:
    return [
        InfusionSession(
            course=course,
            sequence=i + 1,
            starts_at=s,
            ends_at=s + dt.timedelta(minutes=100),
            status=status,
        )
        for i, s in enumerate(starts)
    ]


def test_phases_of_a_completed_course_with_maintenance(clinic: Any) -> None:
    course = course_for(clinic, patient_at(clinic, clinic.wdm))  # protocol: 6 induction sessions
    course.status = Course.Status.COMPLETED
    starts = [T0 + dt.timedelta(days=2 * i) for i in range(6)] + [T0 + dt.timedelta(days=30)]
    sessions = _sessions(course, starts)
    sessions.insert(2, _sessions(course, [T0 + dt.timedelta(days=3)], "cancelled")[0])
    timeline = progress.course_timeline(course, sessions, next_start=T0 + dt.timedelta(days=90))
    assert len(timeline.sessions) == 7  # the cancelled one is not an infusion
    induction_end = starts[5] + dt.timedelta(minutes=100)
    course_end = starts[6] + dt.timedelta(minutes=100)
    assert timeline.phases == (
        progress.Phase("induction", T0, induction_end),
        progress.Phase("maintenance", induction_end, course_end),
        progress.Phase("follow_up", course_end, T0 + dt.timedelta(days=90)),
    )
    assert timeline.domain_course == domain.Course(str(course.uuid), T0, induction_end, course_end)


def test_an_induction_in_progress_has_no_end_and_a_booster_course_no_induction(clinic: Any) -> None:
    course = course_for(clinic, patient_at(clinic, clinic.wdm))
    course.status = Course.Status.INDUCTION
    timeline = progress.course_timeline(course, _sessions(course, [T0, T0 + dt.timedelta(days=2)]))
    assert [p.kind for p in timeline.phases] == ["induction"]
    assert timeline.domain_course is not None and timeline.domain_course.induction_ended_at is None
    course.status = Course.Status.MAINTENANCE
    booster = progress.course_timeline(course, _sessions(course, [T0]), booster=True)
    assert booster.phases == (progress.Phase("maintenance", T0, None),)
    assert progress.course_timeline(course, []).domain_course is None


def test_patient_progress_classifies_each_course_against_its_own_baseline(clinic: Any) -> None:
    patient = patient_at(clinic, clinic.wdm)
    first = timezone.now() - dt.timedelta(days=150)
    started_course(clinic, patient, first=first)
    scores(patient, first, RELAPSE)
    second = first + dt.timedelta(days=80)
    started_course(clinic, patient, first=second, sessions=2, status=Course.Status.MAINTENANCE)
    add_score(patient, "phq9", 16, second - dt.timedelta(days=1))
    add_score(patient, "phq9", 7, second + dt.timedelta(days=5))
    MeasurementRequest.objects.create(
        patient=patient,
        course=Course.objects.filter(patient=patient).first(),
        instrument="phq9",
        due_at=second + dt.timedelta(days=3),
        expires_at=second + dt.timedelta(days=4),
        status=MeasurementRequest.Status.EXPIRED,
    )
    data = progress.patient_progress(patient=patient)
    [phq9] = data.instruments
    assert phq9.instrument_id == "phq9" and phq9.label == "PHQ-9"
    first_course, second_course = (r.classification for r in phq9.results)
    assert first_course.status is domain.Status.RELAPSE and first_course.baseline == 20.0
    assert second_course.status is domain.Status.RESPONSE and second_course.baseline == 16.0
    assert second_course.missed_measures == 1
    assert phq9.results[0].change_text == "25% lower"
    assert 'data-instrument="phq9"' in phq9.svg and phq9.svg.count("data-score=") == len(RELAPSE) + 2
    assert phq9.svg.count('data-kind="infusion"') == 8
    assert phq9.svg.count('data-kind="baseline"') == 2  # one per course
    assert [p.course for p in phq9.chart.points][-3:] == ["Course 1", "Course 2", "Course 2"]


def test_entered_in_error_scores_and_other_patients_are_left_out(clinic: Any) -> None:
    patient, other = patient_at(clinic, clinic.wdm), patient_at(clinic, clinic.wdm, 1)
    add_score(patient, "phq9", 12, T0)
    wrong = add_score(patient, "phq9", 27, T0 + dt.timedelta(days=1))
    QuestionnaireResponse.objects.filter(pk=wrong.pk).update(entered_in_error=True)
    add_score(other, "phq9", 3, T0)
    assert progress.patient_measurements(patient) == {"phq9": [domain.Measurement("phq9", T0, 12.0)]}


def test_progress_reads_a_fixed_number_of_queries_at_two_sizes(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    for index, (sessions, days) in enumerate(((2, 3), (12, 40))):
        patient = patient_at(clinic, clinic.wdm, index)
        first = timezone.now() - dt.timedelta(days=days + 5)
        course = started_course(clinic, patient, first=first, sessions=sessions, gap_days=1)
        for day in range(-2, days):
            add_score(patient, "phq9", 20 - day % 15, first + dt.timedelta(days=day))
            add_score(patient, "gad7", 15 - day % 10, first + dt.timedelta(days=day))
        BoosterReview.objects.create(
            patient=patient, course=course, instrument="phq9", why=["x"], engine_version=domain.VERSION
        )
        place_session(clinic, course, start=first + dt.timedelta(days=days + 10))
        # Expect 6 queries: courses, sessions, booster courses, scores, missed measures, open reviews.
        with django_assert_num_queries(6):
            data = progress.patient_progress(patient=patient)
        assert len(data.instruments) == 2 and len(data.open_reviews) == 1
        assert data.instruments[0].svg.count("data-score=") == days + 2
