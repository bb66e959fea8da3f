"""Clinic configuration: locations (hours, chairs, rooms) and consultation types. Not patient data: no audit."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Schema

from ketaflow.accounts.roles import Perm
from ketaflow.api.auth import require_scope
from ketaflow.api.selectors import location_for_user
from ketaflow.clinics.models import Chair, OpeningHours, Room
from ketaflow.clinics.selectors import locations_for_user
from ketaflow.core.permissions import ensure_perm
from ketaflow.scheduling.selectors import consultation_types

router = Router(tags=["clinic"])


class HoursOut(Schema):
    weekday: int
    opens_at: dt.time
    closes_at: dt.time


class ResourceOut(Schema):
    uuid: uuid.UUID
    label: str
    is_active: bool


class LocationOut(Schema):
    uuid: uuid.UUID
    slug: str
    name: str
    address: str
    phone: str
    time_zone: str
    latitude: float
    longitude: float


class LocationDetailOut(LocationOut):
    opening_hours: list[HoursOut]
    chairs: list[ResourceOut]
    rooms: list[ResourceOut]


class ConsultationTypeOut(Schema):
    slug: str
    name: str
    mode: str
    duration_minutes: int
    buffer_before_minutes: int
    buffer_after_minutes: int
    is_new_patient: bool
    bookable_online: bool


def _location(loc: object) -> dict[str, object]:
    return {
        "uuid": loc.uuid,  # type: ignore[attr-defined]
        "slug": loc.slug,  # type: ignore[attr-defined]
        "name": loc.name,  # type: ignore[attr-defined]
        "address": loc.one_line_address,  # type: ignore[attr-defined]
        "phone": loc.phone,  # type: ignore[attr-defined]
        "time_zone": loc.time_zone,  # type: ignore[attr-defined]
        "latitude": loc.latitude,  # type: ignore[attr-defined]
        "longitude": loc.longitude,  # type: ignore[attr-defined]
    }


@router.get("/locations", response=list[LocationOut], summary="Locations the caller works at")
def list_locations(request: HttpRequest) -> list[dict[str, object]]:
    require_scope(request, "read:schedule")
    ensure_perm(request.user, Perm.VIEW_DASHBOARD)
    return [_location(loc) for loc in locations_for_user(request.user)]


@router.get(
    "/locations/{location_uuid}", response=LocationDetailOut, summary="One location with hours, chairs, rooms"
)
def get_location(request: HttpRequest, location_uuid: uuid.UUID) -> dict[str, object]:
    require_scope(request, "read:schedule")
    ensure_perm(request.user, Perm.VIEW_DASHBOARD)
    loc = location_for_user(request.user, location_uuid)
    hours = OpeningHours.objects.filter(location=loc).order_by("weekday", "opens_at")
    chairs = Chair.objects.filter(location=loc).order_by("label")
    rooms = Room.objects.filter(location=loc).order_by("label")
    _ = Prefetch  # hours, chairs and rooms: one query each
    return {
        **_location(loc),
        "opening_hours": [
            {"weekday": h.weekday, "opens_at": h.opens_at, "closes_at": h.closes_at} for h in hours
        ],
        "chairs": [{"uuid": c.uuid, "label": c.label, "is_active": c.is_active} for c in chairs],
        "rooms": [{"uuid": r.uuid, "label": r.label, "is_active": r.is_active} for r in rooms],
    }


@router.get("/consultation-types", response=list[ConsultationTypeOut], summary="Bookable consultation types")
def list_consultation_types(request: HttpRequest) -> list[object]:
    require_scope(request, "read:schedule")
    ensure_perm(request.user, Perm.VIEW_SCHEDULE)
    return list(consultation_types().order_by("name"))
