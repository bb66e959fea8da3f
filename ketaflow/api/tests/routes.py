"""The API's routes with who may call them, for the authorization matrix (one entry per operation)."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

STAFF = {"frank", "fran", "nina", "noah", "paul", "priya", "carl", "cora", "mia", "audrey", "oscar"}
DASHBOARD = set(STAFF)
SCHEDULE = STAFF - {"carl", "cora"}
MANAGE_SCHEDULE = SCHEDULE - {"audrey"}
PATIENT = {"frank", "fran", "nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}
EDIT_PATIENT = PATIENT - {"audrey"}
CLINICAL = {"nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}
LEDGER = {"nina", "noah", "paul", "priya", "carl", "cora", "mia", "audrey", "oscar"}
AUDIT = {"mia", "audrey"}
# Staff who do not work at West Des Moines, where the matrix's objects live.
NOT_AT_WDM = {"fran", "noah", "priya", "cora", "oscar"}

_counter = itertools.count()


@dataclass
class Call:
    path: str
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    state: Callable[[], Any] = lambda: (
        None
    )  # the object a write would change, to prove a denial left it alone


@dataclass
class Route:
    method: str
    template: str  # as in the OpenAPI document
    scope: str | None
    allowed: set[str | None]
    make: Callable[[Any], Call]
    ok_status: int = 200
    not_found: set[str] = field(default_factory=set)


def _wdm_patient(clinic: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.filter(preferred_location=clinic.wdm).order_by("id").first()


def _slot(clinic: Any) -> Any:
    """A distinct free slot with paul at West Des Moines, a different one on every call."""
    from ketaflow.scheduling.models import ConsultationType
    from ketaflow.scheduling.selectors import slot_search

    kind = ConsultationType.objects.get(slug="new-patient-consultation")
    slots = slot_search(
        consultation_type=kind,
        location_ids=[clinic.wdm.pk],
        provider_ids=[clinic.user("paul").pk],
        waive_min_notice=True,
        # Bypass the per-process busy-interval cache: it is keyed by a schedule version that a rolled-back
        # test transaction resets, so on PostgreSQL it can serve another test's intervals.
        fresh=True,
    )
    return slots[next(_counter) % len(slots)] if slots else None


def book(clinic: Any) -> Any:
    """A fresh booked appointment at West Des Moines (a new synthetic caller each time)."""
    from ketaflow.scheduling.models import ConsultationType
    from ketaflow.scheduling.services import BookingDetails, appointment_book_by_staff

    kind = ConsultationType.objects.get(slug="new-patient-consultation")
    for _ in range(20):
        slot = _slot(clinic)
        n = next(_counter)
        try:
            appointment, _raw = appointment_book_by_staff(
                consultation_type=kind,
                location=clinic.wdm,
                provider_id=clinic.user("paul").pk,
                starts_at=slot.start,
                details=BookingDetails(
                    first_name="Synthetic",
                    last_name=f"Caller{n}",
                    date_of_birth=dt.date(1980, 1, 1),
                    email=f"caller{n}@example.com",
                    mobile_phone="5155550100",
                    reason="depression",
                ),
                booked_by=clinic.user("mia"),
                override_min_notice_reason="matrix",
            )
            return appointment
        except Exception:  # noqa: BLE001 - the slot was taken by an earlier call: try the next one
            continue
    raise AssertionError("no free slot for the matrix")


def _etag(obj: Any) -> dict[str, str]:
    from ketaflow.api.http import etag_for

    obj.refresh_from_db()
    return {"If-Match": etag_for(obj)}


def _appointment_state(appointment: Any) -> Callable[[], Any]:
    from ketaflow.scheduling.models import Appointment

    return lambda: Appointment.objects.filter(pk=appointment.pk).values().first()


def _patient_state(patient: Any) -> Callable[[], Any]:
    from ketaflow.patients.models import Patient

    return lambda: Patient.objects.filter(pk=patient.pk).values().first()


def _get(path: Callable[[Any], str]) -> Callable[[Any], Call]:
    return lambda clinic: Call(path=path(clinic))


def _booking(clinic: Any) -> Call:
    slot = _slot(clinic)
    n = next(_counter)
    return Call(
        path="/api/v1/appointments",
        body={
            "consultation_type": "new-patient-consultation",
            "location": str(clinic.wdm.uuid),
            "provider": str(clinic.user("paul").uuid),
            "starts_at": slot.start.isoformat(),
            "reason": "pain",
            "details": {
                "first_name": "Synthetic",
                "last_name": f"Booker{n}",
                "date_of_birth": "1975-05-05",
                "email": f"booker{n}@example.com",
            },
            "override_min_notice_reason": "matrix test",
        },
        headers={"Idempotency-Key": f"matrix-{n}-key"},
    )


def _cancel(clinic: Any) -> Call:
    appointment = book(clinic)
    return Call(
        path=f"/api/v1/appointments/{appointment.uuid}/cancel",
        body={"reason": "matrix"},
        headers=_etag(appointment),
        state=_appointment_state(appointment),
    )


def _patch_appointment(clinic: Any) -> Call:
    appointment = book(clinic)
    return Call(
        path=f"/api/v1/appointments/{appointment.uuid}",
        body={"inbox_status": "contacted"},
        headers=_etag(appointment),
        state=_appointment_state(appointment),
    )


def _patch_patient(clinic: Any) -> Call:
    patient = _wdm_patient(clinic)
    return Call(
        path=f"/api/v1/patients/{patient.uuid}",
        body={"city": f"Ames{next(_counter)}"},
        headers=_etag(patient),
        state=_patient_state(patient),
    )


_APPOINTMENT: dict[str, Any] = {}


def _existing_appointment(clinic: Any) -> Any:
    key = str(clinic.wdm.pk)
    from ketaflow.scheduling.models import Appointment

    found = _APPOINTMENT.get(key)
    if found is None or not Appointment.objects.filter(pk=found.pk).exists():
        _APPOINTMENT[key] = found = book(clinic)
    return found


def _chart(suffix: str, allowed: set[str | None] = CLINICAL) -> Route:
    return Route(
        "get",
        f"/api/v1/patients/{{patient_uuid}}/{suffix}",
        "read:clinical",
        allowed,
        _get(lambda c: f"/api/v1/patients/{_wdm_patient(c).uuid}/{suffix}"),
        not_found=NOT_AT_WDM,
    )


ROUTES: list[Route] = [
    Route("get", "/api/v1/me", None, STAFF | {"pat"}, _get(lambda c: "/api/v1/me")),
    Route(
        "get", "/api/v1/me/appointments", "read:schedule", {"pat"}, _get(lambda c: "/api/v1/me/appointments")
    ),
    Route("get", "/api/v1/locations", "read:schedule", DASHBOARD, _get(lambda c: "/api/v1/locations")),
    Route(
        "get",
        "/api/v1/locations/{location_uuid}",
        "read:schedule",
        DASHBOARD,
        _get(lambda c: f"/api/v1/locations/{c.wdm.uuid}"),
        not_found=NOT_AT_WDM,
    ),
    Route(
        "get",
        "/api/v1/consultation-types",
        "read:schedule",
        SCHEDULE,
        _get(lambda c: "/api/v1/consultation-types"),
    ),
    Route(
        "get",
        "/api/v1/slots",
        "read:schedule",
        SCHEDULE,
        _get(
            lambda c: f"/api/v1/slots?consultation_type=new-patient-consultation&location={c.wdm.uuid}&days=3"
        ),
        not_found=NOT_AT_WDM,
    ),
    Route("get", "/api/v1/appointments", "read:schedule", SCHEDULE, _get(lambda c: "/api/v1/appointments")),
    Route(
        "get",
        "/api/v1/appointments/{appointment_uuid}",
        "read:schedule",
        SCHEDULE,
        _get(lambda c: f"/api/v1/appointments/{_existing_appointment(c).uuid}"),
        not_found=NOT_AT_WDM,
    ),
    Route(
        "get",
        "/api/v1/appointments/{appointment_uuid}/ics",
        "read:schedule",
        SCHEDULE,
        _get(lambda c: f"/api/v1/appointments/{_existing_appointment(c).uuid}/ics"),
        not_found=NOT_AT_WDM,
    ),
    Route(
        "post",
        "/api/v1/appointments",
        "write:schedule",
        MANAGE_SCHEDULE,
        _booking,
        ok_status=201,
        not_found=NOT_AT_WDM,
    ),
    Route(
        "post",
        "/api/v1/appointments/{appointment_uuid}/cancel",
        "write:schedule",
        MANAGE_SCHEDULE,
        _cancel,
        not_found=NOT_AT_WDM,
    ),
    Route(
        "patch",
        "/api/v1/appointments/{appointment_uuid}",
        "write:schedule",
        MANAGE_SCHEDULE,
        _patch_appointment,
        not_found=NOT_AT_WDM,
    ),
    Route("get", "/api/v1/patients", "read:clinical", PATIENT, _get(lambda c: "/api/v1/patients")),
    Route(
        "get",
        "/api/v1/patients/{patient_uuid}",
        "read:clinical",
        PATIENT,
        _get(lambda c: f"/api/v1/patients/{_wdm_patient(c).uuid}"),
        not_found=NOT_AT_WDM,
    ),
    Route(
        "patch",
        "/api/v1/patients/{patient_uuid}",
        "write:clinical",
        EDIT_PATIENT,
        _patch_patient,
        not_found=NOT_AT_WDM,
    ),
    _chart("measurements"),
    _chart("diagnoses"),
    _chart("medications"),
    _chart("allergies"),
    _chart("questionnaires"),
    _chart("consents"),
    _chart("courses"),
    _chart("documents", PATIENT),
    _chart("candidacy-reviews"),
    _chart("sessions"),
    Route("get", "/api/v1/audit-events", "read:audit", AUDIT, _get(lambda c: "/api/v1/audit-events")),
    Route(
        "get",
        "/api/v1/ledger/lines",
        "read:ledger",
        LEDGER,
        _get(lambda c: f"/api/v1/ledger/lines?location={c.wdm.uuid}"),
        not_found=NOT_AT_WDM,
    ),
]
