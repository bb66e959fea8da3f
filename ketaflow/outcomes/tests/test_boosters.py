"""Booster reviews: one open review per course and instrument while the engine suggests one, kept current, and
decided by a prescriber (accept books through the series engine, all or nothing; decline needs a reason)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.domain import outcomes as domain
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes import boosters
from ketaflow.outcomes.models import BoosterReview
from ketaflow.outcomes.tests.progress_factories import (
    RELAPSE,
    STABLE,
    WORSENING,
    add_score,
    scores,
    started_course,
)
from ketaflow.scheduling.tests.factories import next_weekday_at
from ketaflow.treatment import booking
from ketaflow.treatment.models import ChairClaim, Course, InfusionSession
from ketaflow.treatment.tests.factories import clear_for_infusion, patient_at, place_session

OPEN = BoosterReview.Status.OPEN


def _patient_with(clinic: Any, trajectory: tuple[tuple[int, float], ...], *, days_ago: int = 70) -> Any:
    patient = patient_at(clinic, clinic.wdm)
    first = timezone.now() - dt.timedelta(days=days_ago)
    course = started_course(clinic, patient, first=first)
    scores(patient, first, trajectory)
    return patient, course, first


def test_relapse_opens_one_review_with_reasons_classification_and_engine_version(clinic: Any) -> None:
    patient, course, _ = _patient_with(clinic, RELAPSE)
    [review] = boosters.booster_reviews_refresh(patient=patient)
    assert (review.course, review.instrument, review.status) == (course, "phq9", OPEN)
    assert review.why[0].startswith("PHQ-9 relapse: the improvement was lost on 2 consecutive scores")
    assert review.classification["status"] == "relapse"
    assert review.classification["baseline"] == 20.0 and review.classification["latest"] == 15.0
    assert review.engine_version == domain.VERSION
    assert AuditEvent.objects.filter(
        object_uuid=review.uuid, action="create", actor_label=boosters.ENGINE_LABEL
    ).exists()


def test_refresh_is_idempotent(clinic: Any) -> None:
    patient, _, _ = _patient_with(clinic, RELAPSE)
    first = boosters.booster_reviews_refresh(patient=patient)
    audits = AuditEvent.objects.count()
    again = boosters.booster_reviews_refresh(patient=patient)
    assert [r.pk for r in again] == [r.pk for r in first]
    assert BoosterReview.objects.count() == 1
    assert AuditEvent.objects.count() == audits


def test_worsening_trend_gives_a_review_with_its_slope(clinic: Any) -> None:
    patient, _, _ = _patient_with(clinic, WORSENING, days_ago=30)
    [review] = boosters.booster_reviews_refresh(patient=patient)
    assert review.slope_per_week == pytest.approx(2.0, abs=0.01)
    assert review.classification["status"] == "response"
    assert "Consider a booster before relapse." in review.why[0]


def test_stable_responder_gets_no_review(clinic: Any) -> None:
    patient, _, _ = _patient_with(clinic, STABLE, days_ago=30)
    assert boosters.booster_reviews_refresh(patient=patient) == []
    assert not BoosterReview.objects.exists()


def test_a_new_score_supersedes_the_open_review_and_keeps_one_open(clinic: Any) -> None:
    patient, course, first = _patient_with(clinic, RELAPSE)
    [old] = boosters.booster_reviews_refresh(patient=patient)
    add_score(patient, "phq9", 16, first + dt.timedelta(days=55))
    [new] = boosters.booster_reviews_refresh(course=course)
    old.refresh_from_db()
    assert old.status == BoosterReview.Status.SUPERSEDED and old.decision_reason == boosters.REPLACED
    assert new.pk != old.pk and new.classification["latest"] == 16.0
    assert BoosterReview.objects.filter(status=OPEN).count() == 1


def test_review_no_longer_supported_by_the_scores_is_superseded_with_the_engines_reason(clinic: Any) -> None:
    patient, _, first = _patient_with(clinic, RELAPSE)
    [review] = boosters.booster_reviews_refresh(patient=patient)
    # The three worsening scores were entered in error: the patient is a steady responder again.
    QuestionnaireResponse.objects.filter(
        patient=patient, completed_at__gt=first + dt.timedelta(days=25)
    ).update(entered_in_error=True)
    assert boosters.booster_reviews_refresh(patient=patient) == []
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.SUPERSEDED
    assert review.decision_reason.startswith("No longer suggested:")


def test_planned_and_stopped_courses_are_not_boosted(clinic: Any) -> None:
    patient, course, _ = _patient_with(clinic, RELAPSE)
    [review] = boosters.booster_reviews_refresh(patient=patient)
    Course.objects.filter(pk=course.pk).update(status=Course.Status.STOPPED)
    assert boosters.booster_reviews_refresh(patient=patient) == []
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.SUPERSEDED
    assert review.decision_reason == boosters.COURSE_NOT_ASSESSED


def test_a_declined_suggestion_is_not_raised_again_until_a_new_score(clinic: Any) -> None:
    patient, _, first = _patient_with(clinic, RELAPSE)
    [review] = boosters.booster_reviews_refresh(patient=patient)
    boosters.booster_decline(
        review=review, reason="Patient prefers to wait two weeks.", declined_by=clinic.user("paul")
    )
    assert boosters.booster_reviews_refresh(patient=patient) == []
    add_score(patient, "phq9", 17, first + dt.timedelta(days=60))
    [fresh] = boosters.booster_reviews_refresh(patient=patient)
    assert fresh.pk != review.pk and fresh.classification["latest"] == 17.0


def test_saving_a_score_refreshes_the_reviews_after_commit(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import ketaflow.outcomes.signals_progress  # noqa: F401  (OutcomesConfig.ready() imports it too)

    patient = patient_at(clinic, clinic.wdm)
    first = timezone.now() - dt.timedelta(days=70)
    started_course(clinic, patient, first=first)
    with django_capture_on_commit_callbacks(execute=False):
        scores(patient, first, RELAPSE[:-1])
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        add_score(patient, "phq9", RELAPSE[-1][1], first + dt.timedelta(days=RELAPSE[-1][0]))
        assert not BoosterReview.objects.exists()  # nothing before the commit
    assert len(callbacks) >= 1
    assert BoosterReview.objects.filter(patient=patient, status=OPEN, instrument="phq9").count() == 1


def test_stopping_the_course_supersedes_its_open_review_after_commit(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import ketaflow.outcomes.signals_progress  # noqa: F401
    from ketaflow.treatment import services as treatment_services

    patient, course, _ = _patient_with(clinic, RELAPSE)
    [review] = boosters.booster_reviews_refresh(patient=patient)
    with django_capture_on_commit_callbacks(execute=True):
        treatment_services.course_status_set(
            course=course, status=Course.Status.STOPPED, changed_by=clinic.user("paul"), reason="Moved away."
        )
    review.refresh_from_db()
    assert review.status == BoosterReview.Status.SUPERSEDED


def test_a_questionnaire_without_a_total_does_not_trigger_a_refresh(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    import ketaflow.outcomes.signals_progress  # noqa: F401

    patient = patient_at(clinic, clinic.wdm)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        QuestionnaireResponse.objects.create(
            patient=patient,
            instrument="cssrs",
            answers=[],
            result={},
            engine_version="t",
            completed_at=timezone.now(),
        )
    assert [
        c for c in callbacks if getattr(c, "__module__", "") == "ketaflow.outcomes.signals_progress"
    ] == []


# --- decisions -----------------------------------------------------------------------------------------------


@pytest.fixture
def review(clinic: Any) -> BoosterReview:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    first = timezone.now() - dt.timedelta(days=70)
    started_course(clinic, patient, first=first)
    scores(patient, first, RELAPSE)
    [made] = boosters.booster_reviews_refresh(patient=patient)
    return made


def _proposal_starts(review: BoosterReview, count: int) -> list[dt.datetime]:
    proposal = booking.series_propose(
        course=review.course,
        earliest_start=next_weekday_at(0, days_ahead=2),
        preferred_time=dt.time(9),
        count=count,
    )
    return [s.start for s in proposal.plan.sessions]


def test_accept_books_a_new_course_with_the_same_protocol_through_the_series_engine(
    clinic: Any, review: BoosterReview
) -> None:
    paul = clinic.user("paul")
    starts = _proposal_starts(review, 2)
    accepted = boosters.booster_accept(review=review, starts=starts, accepted_by=paul, note="Two boosters.")
    booked = accepted.booked_course
    assert accepted.status == BoosterReview.Status.ACCEPTED and accepted.decided_by == paul
    assert accepted.decision_reason == "Two boosters."
    assert booked.protocol == review.course.protocol and booked.location == review.course.location
    assert booked.status == Course.Status.MAINTENANCE and booked.planned_sessions == 2
    sessions = list(booked.sessions.order_by("starts_at"))
    assert [s.starts_at for s in sessions] == starts and [s.sequence for s in sessions] == [1, 2]
    assert ChairClaim.objects.filter(session__course=booked).exists()
    assert AuditEvent.objects.filter(object_uuid=review.uuid, action="update", actor=paul).exists()
    # The booster course has no induction: its sessions are maintenance on the trajectory.
    from ketaflow.outcomes.progress import load_timelines

    timeline = next(t for t in load_timelines(review.patient) if t.course == booked)
    assert [p.kind for p in timeline.phases] == ["maintenance"]


def test_accept_is_all_or_nothing_when_a_slot_was_taken(clinic: Any, review: BoosterReview) -> None:
    starts = _proposal_starts(review, 2)
    blocker = started_course(clinic, patient_at(clinic, clinic.wdm, 1), first=starts[1], sessions=0)
    for chair in clinic.wdm.chairs.all():
        place_session(clinic, blocker, start=starts[1], chair=chair)
    courses = Course.objects.count()
    sessions = InfusionSession.objects.count()
    with pytest.raises(ValidationError) as refused:
        boosters.booster_accept(review=review, starts=starts, accepted_by=clinic.user("paul"))
    assert "Session 2" in refused.value.messages[0] and "Nothing was booked" in refused.value.messages[0]
    assert Course.objects.count() == courses and InfusionSession.objects.count() == sessions
    review.refresh_from_db()
    assert review.status == OPEN and review.booked_course is None


def test_accept_without_sessions_or_twice_is_refused(clinic: Any, review: BoosterReview) -> None:
    paul = clinic.user("paul")
    with pytest.raises(ValidationError) as empty:
        boosters.booster_accept(review=review, starts=[], accepted_by=paul)
    assert empty.value.messages == [boosters.CHOOSE_SESSIONS]
    for start in (timezone.now() - dt.timedelta(hours=1), dt.datetime(2030, 1, 7, 9, 0)):  # past, or no zone
        with pytest.raises(ValidationError) as past:
            boosters.booster_accept(review=review, starts=[start], accepted_by=paul)
        assert past.value.messages == [boosters.PAST_SESSION]
    boosters.booster_decline(review=review, reason="Not now.", declined_by=paul)
    with pytest.raises(ValidationError) as twice:
        boosters.booster_accept(review=review, starts=_proposal_starts(review, 1), accepted_by=paul)
    assert twice.value.messages == [boosters.NOT_OPEN]
    assert Course.objects.filter(patient=review.patient).count() == 1


@pytest.mark.parametrize("reason", ["", "   ", "x" * 301])
def test_decline_needs_a_reason_and_saves_nothing_without_one(
    clinic: Any, review: BoosterReview, reason: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        boosters.booster_decline(review=review, reason=reason, declined_by=clinic.user("paul"))
    assert set(refused.value.message_dict) == {"reason"}
    review.refresh_from_db()
    assert review.status == OPEN and review.decision_reason == ""


def test_decline_records_who_why_and_is_audited(clinic: Any, review: BoosterReview) -> None:
    paul = clinic.user("paul")
    declined = boosters.booster_decline(
        review=review, reason="  Mood dip after a bereavement.  ", declined_by=paul
    )
    assert declined.status == BoosterReview.Status.DECLINED
    assert declined.decision_reason == "Mood dip after a bereavement." and declined.decided_by == paul
    assert AuditEvent.objects.filter(object_uuid=review.uuid, action="update", actor=paul).exists()


@pytest.mark.parametrize("persona", ["nina", "mia", "priya"])
def test_only_prescribers_at_the_location_decide(clinic: Any, review: BoosterReview, persona: str) -> None:
    user = clinic.user(persona)
    with pytest.raises(PermissionDenied):
        boosters.booster_decline(review=review, reason="No.", declined_by=user)
    with pytest.raises(PermissionDenied):
        boosters.booster_accept(review=review, starts=[next_weekday_at(10)], accepted_by=user)
    review.refresh_from_db()
    assert (
        review.status == OPEN
        and not Course.objects.filter(patient=review.patient, status="maintenance").exists()
    )


@pytest.mark.parametrize(
    ("plan", "count"),
    [
        ("Induction 6 infusions within 3 weeks; then boosters as needed (prescriber decides).", 1),
        ("2 booster infusions when PHQ-9 rises", 2),
        ("Boosters: 3 sessions over a week", 3),
        ("booster x2", 2),
        ("", 1),
        ("40 boosters", 1),
    ],
)
def test_booster_session_count_from_the_plan(plan: str, count: int) -> None:
    assert boosters.booster_session_count(plan) == count


def test_refresh_reads_a_fixed_number_of_queries_whatever_the_history(
    clinic: Any, django_assert_num_queries: Any
) -> None:
    for index, days in enumerate((10, 80)):
        patient = patient_at(clinic, clinic.wdm, index)
        first = timezone.now() - dt.timedelta(days=days + 5)
        started_course(clinic, patient, first=first, sessions=min(days // 2, 20), gap_days=1)
        add_score(patient, "phq9", 20, first - dt.timedelta(days=1))
        add_score(patient, "gad7", 15, first - dt.timedelta(days=1))
        for day in range(1, days):  # a steady responder: nothing to suggest, nothing written
            add_score(patient, "phq9", 4 + day % 2, first + dt.timedelta(days=day))
            add_score(patient, "gad7", 3 + day % 2, first + dt.timedelta(days=day))
        # Expect 9 queries: savepoint, patient lock, courses, sessions, booster courses, scores, missed measures,
        # reviews, release.
        with django_assert_num_queries(9):
            assert boosters.booster_reviews_refresh(patient=patient) == []
