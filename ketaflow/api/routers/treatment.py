"""Treatment courses and infusion sessions of one patient (read-only; audited like the chart)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.db.models import Prefetch
from django.http import HttpRequest
from ninja import Router, Schema

from ketaflow.api.routers.patients import _chart_patient

router = Router(tags=["treatment"])


class CourseOut(Schema):
    uuid: uuid.UUID
    protocol: str
    pathway: str
    status: str
    planned_sessions: int
    location: uuid.UUID
    created_at: dt.datetime


class SessionOut(Schema):
    uuid: uuid.UUID
    course: uuid.UUID
    status: str
    location: uuid.UUID
    chair: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    started_at: dt.datetime | None
    stopped_at: dt.datetime | None
    discharged_at: dt.datetime | None
    weight_kg: float | None
    delivered_mg: float | None


@router.get("/{patient_uuid}/courses", response=list[CourseOut], summary="Treatment courses")
def list_courses(request: HttpRequest, patient_uuid: uuid.UUID) -> list[dict[str, Any]]:
    from ketaflow.treatment.models import Course

    p = _chart_patient(request, patient_uuid, "treatment courses")
    return [
        {
            "uuid": c.uuid,
            "protocol": c.protocol.name,
            "pathway": c.pathway,
            "status": c.status,
            "planned_sessions": c.planned_sessions,
            "location": c.location.uuid,
            "created_at": c.created_at,
        }
        for c in Course.objects.current().filter(patient=p).select_related("protocol", "location")
    ]


@router.get(
    "/{patient_uuid}/sessions", response=list[SessionOut], summary="Infusion sessions with the dose given"
)
def list_sessions(request: HttpRequest, patient_uuid: uuid.UUID) -> list[dict[str, Any]]:
    from ketaflow.treatment.models import AdministrationEvent, InfusionSession
    from ketaflow.treatment.services import delivered_mg

    p = _chart_patient(request, patient_uuid, "infusion sessions")
    rows = (
        InfusionSession.objects.current()
        .filter(patient=p)
        .select_related("course", "location", "chair")
        .prefetch_related(
            # One query for every session's events (the delivered dose), not one per session.
            Prefetch(
                "events",
                queryset=AdministrationEvent.objects.current().order_by("at", "id"),
                to_attr="current_events",
            )
        )
        .order_by("starts_at")
    )
    return [
        {
            "uuid": s.uuid,
            "course": s.course.uuid,
            "status": s.status,
            "location": s.location.uuid,
            "chair": s.chair.label,
            "starts_at": s.starts_at,
            "ends_at": s.ends_at,
            "started_at": s.started_at,
            "stopped_at": s.stopped_at,
            "discharged_at": s.discharged_at,
            "weight_kg": s.weight_kg,
            "delivered_mg": round(delivered_mg(s, as_of=s.stopped_at, fetched=s.current_events), 3)
            if s.started_at
            else None,
        }
        for s in rows
    ]
