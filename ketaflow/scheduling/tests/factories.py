from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from ketaflow.scheduling.models import ConsultationType
from ketaflow.scheduling.services import BookingDetails, appointment_book_by_staff

DETAILS = BookingDetails(
    first_name="Test",
    last_name="Patient",
    date_of_birth=dt.date(1980, 5, 17),
    email="test.patient@example.invalid",
    mobile_phone="(515) 555-0101",
    reason="depression",
    consent_to_contact=True,
)


def next_weekday_at(hour: int, minute: int = 0, *, days_ahead: int = 3, tz: Any = None) -> dt.datetime:
    """A Monday-Thursday at least ``days_ahead`` days from now, at a local wall-clock time in Chicago."""
    tz = tz or timezone.get_current_timezone()
    day = timezone.localdate() + dt.timedelta(days=days_ahead)
    while day.weekday() > 3:
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=tz)


def new_patient_type() -> ConsultationType:
    return ConsultationType.objects.get(slug="new-patient-consultation")


def booked_appointment(
    clinic: Any, *, starts_at: dt.datetime | None = None, details: BookingDetails = DETAILS
) -> Any:
    """A phone booking at West Des Moines with Paul (front desk Frank)."""
    appointment, _ = appointment_book_by_staff(
        consultation_type=new_patient_type(),
        location=clinic.wdm,
        provider_id=clinic.user("paul").pk,
        starts_at=starts_at or next_weekday_at(10),
        details=details,
        booked_by=clinic.user("frank"),
    )
    return appointment
