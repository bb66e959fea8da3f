"""Simultaneous bookings of the last free chair, each thread on its own database connection (SQLite and
PostgreSQL: run again with DATABASE_URL=postgres://...): exactly one wins, and a series is all or nothing."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection

from ketaflow.scheduling.tests.factories import next_weekday_at
from ketaflow.treatment import booking
from ketaflow.treatment.models import ChairClaim, InfusionSession, LocationCapacity
from ketaflow.treatment.tests.factories import clear_for_infusion, course_for, patient_at

# PostgreSQL allows 100 connections in all; at most this many attempts hold one at a time.
POSTGRES_CONCURRENT = 40


def _race(attempts: int, work: Callable[[int], Any]) -> list[str]:
    barrier = threading.Barrier(attempts)
    gate = threading.BoundedSemaphore(POSTGRES_CONCURRENT if connection.vendor == "postgresql" else attempts)
    outcomes: list[str] = []
    lock = threading.Lock()

    def attempt(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            with gate:
                try:
                    work(index)
                finally:
                    connection.close()
            result = "booked"
        except booking.BookingError as exc:
            result = "refused"
            if not exc.message:
                result = "error: empty message"
        except Exception as exc:  # noqa: BLE001 - any other failure is a bug and fails the test
            result = f"error: {type(exc).__name__}: {exc}"
        finally:
            connection.close()
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return outcomes


def _setup(clinic: Any, courses: int) -> list[Any]:
    # One nurse covers all 4 chairs here, so the chair is the only scarce resource.
    LocationCapacity.objects.update_or_create(location=clinic.wdm, defaults={"chairs_per_nurse": 4})
    result = []
    for index in range(courses):
        patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm, index))
        result.append(course_for(clinic, patient))
    return result


@pytest.mark.django_db(transaction=True)
def test_fifty_simultaneous_bookings_of_the_last_free_chair_give_exactly_one(clinic: Any) -> None:
    courses = _setup(clinic, 3)
    start = next_weekday_at(10)
    frank = clinic.user("frank")
    for course in courses[:3]:
        booking.series_book(course=course, starts=[start], booked_by=frank)
    racer = courses[0]

    outcomes = _race(50, lambda i: booking.series_book(course=racer, starts=[start], booked_by=frank))

    assert len(outcomes) == 50
    assert outcomes.count("booked") == 1, [o for o in outcomes if o.startswith("error")][:3]
    assert outcomes.count("refused") == 49
    assert InfusionSession.objects.filter(starts_at=start).count() == 4
    assert ChairClaim.objects.filter(slot_start=start).count() == 4


@pytest.mark.django_db(transaction=True)
def test_a_six_session_series_racing_for_the_last_chair_books_all_or_nothing(clinic: Any) -> None:
    courses = _setup(clinic, 3)
    frank = clinic.user("frank")
    first = next_weekday_at(10)
    proposal = booking.series_propose(
        course=courses[0], earliest_start=first - dt.timedelta(hours=10), preferred_time=dt.time(10)
    )
    starts = [s.start for s in proposal.plan.sessions]
    assert len(starts) == 6
    for course in courses[:3]:
        booking.series_book(course=course, starts=starts, booked_by=frank)
    before = InfusionSession.objects.count()

    outcomes = _race(10, lambda i: booking.series_book(course=courses[i % 3], starts=starts, booked_by=frank))

    assert outcomes.count("booked") == 1, [o for o in outcomes if o.startswith("error")][:3]
    assert outcomes.count("refused") == 9
    assert InfusionSession.objects.count() == before + 6
    for start in starts:
        assert InfusionSession.objects.filter(starts_at=start).count() == 4
