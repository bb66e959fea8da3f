"""Scheduling pages answer in a pinned number of queries, the same with few and with many appointments.

The staff calendar and the slot search are pinned in test_booking_views.py; this module covers the inbox, the
public booking page (fresh and cached slot reads), the phone-booking page and the appointment page.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.scheduling.tests.factories import DETAILS, booked_appointment, next_weekday_at
from ketaflow.testing import STAFF_QUERIES as STAFF
from ketaflow.testing import login
from ketaflow.testing import pinned_reads as _pinned

pytestmark = pytest.mark.django_db


_serial = iter(range(10_000))


def _book(clinic: Any, n: int, *, online: bool = False) -> None:
    """``n`` more booked consultations with Paul at West Des Moines (the next free candidate times)."""
    from ketaflow.scheduling.models import Appointment
    from ketaflow.scheduling.services import BookingError

    made = 0
    while made < n:
        i = next(_serial)
        start = next_weekday_at((9, 10, 11, 13, 14, 15)[i % 6], days_ahead=4 + i // 6)
        try:
            appointment = booked_appointment(
                clinic,
                starts_at=start,
                details=DETAILS.__class__(**{**DETAILS.__dict__, "email": f"q{i}@example.invalid"}),
            )
        except BookingError:  # the same weekday came up twice (a weekend was skipped): try the next time
            continue
        made += 1
        if online:
            Appointment.objects.filter(pk=appointment.pk).update(channel=Appointment.Channel.ONLINE)


def _screenings(n: int) -> None:
    from ketaflow.public.models import ScreeningResult

    for i in range(n):
        ScreeningResult.objects.create(
            path=ScreeningResult.Path.DEPRESSION,
            answers={"phq9": [1] * 9},
            summary=f"Synthetic screening {i}",
            consent_to_store=True,
            rules_version="test",
        )


@pytest.mark.parametrize("status", ["new", "all"])
def test_inbox_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any, status: str) -> None:
    _book(clinic, 1, online=True)
    _screenings(1)
    # Expect 7 queries: session, user, OTP device, the user's locations (current location + switcher),
    # the user's location ids (scope), the bookings (+ patient, type, location, provider), the shared
    # screenings (+ the appointment each led to, as a subquery).
    small, large = _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("frank")),
        reverse("scheduling:inbox") + f"?status={status}",
        STAFF + 4,
        lambda: (_book(clinic, 6, online=True), _screenings(5)),
    )
    assert large.count("Synthetic screening") == small.count("Synthetic screening") + 5


def test_public_booking_page_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    # Expect 4 queries: online consultation types, active locations (+ clinic), the schedule version (the slot
    # search's inputs come from the per-process cache while it has not changed), the slots' prescribers.
    small, large = _pinned(
        django_assert_num_queries,
        Client(),
        reverse("scheduling:book")
        + f"?location=west-des-moines&from={next_weekday_at(9, days_ahead=4).date().isoformat()}",
        4,
        lambda: _book(clinic, 8),
    )
    assert large.count('name="start"') < small.count('name="start"')


def test_phone_booking_page_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.core.demo import load_demo

    # Expect 7 queries: session, user, OTP device, the user's locations (current location + switcher),
    # consultation types, the schedule version (cached slot inputs), the prescribers of the free times.
    _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("frank")),
        reverse("scheduling:phone_book"),
        STAFF + 4,
        lambda: (_book(clinic, 8), load_demo(patients=30, extras=False)),
    )


def test_appointment_page_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.scheduling import services

    _book(clinic, 1)
    appointment = services.Appointment.objects.filter(status="booked").order_by("id").first()

    def grow() -> None:
        # More history on the same appointment (inbox status changes) and more appointments around it.
        for status in ("contacted", "new", "contacted"):
            services.appointment_inbox_status_set(
                appointment=appointment, status=status, changed_by=clinic.user("frank")
            )
        _book(clinic, 6)

    # Expect 9 queries: session, user, OTP device, the user's location ids, the appointment (+ patient, type,
    # location, provider, room), INSERT audit line (read), the schedule version (cached slot inputs for
    # rescheduling), the prescribers of the free times, the user's locations (switcher).
    _pinned(
        django_assert_num_queries,
        login(Client(), clinic.user("frank")),
        reverse("scheduling:appointment", args=[appointment.uuid]),
        STAFF + 6,
        grow,
    )


def test_manage_link_page_query_count_is_pinned(clinic: Any, django_assert_num_queries: Any) -> None:
    from ketaflow.scheduling.services import BookingError, appointment_book_by_staff
    from ketaflow.scheduling.tests.factories import new_patient_type

    for days in range(3, 12):
        try:
            _appointment, raw = appointment_book_by_staff(
                consultation_type=new_patient_type(),
                location=clinic.wdm,
                provider_id=clinic.user("paul").pk,
                starts_at=next_weekday_at(16, days_ahead=days),
                details=DETAILS.__class__(**{**DETAILS.__dict__, "email": "manage@example.invalid"}),
                booked_by=clinic.user("frank"),
            )
            break
        except BookingError:
            continue
    # Expect 3 queries: the appointment by its token hash (+ location, type, patient, provider), the schedule
    # version (cached slot inputs for moving it), the prescribers of the free times.
    _pinned(
        django_assert_num_queries,
        Client(),
        reverse("scheduling:manage", args=[raw]),
        3,
        lambda: _book(clinic, 8),
    )
