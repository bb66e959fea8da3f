"""FHIR $everything answers in a pinned number of queries, however many records the patient has."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from ketaflow.testing import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _grow(clinic: Any, patient: Any, n: int) -> None:
    """``n`` more of every exported kind: chart rows, questionnaires, and sessions with events and vitals."""
    from ketaflow.intake.tests.factories import completed_intake
    from ketaflow.patients.tests.test_chart_page import _grow as chart_rows
    from ketaflow.treatment import services
    from ketaflow.treatment.tests.factories import (
        clear_for_infusion,
        course_for,
        place_session,
        session_to,
        today_at,
    )

    chart_rows(patient, clinic, n)
    if not patient.candidacy_reviews.exists():
        clear_for_infusion(clinic, patient)
    location = patient.preferred_location
    chairs = list(location.chairs.order_by("id"))
    for i in range(n):
        completed_intake(patient, clinic.user("nina"))
        course = course_for(clinic, patient)
        done = patient.infusion_sessions.count()
        session = place_session(
            clinic,
            course,
            start=today_at(location, 7) - dt.timedelta(days=3 + i + 10 * done),
            chair=chairs[i % len(chairs)],
        )
        session = session_to(clinic, session, "recovering")
        for minutes in (70, 55, 40):
            services.vitals_record(
                session=session,
                values={"sbp_mmhg": 128, "dbp_mmhg": 80, "hr_per_min": 72, "spo2_pct": 98, "rr_per_min": 14},
                recorded_by=clinic.user("nina"),
                taken_at=timezone.now() - dt.timedelta(minutes=minutes),
            )


def test_everything_query_count_is_pinned_and_constant(clinic: Any, django_assert_num_queries: Any) -> None:
    from django.test import Client

    from ketaflow.intake.tests.factories import wdm_patient

    patient = wdm_patient(clinic)
    client = login(Client(), clinic.user("nina"))
    url = f"/fhir/R4/Patient/{patient.uuid}/$everything"
    _grow(clinic, patient, 1)
    client.get(url)  # the first staff request of a minute saves the session
    totals = []
    for more in (0, 3):
        _grow(clinic, patient, more)
        # Expect 17 queries: session, user, OTP device, the patient (+ preferred location), the user's
        # location ids, the current location (audit), INSERT audit line (read); diagnoses, appointments
        # (+ provider, location, type), weights, questionnaire responses, signed consents (+ template),
        # courses (+ protocol), started sessions (+ course, protocol), their events and their vitals
        # (prefetched for all sessions at once); INSERT audit line (export).
        with django_assert_num_queries(17):
            response = client.get(url)
        assert response.status_code == 200
        totals.append(response.json()["total"])
    assert totals[1] > totals[0]
