"""Free times and appointments: list, read (audited), book (idempotent), change and cancel (If-Match)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated, Literal

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Header, Query, Router, Schema
from pydantic import EmailStr, Field, StringConstraints

from ketaflow.accounts.roles import Perm
from ketaflow.api.auth import require_scope, via
from ketaflow.api.http import check_if_match, etag_for, idempotent
from ketaflow.api.pagination import Page, keyset_page
from ketaflow.api.problems import Problem
from ketaflow.api.schemas import Cursor, Limit, SaneDate, ShortText, Text
from ketaflow.api.selectors import (
    appointment_get,
    appointments_visible_to,
    consultation_type_by_slug,
    location_for_user,
    prescriber_by_uuid,
)
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.scheduling import services
from ketaflow.scheduling.calendar_files import appointment_ics
from ketaflow.scheduling.models import Appointment
from ketaflow.scheduling.selectors import slot_search

router = Router(tags=["schedule"])

IdempotencyKey = Annotated[
    str, StringConstraints(min_length=8, max_length=200, pattern=r"^[A-Za-z0-9_.:\-]+$")
]
MAX_SLOT_DAYS = 14
IDEMPOTENCY_HEADER = Field(
    ..., alias="Idempotency-Key", description="A fresh random key per booking, reused on retry"
)


class SlotOut(Schema):
    starts_at: dt.datetime
    ends_at: dt.datetime
    provider: uuid.UUID
    provider_name: str
    location: uuid.UUID


class SlotFilters(Schema):
    consultation_type: ShortText
    location: uuid.UUID
    start: SaneDate | None = None
    days: Annotated[int, Field(ge=1, le=MAX_SLOT_DAYS)] = 7
    provider: uuid.UUID | None = None
    inside_notice: bool = False


class AppointmentOut(Schema):
    uuid: uuid.UUID
    starts_at: dt.datetime
    ends_at: dt.datetime
    status: str
    channel: str
    consultation_type: str
    location: uuid.UUID
    provider: uuid.UUID
    provider_name: str
    room: str | None
    patient: uuid.UUID | None
    inbox_status: str
    cancel_reason: str
    updated_at: dt.datetime


class AppointmentFilters(Schema):
    location: uuid.UUID | None = None
    provider: uuid.UUID | None = None
    patient: uuid.UUID | None = None
    status: Literal["held", "booked", "cancelled", "expired", "completed", "no_show"] | None = None
    date_from: SaneDate | None = None
    date_to: SaneDate | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


class PatientDetailsIn(Schema):
    first_name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    last_name: Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
    date_of_birth: Annotated[dt.date, Field(ge=dt.date(1900, 1, 1), le=dt.date(2100, 1, 1))]
    email: EmailStr
    mobile_phone: Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9 +().\-]*$")] = ""


class BookingIn(Schema):
    consultation_type: ShortText
    location: uuid.UUID
    provider: uuid.UUID
    starts_at: dt.datetime
    reason: Literal["pain", "depression"]
    patient: uuid.UUID | None = Field(None, description="An existing patient; else give `details`.")
    details: PatientDetailsIn | None = None
    override_min_notice_reason: Text = ""


class CancelIn(Schema):
    reason: Text = ""


class AppointmentPatch(Schema):
    inbox_status: Literal["new", "contacted", "booked", "not_a_candidate"] | None = None
    starts_at: dt.datetime | None = None
    provider: uuid.UUID | None = None


def appointment_out(a: Appointment) -> dict[str, object]:
    return {
        "uuid": a.uuid,
        "starts_at": a.starts_at,
        "ends_at": a.ends_at,
        "status": a.status,
        "channel": a.channel,
        "consultation_type": a.consultation_type.slug,
        "location": a.location.uuid,
        "provider": a.provider.uuid,
        "provider_name": a.provider.display_name,
        "room": a.room.label if a.room else None,
        "patient": a.patient.uuid if a.patient else None,
        "inbox_status": a.inbox_status,
        "cancel_reason": a.cancel_reason,
        "updated_at": a.updated_at,
    }


def _json(
    request: HttpRequest, data: dict[str, object], status: int, etag: str | None = None
) -> HttpResponse:
    from ninja.responses import NinjaJSONEncoder

    response = HttpResponse(
        json.dumps(data, cls=NinjaJSONEncoder), status=status, content_type="application/json"
    )
    if etag:
        response["ETag"] = etag
    return response


def _aware(value: dt.datetime) -> dt.datetime:
    if timezone.is_naive(value):
        raise Problem(422, "Times need a UTC offset, e.g. 2026-12-01T15:00:00Z.")
    try:
        return value.astimezone(dt.UTC)
    except (OverflowError, ValueError) as exc:
        raise Problem(422, "That time is out of range.") from exc


@router.get("/slots", response=list[SlotOut], summary="Free consultation times")
def list_slots(request: HttpRequest, filters: Query[SlotFilters]) -> list[dict[str, object]]:
    require_scope(request, "read:schedule")
    ensure_perm(request.user, Perm.VIEW_SCHEDULE)
    kind = consultation_type_by_slug(filters.consultation_type)
    location = location_for_user(request.user, filters.location)
    first_day = filters.start or timezone.localdate()
    window_start = dt.datetime.combine(first_day, dt.time.min, tzinfo=location.tz)
    window_end = window_start + dt.timedelta(days=filters.days)
    provider_ids = [prescriber_by_uuid(filters.provider).pk] if filters.provider else None
    slots = slot_search(
        consultation_type=kind,
        location_ids=[location.pk],
        provider_ids=provider_ids,
        waive_min_notice=filters.inside_notice,
        window_start=max(window_start, timezone.now()),
        window_end=window_end,
    )
    from ketaflow.accounts.models import User

    names = {
        u.pk: (u.uuid, u.display_name) for u in User.objects.filter(pk__in={s.provider_id for s in slots})
    }
    return [
        {
            "starts_at": s.start,
            "ends_at": s.end,
            "provider": names[s.provider_id][0],
            "provider_name": names[s.provider_id][1],
            "location": location.uuid,
        }
        for s in slots
    ]


@router.get("/appointments", response=Page[AppointmentOut], summary="Appointments at the caller's locations")
def list_appointments(request: HttpRequest, filters: Query[AppointmentFilters]) -> dict[str, object]:
    require_scope(request, "read:schedule")
    qs = appointments_visible_to(request.user)
    if filters.location:
        qs = qs.filter(location__uuid=filters.location)
    if filters.provider:
        qs = qs.filter(provider__uuid=filters.provider)
    if filters.patient:
        qs = qs.filter(patient__uuid=filters.patient)
    if filters.status:
        qs = qs.filter(status=filters.status)
    if filters.date_from:
        qs = qs.filter(starts_at__gte=dt.datetime.combine(filters.date_from, dt.time.min, tzinfo=dt.UTC))
    if filters.date_to:
        end = dt.datetime.combine(filters.date_to, dt.time.min, tzinfo=dt.UTC) + dt.timedelta(days=1)
        qs = qs.filter(starts_at__lt=end)
    scope = "appointments:" + ":".join(
        str(v)
        for v in (
            filters.location,
            filters.provider,
            filters.patient,
            filters.status,
            filters.date_from,
            filters.date_to,
        )
    )
    rows, next_cursor = keyset_page(
        qs, fields=("starts_at", "uuid"), cursor=filters.cursor, limit=filters.limit, scope=scope
    )
    return {"items": [appointment_out(a) for a in rows], "next_cursor": next_cursor}


@router.get("/appointments/{appointment_uuid}", response=AppointmentOut, summary="One appointment (audited)")
def get_appointment(request: HttpRequest, appointment_uuid: uuid.UUID) -> HttpResponse:
    require_scope(request, "read:schedule")
    a = appointment_get(
        user=request.user, appointment_uuid=appointment_uuid, detail=f"appointment read ({via(request)})"
    )
    return _json(request, appointment_out(a), 200, etag_for(a))


@router.get(
    "/appointments/{appointment_uuid}/ics",
    summary="The appointment as an iCalendar file",
    openapi_extra={
        "responses": {
            "200": {"description": "iCalendar", "content": {"text/calendar": {"schema": {"type": "string"}}}}
        }
    },
)
def get_appointment_ics(request: HttpRequest, appointment_uuid: uuid.UUID) -> HttpResponse:
    require_scope(request, "read:schedule")
    a = appointment_get(
        user=request.user, appointment_uuid=appointment_uuid, detail=f"calendar file ({via(request)})"
    )
    response = HttpResponse(appointment_ics(a), content_type="text/calendar")
    response["Content-Disposition"] = 'attachment; filename="appointment.ics"'
    return response


@router.post(
    "/appointments",
    response={201: AppointmentOut},
    summary="Book a consultation (Idempotency-Key required)",
)
def book_appointment(
    request: HttpRequest,
    payload: BookingIn,
    idempotency_key: Header[IdempotencyKey] = IDEMPOTENCY_HEADER,
) -> HttpResponse:
    require_scope(request, "write:schedule")
    user = request.user
    ensure_perm(user, Perm.MANAGE_SCHEDULE)

    def make() -> HttpResponse:
        kind = consultation_type_by_slug(payload.consultation_type)
        location = location_for_user(user, payload.location)
        ensure_location(user, location.pk)
        provider = prescriber_by_uuid(payload.provider)
        patient = None
        if payload.patient is not None:
            from ketaflow.patients.selectors import patients_visible_to

            patient = patients_visible_to(user).filter(uuid=payload.patient).first()
            if patient is None:
                raise Problem(404, "No such patient.")
        if patient is None and payload.details is None:
            raise Problem(422, "Give `patient` (an existing patient) or `details` (a new caller).")
        d = payload.details
        details = services.BookingDetails(
            first_name=d.first_name if d else patient.first_name,  # type: ignore[union-attr]
            last_name=d.last_name if d else patient.last_name,  # type: ignore[union-attr]
            date_of_birth=d.date_of_birth if d else patient.date_of_birth,  # type: ignore[union-attr]
            email=str(d.email) if d else patient.email,  # type: ignore[union-attr]
            mobile_phone=d.mobile_phone if d else patient.mobile_phone,  # type: ignore[union-attr]
            reason=payload.reason,
        )
        appointment, _raw = services.appointment_book_by_staff(
            consultation_type=kind,
            location=location,
            provider_id=provider.pk,
            starts_at=_aware(payload.starts_at),
            details=details,
            booked_by=user,
            patient=patient,
            override_min_notice_reason=payload.override_min_notice_reason,
            channel=Appointment.Channel.PHONE,
        )
        appointment = appointments_visible_to(user).get(pk=appointment.pk)
        return _json(request, appointment_out(appointment), 201, etag_for(appointment))

    from ketaflow.api.api import _booking
    from ketaflow.scheduling.services import BookingError

    def make_or_conflict() -> HttpResponse:
        try:
            return make()
        except BookingError as exc:
            return _booking(request, exc)

    return idempotent(request, idempotency_key, make_or_conflict)


@router.post(
    "/appointments/{appointment_uuid}/cancel", response=AppointmentOut, summary="Cancel (If-Match required)"
)
def cancel_appointment(request: HttpRequest, appointment_uuid: uuid.UUID, payload: CancelIn) -> HttpResponse:
    require_scope(request, "write:schedule")
    ensure_perm(request.user, Perm.MANAGE_SCHEDULE)
    a = appointment_get(user=request.user, appointment_uuid=appointment_uuid, detail="", for_update=True)
    check_if_match(request, a)
    a = services.appointment_cancel(appointment=a, reason=payload.reason, cancelled_by=request.user)
    a = appointments_visible_to(request.user).get(pk=a.pk)
    return _json(request, appointment_out(a), 200, etag_for(a))


@router.patch(
    "/appointments/{appointment_uuid}", response=AppointmentOut, summary="Move or triage (If-Match required)"
)
def update_appointment(
    request: HttpRequest, appointment_uuid: uuid.UUID, payload: AppointmentPatch
) -> HttpResponse:
    require_scope(request, "write:schedule")
    user = request.user
    ensure_perm(user, Perm.MANAGE_SCHEDULE)
    a = appointment_get(user=user, appointment_uuid=appointment_uuid, detail="", for_update=True)
    check_if_match(request, a)
    if payload.starts_at is not None or payload.provider is not None:
        provider_id = prescriber_by_uuid(payload.provider).pk if payload.provider else a.provider_id
        services.appointment_reschedule(
            appointment=a,
            provider_id=provider_id,
            starts_at=_aware(payload.starts_at or a.starts_at),
            changed_by=user,
        )
    if payload.inbox_status is not None:
        services.appointment_inbox_status_set(appointment=a, status=payload.inbox_status, changed_by=user)
    a = appointments_visible_to(user).get(pk=a.pk)
    return _json(request, appointment_out(a), 200, etag_for(a))
