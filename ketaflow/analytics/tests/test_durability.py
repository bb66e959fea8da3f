"""Durability from database rows: a synthetic cohort with a known exponential time to relapse (median 60 days,
30% censored independently) must give a median within 10% of 60 and exactly lifelines' own curve."""

from __future__ import annotations

import datetime as dt
import math
import random
from typing import Any

import numpy as np
from lifelines import KaplanMeierFitter

from ketaflow.analytics.durability import durability_records
from ketaflow.analytics.tests.builders import at, course, filters, patient, score, session
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.patients.models import Patient
from ketaflow.treatment.models import Course, InfusionSession, Protocol
from ketaflow.treatment.seeds import ensure_seeded

MEDIAN_DAYS = 60.0
CENSORED_SHARE = 0.3
COHORT = 400


def _cohort(clinic: Any, n: int, seed: int = 8) -> tuple[list[float], list[bool]]:
    """n responders at West Des Moines: baseline PHQ-9 20, six infusions a day apart, PHQ-9 6 at the end of
    induction, then either two scores of 16 (relapse confirmed at the second, at day T) or a last score of 6 at
    day C (still in response: censored). T ~ Exp(median 60 d); C ~ Exp with P(C < T) = 30%."""
    ensure_seeded()
    rng = random.Random(seed)
    relapse_rate = math.log(2) / MEDIAN_DAYS
    censor_rate = relapse_rate * CENSORED_SHARE / (1 - CENSORED_SHARE)
    location = clinic.wdm
    protocol = Protocol.objects.get(slug="iv-depression-standard")
    assert protocol.induction_sessions == 6
    patients = Patient.objects.bulk_create(
        Patient(
            chart_number=f"KM-{i:05d}",
            first_name="Km",
            last_name=f"Cohort{i}",
            date_of_birth=dt.date(1975, 1, 1),
            preferred_location=location,
            is_synthetic=True,
            created_at=at("2026-01-01"),
        )
        for i in range(n)
    )
    courses = Course.objects.bulk_create(
        Course(patient=p, protocol=protocol, pathway=protocol.pathway, location=location, status="maintenance",
               created_at=at("2026-01-02"))
        for p in patients
    )  # fmt: skip
    nurse, prescriber, desk = clinic.user("nina"), clinic.user("paul"), clinic.user("frank")
    chair = location.chairs.order_by("id").first()
    sessions, scores, durations, events = [], [], [], []
    for index, (p, c) in enumerate(zip(patients, courses, strict=True)):
        # In UTC: wall-clock arithmetic in Chicago would add or drop an hour across the March DST change.
        first = (at("2026-01-05") + dt.timedelta(minutes=index)).astimezone(dt.UTC)
        for k in range(6):
            start = first + dt.timedelta(days=k)
            sessions.append(
                InfusionSession(course=c, patient=p, location=location, chair=chair, nurse=nurse,
                                prescriber=prescriber, booked_by=desk, sequence=k + 1, starts_at=start,
                                ends_at=start + dt.timedelta(minutes=100), infusion_minutes=40, recovery_minutes=60,
                                status="discharged")
            )  # fmt: skip
        ended = first + dt.timedelta(days=5)

        def phq9(when: dt.datetime, total: float, p: Patient = p) -> None:
            scores.append(
                QuestionnaireResponse(patient=p, instrument="phq9", answers=[], result={"total": total},
                                      engine_version="test", completed_at=when)
            )  # fmt: skip

        phq9(first - dt.timedelta(days=1), 20)
        phq9(ended, 6)
        to_relapse = dt.timedelta(days=rng.expovariate(relapse_rate))
        to_censor = dt.timedelta(days=rng.expovariate(censor_rate))
        if to_relapse <= to_censor:
            phq9(ended + to_relapse / 2, 16)
            phq9(ended + to_relapse, 16)
            durations.append(to_relapse.total_seconds() / 86_400)
            events.append(True)
        else:
            phq9(ended + to_censor, 6)
            durations.append(to_censor.total_seconds() / 86_400)
            events.append(False)
    InfusionSession.objects.bulk_create(sessions)
    QuestionnaireResponse.objects.bulk_create(scores)
    return durations, events


def test_median_durability_of_a_known_exponential_cohort_is_60_days_and_matches_lifelines(
    clinic: Any,
) -> None:
    durations, events = _cohort(clinic, COHORT)
    censored = 1 - sum(events) / len(events)
    assert abs(censored - CENSORED_SHARE) < 0.05

    result = durability_records(
        filters(clinic.wdm, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)), outcome="depression"
    )

    assert (result.courses, result.responders, len(result.records)) == (COHORT, COHORT, COHORT)
    overall = result.summaries[0]
    assert overall.relapses == sum(events)
    assert abs(overall.median_days - MEDIAN_DAYS) / MEDIAN_DAYS < 0.10
    low, high = overall.median_ci
    assert low < overall.median_days < high
    direct = KaplanMeierFitter().fit(durations, event_observed=events)
    assert np.allclose([p.days for p in overall.curve], direct.survival_function_.index.to_numpy(), atol=1e-9)
    assert np.allclose([p.survival for p in overall.curve], direct.survival_function_.iloc[:, 0].to_numpy())
    assert math.isclose(overall.median_days, direct.median_survival_time_, rel_tol=1e-6)


def test_durability_censors_responders_and_skips_non_responders(clinic: Any) -> None:
    wdm = clinic.wdm

    def treated(scores_after: list[tuple[int, float]], *, location: Any = wdm, sessions: int = 6) -> None:
        c = course(location, created=at("2026-01-02"), who=patient(location))
        for k in range(sessions):
            session(clinic, c, at("2026-01-05") + dt.timedelta(days=k), sequence=k + 1)
        score(c.patient, "phq9", at("2026-01-04"), 20)
        for days, value in scores_after:
            score(c.patient, "phq9", at("2026-01-10") + dt.timedelta(days=days), value)

    treated([(0, 6), (20, 15), (30, 16)])  # responded, relapse confirmed 30 days after induction
    treated([(0, 6), (45, 7)])  # responded, still in response at day 45: censored
    treated([(0, 14), (30, 15)])  # never responded: not in the analysis
    treated([(0, 6)], sessions=3)  # responded but induction not finished
    treated([(0, 5), (10, 16), (12, 17)], location=clinic.dsm)  # relapse at 12 days, other site

    result = durability_records(
        filters(wdm, clinic.dsm, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)),
        outcome="depression",
        grouping="location",
    )

    assert (result.courses, result.responders, result.excluded_no_induction) == (5, 4, 1)
    by_days = sorted((round(r.days, 3), r.relapsed, r.group) for r in result.records)
    assert by_days == [
        (12.0, True, "Des Moines"),
        (30.0, True, "West Des Moines"),
        (45.0, False, "West Des Moines"),
    ]
    assert [s.group for s in result.summaries] == ["all", "Des Moines", "West Des Moines"]
    assert result.summaries[0].relapses == 2 and result.summaries[0].censored == 1
    pain = durability_records(
        filters(wdm, start=dt.date(2026, 1, 1), end=dt.date(2026, 1, 31)), outcome="pain"
    )
    assert pain.courses == 0 and pain.summaries == []
