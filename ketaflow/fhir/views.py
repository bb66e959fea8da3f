"""GET /fhir/R4/metadata (public) and GET /fhir/R4/Patient/{uuid}/$everything (read:clinical, audited)."""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from ketaflow.accounts.roles import Perm
from ketaflow.api.auth import TokenAuth, require_scope
from ketaflow.api.problems import Problem
from ketaflow.core.audit import Action, audit
from ketaflow.fhir.export import capability_statement, everything_bundle
from ketaflow.patients.selectors import patient_get_for_chart

FHIR_JSON = "application/fhir+json"


def _json(data: dict[str, Any], status: int = 200) -> HttpResponse:
    return HttpResponse(json.dumps(data), status=status, content_type=FHIR_JSON)


def operation_outcome(status: int, code: str, text: str) -> HttpResponse:
    response = _json(
        {
            "resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": text}],
        },
        status,
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="ketaflow"'
    return response


def _authenticate(request: HttpRequest) -> Any:
    """Bearer token if one is sent (no fallback to the cookie then), else the session."""
    if request.headers.get("Authorization"):
        user = TokenAuth()(request)
        return user or None
    request.api_token = None  # type: ignore[attr-defined]
    return request.user if request.user.is_authenticated else None


@require_GET
def metadata(request: HttpRequest) -> HttpResponse:
    return _json(capability_statement())


@csrf_exempt
@require_GET
def patient_everything(request: HttpRequest, patient_uuid: Any) -> HttpResponse:
    try:
        user = _authenticate(request)
        if user is None:
            return operation_outcome(401, "login", "Authenticate with a bearer token or a session.")
        require_scope(request, "read:clinical")
        patient = patient_get_for_chart(
            user=user, patient_uuid=patient_uuid, detail="FHIR $everything export", perm=Perm.VIEW_CLINICAL
        )
    except Problem as exc:
        return operation_outcome(exc.status, "throttled" if exc.status == 429 else "forbidden", exc.detail)
    except PermissionDenied as exc:
        return operation_outcome(403, "forbidden", str(exc) or "Not allowed.")
    except Http404:
        return operation_outcome(404, "not-found", "No such patient.")
    bundle = everything_bundle(patient)
    audit(
        Action.EXPORT,
        actor=user,
        obj=patient,
        patient_uuid=patient.uuid,
        detail=f"FHIR bundle, {bundle['total']} resources",
    )
    return _json(bundle)
