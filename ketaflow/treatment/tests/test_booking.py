"""Chair-aware series booking: the gate, the proposal, all-or-nothing booking, rebook suggestions, moving chairs."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db import IntegrityError, transaction

from ketaflow.scheduling.tests.factories import next_weekday_at
from ketaflow.treatment import booking
from ketaflow.treatment.models import ChairClaim, InfusionSession
from ketaflow.treatment.tests.factories import clear_for_infusion, course_for, patient_at, place_session


def _course(
    clinic: Any, index: int = 0, pathway: str = "iv_ketamine_depression", slug: str = "iv-depression-standard"
) -> Any:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm, index), pathway)
    return course_for(clinic, patient, slug)


def test_front_desk_sees_why_booking_is_blocked(clinic: Any) -> None:
    course = course_for(clinic, patient_at(clinic, clinic.wdm))
    reasons = booking.booking_gate(course.patient, course.pathway)
    assert reasons == [
        booking.GATE_NO_CONSULTATION,
        booking.GATE_NO_CANDIDACY.format(pathway="IV ketamine for depression"),
        booking.GATE_NO_CONSENT.format(pathway="IV ketamine for depression"),
    ]
    with pytest.raises(booking.BookingError):
        booking.series_book(course=course, starts=[next_weekday_at(10)], booked_by=clinic.user("frank"))
    assert not InfusionSession.objects.exists()


def test_esketamine_also_needs_rems_enrolment(clinic: Any) -> None:
    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm), "iv_ketamine_depression")
    course = course_for(clinic, patient, "esketamine-trd")
    assert booking.GATE_NO_REMS in booking.booking_gate(patient, course.pathway)


def test_first_infusion_proposes_and_books_the_whole_induction_series(clinic: Any) -> None:
    course = _course(clinic)
    proposal = booking.series_propose(
        course=course, earliest_start=next_weekday_at(0), preferred_time=dt.time(9)
    )
    sessions = proposal.plan.sessions
    assert len(sessions) == 6
    days = [s.start.astimezone(clinic.wdm.tz).date() for s in sessions]
    assert len(set(days)) == 6 and (days[-1] - days[0]).days <= 21
    assert proposal.infusion.total_minutes >= 40 + 30
    booked = booking.series_book(
        course=course, starts=[s.start for s in sessions], booked_by=clinic.user("frank")
    )
    assert [s.sequence for s in booked] == [1, 2, 3, 4, 5, 6]
    assert ChairClaim.objects.count() == 6 * 7  # 100 min = 7 slots of 15 min (the last one partly used)
    course.refresh_from_db()
    assert course.status == "induction"


def test_a_series_with_one_taken_day_books_nothing(clinic: Any) -> None:
    course = _course(clinic)
    proposal = booking.series_propose(
        course=course, earliest_start=next_weekday_at(0), preferred_time=dt.time(9)
    )
    starts = [s.start for s in proposal.plan.sessions]
    blocker = course_for(clinic, patient_at(clinic, clinic.wdm, 1))
    for chair in clinic.wdm.chairs.all():
        place_session(clinic, blocker, start=starts[3], chair=chair)
    with pytest.raises(booking.BookingError) as refused:
        booking.series_book(course=course, starts=starts, booked_by=clinic.user("frank"))
    assert refused.value.message.startswith("Session 4")
    assert not InfusionSession.objects.filter(course=course).exists()
    assert not ChairClaim.objects.exists()


def test_the_database_refuses_a_second_claim_on_a_chair_slot(clinic: Any) -> None:
    course = _course(clinic)
    session = booking.series_book(
        course=course, starts=[next_weekday_at(10)], booked_by=clinic.user("frank")
    )[0]
    with pytest.raises(IntegrityError), transaction.atomic():
        ChairClaim.objects.create(chair=session.chair, slot_start=session.starts_at, session=session)


def test_nurse_ratio_limits_concurrent_sessions(clinic: Any) -> None:
    """Only Nina works at West Des Moines; at 2 chairs per nurse a third session at the same time is refused."""
    start = next_weekday_at(10)
    for index in range(2):
        booking.series_book(course=_course(clinic, index), starts=[start], booked_by=clinic.user("frank"))
    with pytest.raises(booking.BookingError):
        booking.series_book(course=_course(clinic, 2), starts=[start], booked_by=clinic.user("frank"))


def test_cancelled_session_gets_a_rebook_suggestion_that_keeps_the_series_valid(clinic: Any) -> None:
    course = _course(clinic)
    proposal = booking.series_propose(
        course=course, earliest_start=next_weekday_at(0, days_ahead=2), preferred_time=dt.time(9)
    )
    booked = booking.series_book(
        course=course, starts=[s.start for s in proposal.plan.sessions], booked_by=clinic.user("frank")
    )
    booking.session_cancel(session=booked[2], cancelled_by=clinic.user("frank"), reason="car trouble")
    suggestion = booking.rebook_suggestion(session=booked[2])
    assert suggestion
    assert booked[1].starts_at.date() < suggestion[0].start.date()
    assert not ChairClaim.objects.filter(session=booked[2]).exists()


def test_move_to_a_free_chair_and_refuse_a_busy_one(clinic: Any) -> None:
    start = next_weekday_at(10)
    first = booking.series_book(course=_course(clinic, 0), starts=[start], booked_by=clinic.user("frank"))[0]
    second = booking.series_book(course=_course(clinic, 1), starts=[start], booked_by=clinic.user("frank"))[0]
    assert first.chair_id != second.chair_id
    with pytest.raises(booking.BookingError):
        booking.session_move(session=first, chair=second.chair, moved_by=clinic.user("frank"))
    free = clinic.wdm.chairs.exclude(pk__in=[first.chair_id, second.chair_id]).first()
    booking.session_move(session=first, chair=free, moved_by=clinic.user("frank"))
    first.refresh_from_db()
    assert first.chair_id == free.pk
