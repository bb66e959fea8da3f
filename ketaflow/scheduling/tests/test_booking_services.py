from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.scheduling import services
from ketaflow.scheduling.models import Appointment, AvailabilityException
from ketaflow.scheduling.selectors import slot_search
from ketaflow.scheduling.tests.factories import DETAILS, booked_appointment, new_patient_type, next_weekday_at

pytestmark = pytest.mark.django_db


def _hold(
    clinic: Any, start: dt.datetime, *, key: str = "k1", provider: str = "paul", **kw: Any
) -> Appointment:
    return services.appointment_hold(
        consultation_type=new_patient_type(),
        location=clinic.wdm,
        provider_id=clinic.user(provider).pk,
        starts_at=start,
        hold_key=key,
        **kw,
    )


def test_free_slots_are_offered_inside_opening_hours_and_availability(clinic: Any) -> None:
    start = next_weekday_at(0)
    slots = slot_search(
        consultation_type=new_patient_type(),
        location_ids=[clinic.wdm.pk],
        window_start=start,
        window_end=start + dt.timedelta(days=1),
    )
    local_times = [timezone.localtime(s.start).time() for s in slots]
    # Paul sees consultations at West Des Moines 08:30-16:30 on Monday-Thursday; 30 min each.
    assert local_times[0] == dt.time(8, 30)
    assert local_times[-1] == dt.time(16, 0)
    assert {s.provider_id for s in slots} == {clinic.user("paul").pk}


def test_hold_then_confirm_books_and_creates_the_patient(
    clinic: Any, mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    start = next_weekday_at(10)
    held = _hold(clinic, start)
    assert held.status == Appointment.Status.HELD and held.hold_expires_at > timezone.now()
    with django_capture_on_commit_callbacks(execute=True):
        appointment, token = services.appointment_confirm(
            appointment_uuid=held.uuid, hold_key="k1", details=DETAILS
        )
    assert appointment.status == Appointment.Status.BOOKED
    assert appointment.patient.last_name == "Patient" and appointment.patient.preferred_location == clinic.wdm
    assert services.appointment_for_token(token) == appointment
    assert len(mailoutbox) == 1
    mail = mailoutbox[0]
    assert mail.attachments[0][0] == "appointment.ics"
    assert (
        b"BEGIN:VEVENT" in mail.attachments[0][1].encode()
        if isinstance(mail.attachments[0][1], str)
        else mail.attachments[0][1]
    )
    assert token in mail.body
    assert AuditEvent.objects.filter(object_uuid=appointment.uuid, action="create").exists()


def test_a_held_slot_is_not_offered_to_anyone_else(clinic: Any) -> None:
    start = next_weekday_at(10)
    _hold(clinic, start)
    with pytest.raises(services.BookingError) as exc:
        _hold(clinic, start, key="k2")
    assert exc.value.message == services.SLOT_TAKEN
    assert len(exc.value.alternatives) == 3
    assert all(s.start > start for s in exc.value.alternatives)


def test_an_expired_hold_frees_the_slot_and_cannot_be_confirmed(clinic: Any) -> None:
    start = next_weekday_at(10)
    held = _hold(clinic, start, now=timezone.now() - dt.timedelta(minutes=11))
    with pytest.raises(services.BookingError, match="hold has expired"):
        services.appointment_confirm(appointment_uuid=held.uuid, hold_key="k1", details=DETAILS)
    again = _hold(clinic, start, key="k2")
    assert again.status == Appointment.Status.HELD
    held.refresh_from_db()
    assert held.status == Appointment.Status.EXPIRED


def test_overlapping_start_within_the_buffer_is_refused(clinic: Any) -> None:
    booked_appointment(clinic, starts_at=next_weekday_at(10))
    with pytest.raises(services.BookingError):
        _hold(clinic, next_weekday_at(10, 30))  # the 10-minute buffer after 10:00-10:30 blocks 10:30
    assert _hold(clinic, next_weekday_at(10, 45)).status == Appointment.Status.HELD


@pytest.mark.parametrize(
    ("start", "reason"),
    [
        (lambda: next_weekday_at(7, 0), "before opening"),
        (lambda: next_weekday_at(17, 0), "after closing"),
        (lambda: timezone.now() + dt.timedelta(hours=2), "inside the 12 h notice"),
        (lambda: timezone.now() - dt.timedelta(days=1), "in the past"),
        (lambda: timezone.now() + dt.timedelta(days=75), "beyond the 60-day horizon"),
    ],
)
def test_slots_that_break_a_rule_cannot_be_held(clinic: Any, start: Any, reason: str) -> None:
    with pytest.raises(services.BookingError):
        _hold(clinic, start())
    assert not Appointment.objects.exists(), reason


def test_time_off_removes_availability(clinic: Any) -> None:
    start = next_weekday_at(11)
    AvailabilityException.objects.create(
        provider=clinic.user("paul"), on=start.date(), available=False, reason="Conference"
    )
    with pytest.raises(services.BookingError):
        _hold(clinic, start)


def test_a_patient_cannot_hold_two_future_new_patient_consultations(clinic: Any) -> None:
    booked_appointment(clinic, starts_at=next_weekday_at(10))
    held = _hold(clinic, next_weekday_at(14), key="k2")
    with pytest.raises(services.BookingError, match="already have a new-patient consultation"):
        services.appointment_confirm(appointment_uuid=held.uuid, hold_key="k2", details=DETAILS)
    assert Appointment.objects.filter(status="booked").count() == 1


def test_phone_booking_inside_minimum_notice_needs_a_reason_and_is_audited(clinic: Any) -> None:
    now = next_weekday_at(8)  # the front desk takes the call at 08:00 for 11:00 the same day
    kwargs = {
        "consultation_type": new_patient_type(),
        "location": clinic.wdm,
        "provider_id": clinic.user("paul").pk,
        "starts_at": next_weekday_at(11),
        "details": DETAILS,
        "booked_by": clinic.user("frank"),
        "now": now,
    }
    with pytest.raises(services.BookingError):
        services.appointment_book_by_staff(**kwargs)
    appointment, _ = services.appointment_book_by_staff(
        **kwargs, override_min_notice_reason="Cancellation list, patient can come"
    )
    assert appointment.channel == "phone"
    assert appointment.min_notice_override_reason == "Cancellation list, patient can come"
    assert AuditEvent.objects.filter(action="override", object_uuid=appointment.uuid).exists()


def test_front_desk_of_another_location_cannot_book_here(clinic: Any) -> None:
    with pytest.raises(PermissionDenied):
        services.appointment_book_by_staff(
            consultation_type=new_patient_type(),
            location=clinic.wdm,
            provider_id=clinic.user("paul").pk,
            starts_at=next_weekday_at(10),
            details=DETAILS,
            booked_by=clinic.user("fran"),
        )
    assert not Appointment.objects.exists()


def test_patient_cancels_by_link_but_not_inside_twelve_hours(clinic: Any) -> None:
    appointment = booked_appointment(clinic)
    with pytest.raises(services.BookingError, match="12 hours"):
        services.appointment_cancel(
            appointment=appointment,
            reason="",
            by_patient=True,
            now=appointment.starts_at - dt.timedelta(hours=3),
        )
    cancelled = services.appointment_cancel(appointment=appointment, reason="Feeling better", by_patient=True)
    assert cancelled.status == Appointment.Status.CANCELLED
    with pytest.raises(services.BookingError, match="no longer be changed"):
        services.appointment_cancel(appointment=cancelled, reason="", by_patient=True)


def test_reschedule_moves_the_booking_and_frees_the_old_time(clinic: Any) -> None:
    appointment = booked_appointment(clinic, starts_at=next_weekday_at(10))
    moved = services.appointment_reschedule(
        appointment=appointment,
        provider_id=clinic.user("paul").pk,
        starts_at=next_weekday_at(13),
        by_patient=True,
    )
    assert timezone.localtime(moved.starts_at).time() == dt.time(13)
    assert moved.status == Appointment.Status.BOOKED
    assert _hold(clinic, next_weekday_at(10), key="k9").status == Appointment.Status.HELD


def test_reschedule_to_a_taken_time_changes_nothing(clinic: Any) -> None:
    from ketaflow.scheduling.tests.factories import DETAILS as D

    first = booked_appointment(clinic, starts_at=next_weekday_at(10))
    other = booked_appointment(
        clinic,
        starts_at=next_weekday_at(13),
        details=D.__class__(**{**D.__dict__, "email": "other@example.invalid", "last_name": "Other"}),
    )
    with pytest.raises(services.BookingError):
        services.appointment_reschedule(
            appointment=first, provider_id=clinic.user("paul").pk, starts_at=other.starts_at, by_patient=True
        )
    first.refresh_from_db()
    assert first.status == Appointment.Status.BOOKED and timezone.localtime(
        first.starts_at
    ).time() == dt.time(10)
