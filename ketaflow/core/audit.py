"""Writing to the append-only audit log. Call these from services, views of patient data and exports."""

from __future__ import annotations

import uuid
from typing import Any

from ketaflow.core.models import AuditEvent
from ketaflow.core.request_context import client_ip, current_request

Action = AuditEvent.Action


def audit(
    action: str,
    *,
    actor: Any = None,
    obj: Any = None,
    object_type: str = "",
    object_uuid: uuid.UUID | str | None = None,
    patient_uuid: uuid.UUID | str | None = None,
    location: Any = None,
    detail: str = "",
    actor_label: str = "",
) -> AuditEvent:
    """Append one audit line. Request data (IP, request id, user, location) are taken from the current request."""
    request = current_request()
    if actor is None and request is not None and request.user.is_authenticated:
        actor = request.user
    if obj is not None:
        object_type = object_type or obj._meta.label
        object_uuid = object_uuid or getattr(obj, "uuid", None)
    if location is None and request is not None:
        location = getattr(request, "location", None) or None
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and getattr(actor, "pk", None) else None,
        actor_label=actor_label
        or (actor.username if actor is not None and getattr(actor, "pk", None) else ""),
        role=getattr(actor, "role", "") or "",
        object_type=object_type,
        object_uuid=object_uuid,
        patient_uuid=patient_uuid,
        location=location if getattr(location, "pk", None) else None,
        ip_address=client_ip(request),
        request_id=getattr(request, "request_id", "") if request is not None else "",
        detail=detail[:500],
    )
