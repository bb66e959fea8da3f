"""Who am I: the caller's identity, role, permissions and (for tokens) scopes; a patient's own bookings."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Router, Schema

from ketaflow.accounts.roles import Role, permissions_for
from ketaflow.api.auth import require_scope
from ketaflow.api.problems import Problem
from ketaflow.scheduling.models import Appointment

router = Router(tags=["me"])


class MeOut(Schema):
    uuid: uuid.UUID
    username: str
    role: str
    permissions: list[str]
    scopes: list[str] | None
    locations: list[uuid.UUID]


class MyAppointmentOut(Schema):
    uuid: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    consultation_type: str
    location: str


@router.get("", response=MeOut, summary="The authenticated caller")
def me(request: HttpRequest) -> MeOut:
    user = request.user
    token = getattr(request, "api_token", None)
    return MeOut(
        uuid=user.uuid,
        username=user.username,
        role=user.role,
        permissions=sorted(permissions_for(user.role)) if user.is_active else [],
        scopes=sorted(token.scope_set) if token is not None else None,
        locations=[loc.uuid for loc in user.locations.order_by("name")],
    )


@router.get("/appointments", response=list[MyAppointmentOut], summary="A patient's own appointments")
def my_appointments(request: HttpRequest) -> list[MyAppointmentOut]:
    require_scope(request, "read:schedule")
    user = request.user
    if user.role != Role.PATIENT:
        raise Problem(403, "Only patients have their own appointments here; staff use /appointments.")
    patient = getattr(user, "patient", None)
    if patient is None:
        return []
    rows = (
        Appointment.objects.filter(
            patient=patient,
            status__in=[
                Appointment.Status.BOOKED,
                Appointment.Status.COMPLETED,
                Appointment.Status.CANCELLED,
            ],
        )
        .select_related("consultation_type", "location")
        .order_by("starts_at")
    )
    return [
        MyAppointmentOut(
            uuid=a.uuid,
            starts_at=a.starts_at,
            ends_at=a.ends_at,
            status=a.status,
            consultation_type=a.consultation_type.name,
            location=a.location.name,
        )
        for a in rows
    ]
