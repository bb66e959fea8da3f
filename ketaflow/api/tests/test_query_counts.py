"""API list endpoints answer in a pinned number of queries, the same with a few rows and with many.

Each test reads a list once with little data, adds rows of every kind the list shows, and reads it again: both
reads must take exactly the pinned number of queries (named in the comment above each pin).
/api/v1/appointments is pinned in test_api_behaviour.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from ketaflow.core.audit import Action, audit

pytestmark = pytest.mark.django_db

# Every token request: 1. the token joined with its user (the last-use time is written at most once a minute,
# and the first read below takes that write).
TOKEN = 1
# An audited read adds: the user's current location (stamped on the audit line), INSERT audit line.
AUDITED = 2


def _auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def _pinned(
    django_assert_num_queries: Any,
    client: Client,
    headers: dict[str, str],
    url: str,
    expected: int,
    grow: Callable[[], Any],
    count: Callable[[Any], int] | None = None,
) -> None:
    assert client.get(url, **headers).status_code == 200  # writes the token's last-use time
    with django_assert_num_queries(expected):
        small = client.get(url, **headers)
    assert small.status_code == 200
    grow()
    with django_assert_num_queries(expected):
        large = client.get(url, **headers)
    assert large.status_code == 200
    if count is not None:
        assert count(large.json()) > count(small.json()), "the second read must show more rows"


def _items(body: Any) -> int:
    return len(body["items"]) if isinstance(body, dict) else len(body)


@pytest.fixture
def patient(clinic: Any) -> Any:
    from ketaflow.intake.tests.factories import wdm_patient
    from ketaflow.patients.demo import load_demo_chart_data

    load_demo_chart_data()
    return wdm_patient(clinic)


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Any) -> Any:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def test_patient_list_query_count_is_pinned(
    clinic: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.core.demo import load_demo

    # Expect 5 queries: token + user, the user's location ids, one page of patients (+ preferred location),
    # audited (current location, INSERT).
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("mia")),
        "/api/v1/patients?limit=200",
        TOKEN + 2 + AUDITED,
        lambda: load_demo(patients=30, extras=False),
        _items,
    )


CHART_LISTS = [
    "measurements",
    "diagnoses",
    "medications",
    "allergies",
    "consents",
    "documents",
    "candidacy-reviews",
]


@pytest.mark.parametrize("suffix", CHART_LISTS)
def test_chart_sub_list_query_count_is_pinned(
    suffix: str, clinic: Any, patient: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.patients.tests.test_chart_page import _grow

    _grow(patient, clinic, 1)
    # Expect 6 queries: token + user, the patient (+ preferred location), the user's location ids (scope),
    # audited (current location, INSERT), the rows (consents with their template, reviews with the decider).
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("mia")),
        f"/api/v1/patients/{patient.uuid}/{suffix}",
        TOKEN + 3 + AUDITED,
        lambda: _grow(patient, clinic, 4),
        _items,
    )


def test_questionnaire_list_query_count_is_pinned(
    clinic: Any, patient: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.intake.tests.factories import completed_intake

    completed_intake(patient, clinic.user("nina"))
    # Expect 6 queries: token + user, the patient, the user's location ids, audited (current location, INSERT),
    # the responses.
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("mia")),
        f"/api/v1/patients/{patient.uuid}/questionnaires",
        TOKEN + 3 + AUDITED,
        lambda: [completed_intake(patient, clinic.user("nina")) for _ in range(3)],
        _items,
    )


def _sessions(clinic: Any, patient: Any, n: int) -> None:
    """``n`` more courses, each with one session run to recovery (started, stopped: a dose was delivered)."""
    from ketaflow.treatment.tests.factories import (
        clear_for_infusion,
        course_for,
        place_session,
        session_to,
        today_at,
    )

    if not patient.candidacy_reviews.exists():
        clear_for_infusion(clinic, patient)
    location = patient.preferred_location
    for i in range(n):
        course = course_for(clinic, patient)
        chairs = list(location.chairs.order_by("id"))
        session = place_session(
            clinic,
            course,
            start=today_at(location, 7) - dt.timedelta(days=2 + i + 10 * patient.infusion_sessions.count()),
            chair=chairs[i % len(chairs)],
        )
        session_to(clinic, session, "recovering")


@pytest.mark.parametrize("suffix", ["courses", "sessions"])
def test_treatment_lists_query_count_is_pinned(
    suffix: str, clinic: Any, patient: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    _sessions(clinic, patient, 1)
    # Expect 6 queries for courses: token + user, the patient, the user's location ids, audited (current
    # location, INSERT), the courses (+ protocol, location). Sessions take one more: their infusion events,
    # prefetched for all sessions at once (the delivered dose is computed from them).
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("mia")),
        f"/api/v1/patients/{patient.uuid}/{suffix}",
        TOKEN + 3 + AUDITED + (0 if suffix == "courses" else 1),
        lambda: _sessions(clinic, patient, 3),
        _items,
    )


def test_audit_event_list_query_count_is_pinned(
    clinic: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    def grow() -> None:
        for i in range(20):
            audit(Action.READ, actor=clinic.user("nina"), location=clinic.wdm, detail=f"synthetic read {i}")

    # Expect 5 queries: token + user, the user's location ids, one page of events (+ location),
    # audited (current location, INSERT: the audit log read is itself audited).
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("audrey")),
        "/api/v1/audit-events?limit=200",
        TOKEN + 2 + AUDITED,
        grow,
        _items,
    )


def test_ledger_line_list_query_count_is_pinned(
    clinic: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.ledger.demo import load_demo_ledger
    from ketaflow.ledger.tests.test_pages import _more_lines

    load_demo_ledger()
    # Expect 3 queries: token + user, the user's locations (the location asked for), one page of lines with
    # product, container, lot, actor, witness and receipt joined.
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("carl")),
        f"/api/v1/ledger/lines?location={clinic.wdm.uuid}&limit=200",
        TOKEN + 2,
        lambda: _more_lines(clinic, 4),
        _items,
    )


def test_location_and_consultation_type_lists_query_counts_are_pinned(
    clinic: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.clinics.models import Location
    from ketaflow.scheduling.models import ConsultationType

    client, headers = Client(), _auth(make_token("mia"))

    def grow() -> None:
        user = clinic.user("mia")
        for i in range(3):
            location = Location.objects.create(
                clinic=clinic.wdm.clinic,
                name=f"Ames {i}",
                slug=f"ames-{i}",
                phone="(515) 555-0199",
                address_line1=f"{i} Main St",
                city="Ames",
                state="IA",
                zip_code="50010",
                latitude=42.03,
                longitude=-93.62,
            )
            user.locations.add(location)
            ConsultationType.objects.create(name=f"Follow-up {i}", slug=f"follow-up-{i}", mode="in_person")

    # Locations: token + user, the user's locations. Consultation types: token + user, the bookable types.
    _pinned(django_assert_num_queries, client, headers, "/api/v1/locations", TOKEN + 1, grow, _items)
    _pinned(
        django_assert_num_queries,
        client,
        headers,
        "/api/v1/consultation-types",
        TOKEN + 1,
        lambda: ConsultationType.objects.create(name="Booster review", slug="booster-review", mode="video"),
        _items,
    )


def test_my_appointments_query_count_is_pinned(
    clinic: Any, make_token: Any, django_assert_num_queries: Any
) -> None:
    from ketaflow.scheduling.models import Appointment

    pat = clinic.user("pat")
    patient = pat.patient
    kind = Appointment.objects.model._meta.get_field("consultation_type").related_model.objects.first()

    def grow() -> None:
        now = timezone.now()
        for i in range(6):
            Appointment.objects.create(
                patient=patient,
                location=clinic.wdm,
                provider=clinic.user("paul"),
                consultation_type=kind,
                starts_at=now - dt.timedelta(days=30 + i),
                ends_at=now - dt.timedelta(days=30 + i) + dt.timedelta(minutes=30),
                status=Appointment.Status.COMPLETED,
            )

    # Expect 3 queries: token + user, the user's patient record, the appointments (+ type, location).
    _pinned(
        django_assert_num_queries,
        Client(),
        _auth(make_token("pat", ["read:schedule"])),
        "/api/v1/me/appointments",
        TOKEN + 2,
        grow,
        _items,
    )


def test_calendar_feed_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.api.tests.routes import book
    from ketaflow.api.tokens import calendar_feed_rotate

    book(clinic)
    url = f"/calendar/feed/{calendar_feed_rotate(user=clinic.user('paul'))}.ics"
    client = Client()
    client.get(url)
    # Expect 3 queries: the feed token (+ user), the prescriber's appointments (+ location, type), the
    # infusion sessions they prescribe (+ location).
    with django_assert_num_queries(3):
        small = client.get(url).content.decode()
    for _ in range(5):
        book(clinic)
    with django_assert_num_queries(3):
        large = client.get(url).content.decode()
    assert large.count("BEGIN:VEVENT") == small.count("BEGIN:VEVENT") + 5
