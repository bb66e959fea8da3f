"""Treatment pages answer in a pinned number of queries, the same with few and with many rows.

The day board and the session page are pinned in test_board.py and test_views.py; this module covers the
protocol list, the course page and the REMS monitoring-form tracker.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ketaflow.testing import STAFF_QUERIES as STAFF
from ketaflow.testing import login
from ketaflow.testing import pinned_reads as _pinned
from ketaflow.treatment.models import Protocol
from ketaflow.treatment.tests.factories import clear_for_infusion, course_for, patient_at, place_session

pytestmark = pytest.mark.django_db


def _at_wdm(clinic: Any, name: str) -> Client:
    from ketaflow.clinics.selectors import SESSION_LOCATION

    client = login(Client(), clinic.user(name))
    session = client.session
    session[SESSION_LOCATION] = str(clinic.wdm.uuid)
    session.save()
    return client


def test_protocol_list_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.treatment.seeds import ensure_seeded

    ensure_seeded()

    def grow() -> None:
        for i in range(4):
            copy = Protocol.objects.order_by("id").first()
            assert copy is not None
            copy.pk = None
            copy.uuid = uuid.uuid4()
            copy.slug = f"copy-{i}"
            copy.name = f"Local variant {i}"
            copy.save()

    # Expect 5 queries: session, user, OTP device, the active protocols, the user's locations (switcher).
    small, large = _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("nina")),
        reverse("treatment:protocols"),
        STAFF + 2,
        grow,
    )
    assert large.count("Local variant") == 4 and small.count("Local variant") == 0


def test_course_page_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    course = course_for(clinic, patient)
    chairs = list(clinic.wdm.chairs.order_by("id"))
    start = timezone.localtime(timezone.now(), clinic.wdm.tz).replace(
        hour=8, minute=0, second=0, microsecond=0
    )

    def add(n: int, offset: int) -> None:
        for i in range(n):
            place_session(
                clinic, course, start=start + dt.timedelta(days=offset + i), chair=chairs[i % len(chairs)]
            )

    add(1, 2)
    # Expect 13 queries whatever the number of booked sessions: session, user, OTP device, the course
    # (+ patient, protocol, location), the user's location ids, the booking gate (a consultation done,
    # candidacy reviews, signed consents), the sessions (+ chair, nurse, prescriber), the location's chairs,
    # INSERT audit line (read), the newest weight, the user's locations (switcher).
    small, large = _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("frank")),
        reverse("treatment:course", args=[course.uuid]),
        STAFF + 10,
        lambda: add(5, 4),
    )
    assert large.count("/treatment/sessions/") > small.count("/treatment/sessions/")


def test_rems_tracker_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm, 1), "esketamine_nasal")
    course = course_for(clinic, patient, "esketamine-trd")
    chairs = list(clinic.wdm.chairs.order_by("id"))

    def add(n: int, offset: int) -> None:
        for i in range(n):
            place_session(
                clinic,
                course,
                start=timezone.now() - dt.timedelta(days=offset + i),
                chair=chairs[i % len(chairs)],
                status="discharged",
            )

    add(1, 2)
    # Expect 5 queries: session, user, OTP device, the user's locations (current location + switcher),
    # the esketamine sessions of the last 30 days (+ patient, location).
    small, large = _pinned(
        django_assert_num_queries,
        _at_wdm(clinic, "nina"),
        reverse("treatment:rems"),
        STAFF + 2,
        lambda: add(5, 4),
    )
    assert large.count("/treatment/sessions/") == small.count("/treatment/sessions/") + 5
