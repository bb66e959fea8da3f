"""The audit log, read-only, for managers and auditors (the same selector as the Audit log page)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.http import HttpRequest
from ninja import Query, Router, Schema

from ketaflow.api.auth import require_scope, via
from ketaflow.api.pagination import Page, keyset_page
from ketaflow.api.schemas import Cursor, Limit, SaneDate, ShortText
from ketaflow.core.audit import Action, audit
from ketaflow.core.selectors import audit_events_filtered

router = Router(tags=["audit"])


class AuditEventOut(Schema):
    uuid: uuid.UUID
    occurred_at: dt.datetime
    actor: str
    role: str
    action: str
    object_type: str
    object_uuid: uuid.UUID | None
    patient_uuid: uuid.UUID | None
    location: uuid.UUID | None
    ip_address: str | None
    request_id: str
    detail: str


class AuditFilters(Schema):
    patient: uuid.UUID | None = None
    user: ShortText = ""
    date_from: SaneDate | None = None
    date_to: SaneDate | None = None
    cursor: Cursor | None = None
    limit: Limit = 50


@router.get("", response=Page[AuditEventOut], summary="Audit log lines (newest first)")
def list_audit_events(request: HttpRequest, filters: Query[AuditFilters]) -> dict[str, object]:
    require_scope(request, "read:audit")
    qs = audit_events_filtered(
        user=request.user,
        patient=filters.patient,
        user_name=filters.user,
        date_from=filters.date_from,
        date_to=filters.date_to,
    )
    scope = f"audit:{filters.patient}:{filters.user}:{filters.date_from}:{filters.date_to}"
    rows, next_cursor = keyset_page(
        qs,
        fields=("occurred_at", "uuid"),
        cursor=filters.cursor,
        limit=filters.limit,
        scope=scope,
        descending=True,
    )
    audit(
        Action.READ,
        actor=request.user,
        object_type="core.AuditEvent",
        detail=f"audit log read ({via(request)})",
    )
    return {
        "items": [
            {
                "uuid": e.uuid,
                "occurred_at": e.occurred_at,
                "actor": e.actor_label,
                "role": e.role,
                "action": e.action,
                "object_type": e.object_type,
                "object_uuid": e.object_uuid,
                "patient_uuid": e.patient_uuid,
                "location": e.location.uuid if e.location else None,
                "ip_address": e.ip_address,
                "request_id": e.request_id,
                "detail": e.detail,
            }
            for e in rows
        ],
        "next_cursor": next_cursor,
    }
