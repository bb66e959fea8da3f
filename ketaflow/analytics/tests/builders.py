"""Hand-built rows for the analytics tests: every figure the tests expect is worked out from these by hand."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

from ketaflow.analytics.selectors import Filters
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.patients.models import Patient
from ketaflow.scheduling.models import Appointment, ConsultationType
from ketaflow.treatment.models import Course, InfusionSession, Protocol
from ketaflow.treatment.seeds import ensure_seeded

CHICAGO = ZoneInfo("America/Chicago")
START = dt.date(2026, 3, 2)  # a Monday
END = dt.date(2026, 3, 15)  # two full weeks
_numbers = itertools.count(1)


def at(day: dt.date | str, hour: int = 9, minute: int = 0) -> dt.datetime:
    if isinstance(day, str):
        day = dt.date.fromisoformat(day)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def filters(*locations: Any, start: dt.date = START, end: dt.date = END) -> Filters:
    return Filters(start=start, end=end, locations=tuple(locations), tz=CHICAGO)


def patient(
    location: Any, *, created: dt.datetime | None = None, dob: dt.date = dt.date(1980, 6, 1)
) -> Patient:
    n = next(_numbers)
    return Patient.objects.create(
        chart_number=f"AN-{n:05d}",
        first_name="Test",
        last_name=f"Analytics{n}",
        date_of_birth=dob,
        email=f"an{n}@example.invalid",
        mobile_phone="(515) 555-0100",
        address_line1="1 Synthetic Way",
        city="Des Moines",
        preferred_location=location,
        is_synthetic=True,
        created_at=created or at(START),
    )


def course(
    location: Any,
    *,
    slug: str = "iv-depression-standard",
    created: dt.datetime | None = None,
    status: str = "induction",
    who: Patient | None = None,
) -> Course:
    ensure_seeded()
    protocol = Protocol.objects.get(slug=slug)
    return Course.objects.create(
        patient=who or patient(location),
        protocol=protocol,
        pathway=protocol.pathway,
        location=location,
        status=status,
        planned_sessions=protocol.induction_sessions,
        created_at=created or at(START),
    )


def session(
    clinic: Any,
    c: Course,
    start: dt.datetime,
    *,
    status: str = "discharged",
    sequence: int = 1,
    minutes: int = 100,
    pmf: dt.date | None = None,
) -> InfusionSession:
    location = c.location
    prescriber = clinic.user("paul") if location.pk == clinic.wdm.pk else clinic.user("priya")
    return InfusionSession.objects.create(
        course=c,
        patient=c.patient,
        location=location,
        chair=location.chairs.order_by("id").first(),
        nurse=clinic.user("nina"),
        prescriber=prescriber,
        booked_by=clinic.user("frank"),
        sequence=sequence,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=minutes),
        infusion_minutes=40,
        recovery_minutes=max(minutes - 40, 0),
        status=status,
        rems_pmf_submitted_on=pmf,
    )


def score(who: Patient, instrument: str, when: dt.datetime, total: float) -> QuestionnaireResponse:
    return QuestionnaireResponse.objects.create(
        patient=who,
        instrument=instrument,
        answers=[],
        result={"total": total, "band": ""},
        engine_version="test",
        completed_at=when,
    )


def consultation(clinic: Any, who: Patient, start: dt.datetime, status: str) -> Appointment:
    kind, _ = ConsultationType.objects.get_or_create(
        slug="new-patient-consultation", defaults={"name": "New-patient consultation", "mode": "in_person"}
    )
    location = who.preferred_location
    prescriber = clinic.user("paul") if location.pk == clinic.wdm.pk else clinic.user("priya")
    return Appointment.objects.create(
        patient=who,
        location=location,
        provider=prescriber,
        consultation_type=kind,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        status=status,
        is_new_patient=False,
    )
