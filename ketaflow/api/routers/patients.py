"""Patients and their chart. Every read of one patient goes through ``patient_get_for_chart`` (audited)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Annotated, Any, Literal

from django.http import HttpRequest, HttpResponse
from ninja import Query, Router, Schema
from pydantic import EmailStr, StringConstraints

from ketaflow.accounts.roles import Perm
from ketaflow.api.auth import require_scope, via
from ketaflow.api.http import check_if_match, etag_for
from ketaflow.api.pagination import Page, keyset_page
from ketaflow.api.schemas import Cursor, Limit, ShortText
from ketaflow.core.audit import Action, audit
from ketaflow.patients.models import Allergy, BodyMeasurement, Diagnosis, Medication, Patient
from ketaflow.patients.selectors import patient_get_for_chart, patient_search
from ketaflow.patients.services import patient_update

router = Router(tags=["patients"])

Name = Annotated[str, StringConstraints(min_length=1, max_length=100, pattern=r"^[^\x00]*$")]
Phone = Annotated[str, StringConstraints(max_length=30, pattern=r"^[0-9 +().\-]*$")]
Line = Annotated[str, StringConstraints(max_length=150, pattern=r"^[^\x00]*$")]


class PatientSummaryOut(Schema):
    uuid: uuid.UUID
    chart_number: str
    first_name: str
    last_name: str
    date_of_birth: dt.date
    preferred_location: uuid.UUID | None


class PatientOut(PatientSummaryOut):
    sex: str
    email: str
    mobile_phone: str
    address_line1: str
    city: str
    state: str
    zip_code: str
    emergency_contact_name: str
    emergency_contact_relationship: str
    emergency_contact_phone: str
    escort_name: str
    escort_phone: str
    referring_clinician: str
    referring_practice: str
    referring_phone: str
    updated_at: dt.datetime


class PatientPatch(Schema):
    first_name: Name | None = None
    last_name: Name | None = None
    sex: Literal["female", "male", "other", "unknown"] | None = None
    email: EmailStr | None = None
    mobile_phone: Phone | None = None
    address_line1: Line | None = None
    city: Annotated[str, StringConstraints(max_length=100, pattern=r"^[^\x00]*$")] | None = None
    state: Annotated[str, StringConstraints(pattern=r"^([A-Z]{2})?$")] | None = None
    zip_code: Annotated[str, StringConstraints(pattern=r"^(\d{5}(-\d{4})?)?$")] | None = None
    emergency_contact_name: Line | None = None
    emergency_contact_phone: Phone | None = None
    escort_name: Line | None = None
    escort_phone: Phone | None = None


class PatientFilters(Schema):
    q: ShortText = ""
    cursor: Cursor | None = None
    limit: Limit = 50


class MeasurementOut(Schema):
    uuid: uuid.UUID
    measured_on: dt.date
    weight_kg: float
    height_cm: float | None
    source: str


class DiagnosisOut(Schema):
    uuid: uuid.UUID
    condition: str
    label: str
    icd10_code: str
    snomed_code: str
    onset_on: dt.date | None
    is_active: bool


class MedicationOut(Schema):
    uuid: uuid.UUID
    name: str
    drug_class: str
    dose_text: str
    daily_dose_mg: float | None
    started_on: dt.date | None
    stopped_on: dt.date | None


class AllergyOut(Schema):
    uuid: uuid.UUID
    substance: str
    reaction: str
    severity: str


class QuestionnaireOut(Schema):
    uuid: uuid.UUID
    instrument: str
    completed_at: dt.datetime
    answers: Any
    total: float | None = None
    band: str | None = None
    complete: bool | None = None
    engine_version: str


class ConsentOut(Schema):
    uuid: uuid.UUID
    pathway: str
    template_version: int
    signed_at: dt.datetime
    countersigned_at: dt.datetime | None
    revoked_at: dt.datetime | None
    status: str


def patient_out(p: Patient) -> dict[str, Any]:
    data = {name: getattr(p, name) for name in PatientOut.model_fields if name not in ("preferred_location",)}
    data["preferred_location"] = p.preferred_location.uuid if p.preferred_location else None
    return data


def _json(data: dict[str, Any], etag: str) -> HttpResponse:
    from ninja.responses import NinjaJSONEncoder

    response = HttpResponse(json.dumps(data, cls=NinjaJSONEncoder), content_type="application/json")
    response["ETag"] = etag
    return response


def _chart_patient(
    request: HttpRequest, patient_uuid: uuid.UUID, what: str, perm: str = Perm.VIEW_CLINICAL
) -> Patient:
    require_scope(request, "read:clinical")
    return patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail=f"{what} read ({via(request)})", perm=perm
    )


@router.get("", response=Page[PatientSummaryOut], summary="Patients at the caller's locations")
def list_patients(request: HttpRequest, filters: Query[PatientFilters]) -> dict[str, Any]:
    require_scope(request, "read:clinical")
    qs = patient_search(user=request.user, query=filters.q)
    rows, next_cursor = keyset_page(
        qs,
        fields=("last_name", "first_name", "uuid"),
        cursor=filters.cursor,
        limit=filters.limit,
        scope=f"patients:{filters.q}",
    )
    audit(
        Action.READ,
        actor=request.user,
        object_type="patients.Patient",
        detail=f"patient list read ({via(request)}): {len(rows)} rows",
    )
    return {
        "items": [
            {
                "uuid": p.uuid,
                "chart_number": p.chart_number,
                "first_name": p.first_name,
                "last_name": p.last_name,
                "date_of_birth": p.date_of_birth,
                "preferred_location": p.preferred_location.uuid if p.preferred_location else None,
            }
            for p in rows
        ],
        "next_cursor": next_cursor,
    }


@router.get("/{patient_uuid}", response=PatientOut, summary="One patient's demographics (audited)")
def get_patient(request: HttpRequest, patient_uuid: uuid.UUID) -> HttpResponse:
    p = _chart_patient(request, patient_uuid, "demographics", Perm.VIEW_PATIENT)
    return _json(patient_out(p), etag_for(p))


@router.patch("/{patient_uuid}", response=PatientOut, summary="Change demographics (If-Match required)")
def update_patient(request: HttpRequest, patient_uuid: uuid.UUID, payload: PatientPatch) -> HttpResponse:
    require_scope(request, "write:clinical")
    p = patient_get_for_chart(
        user=request.user,
        patient_uuid=patient_uuid,
        detail=f"demographics read for update ({via(request)})",
        perm=Perm.EDIT_PATIENT,
    )
    check_if_match(request, p)
    changes = {
        k: (str(v) if k == "email" else v)
        for k, v in payload.model_dump(exclude_unset=True).items()
        if v is not None
    }
    p = patient_update(patient=p, updated_by=request.user, changes=changes)
    return _json(patient_out(p), etag_for(p))


@router.get("/{patient_uuid}/measurements", response=list[MeasurementOut], summary="Weights and heights")
def list_measurements(request: HttpRequest, patient_uuid: uuid.UUID) -> list[Any]:
    p = _chart_patient(request, patient_uuid, "measurements")
    return list(BodyMeasurement.objects.current().filter(patient=p))


@router.get(
    "/{patient_uuid}/diagnoses", response=list[DiagnosisOut], summary="Diagnoses with ICD-10 and SNOMED codes"
)
def list_diagnoses(request: HttpRequest, patient_uuid: uuid.UUID) -> list[Any]:
    p = _chart_patient(request, patient_uuid, "diagnoses")
    return list(Diagnosis.objects.current().filter(patient=p))


@router.get("/{patient_uuid}/medications", response=list[MedicationOut], summary="Medications")
def list_medications(request: HttpRequest, patient_uuid: uuid.UUID) -> list[Any]:
    p = _chart_patient(request, patient_uuid, "medications")
    return list(Medication.objects.current().filter(patient=p))


@router.get("/{patient_uuid}/allergies", response=list[AllergyOut], summary="Allergies")
def list_allergies(request: HttpRequest, patient_uuid: uuid.UUID) -> list[Any]:
    p = _chart_patient(request, patient_uuid, "allergies")
    return list(Allergy.objects.current().filter(patient=p))


@router.get(
    "/{patient_uuid}/questionnaires",
    response=list[QuestionnaireOut],
    summary="Questionnaire answers and scores",
)
def list_questionnaires(request: HttpRequest, patient_uuid: uuid.UUID) -> list[dict[str, Any]]:
    from ketaflow.intake.models import QuestionnaireResponse

    p = _chart_patient(request, patient_uuid, "questionnaires")
    return [
        {
            "uuid": q.uuid,
            "instrument": q.instrument,
            "completed_at": q.completed_at,
            "answers": q.answers,
            "total": (q.result or {}).get("total"),
            "band": (q.result or {}).get("band"),
            "complete": (q.result or {}).get("complete"),
            "engine_version": q.engine_version,
        }
        for q in QuestionnaireResponse.objects.current().filter(patient=p)
    ]


@router.get("/{patient_uuid}/consents", response=list[ConsentOut], summary="Signed consents")
def list_consents(request: HttpRequest, patient_uuid: uuid.UUID) -> list[dict[str, Any]]:
    from ketaflow.intake.models import SignedConsent

    p = _chart_patient(request, patient_uuid, "consents")
    return [
        {
            "uuid": c.uuid,
            "pathway": c.pathway,
            "template_version": c.template.version,
            "signed_at": c.signed_at,
            "countersigned_at": c.countersigned_at,
            "revoked_at": c.revoked_at,
            "status": c.status,
        }
        for c in SignedConsent.objects.current().filter(patient=p).select_related("template")
    ]


class DocumentOut(Schema):
    uuid: uuid.UUID
    kind: str
    title: str
    content_type: str
    size_bytes: int
    sha256: str
    created_at: dt.datetime


class CandidacyReviewOut(Schema):
    uuid: uuid.UUID
    pathway: str
    decision: str
    protocol_name: str
    reason: str
    decided_by: str
    decided_at: dt.datetime
    engine_version: str


@router.get("/{patient_uuid}/documents", response=list[DocumentOut], summary="Documents on file (metadata)")
def list_documents(request: HttpRequest, patient_uuid: uuid.UUID) -> list[Any]:
    from ketaflow.patients.models import PatientDocument

    p = _chart_patient(request, patient_uuid, "document list", Perm.VIEW_PATIENT)
    return list(PatientDocument.objects.current().filter(patient=p))


@router.get(
    "/{patient_uuid}/candidacy-reviews", response=list[CandidacyReviewOut], summary="Candidacy decisions"
)
def list_candidacy_reviews(request: HttpRequest, patient_uuid: uuid.UUID) -> list[dict[str, Any]]:
    from ketaflow.intake.models import CandidacyReview

    p = _chart_patient(request, patient_uuid, "candidacy reviews")
    return [
        {
            "uuid": r.uuid,
            "pathway": r.pathway,
            "decision": r.decision,
            "protocol_name": r.protocol_name,
            "reason": r.reason,
            "decided_by": r.decided_by.display_name,
            "decided_at": r.decided_at,
            "engine_version": r.engine_version,
        }
        for r in CandidacyReview.objects.current().filter(patient=p).select_related("decided_by")
    ]
