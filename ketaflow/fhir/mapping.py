"""Ketaflow rows → FHIR R4 resources (as dicts validated with fhir.resources' R4B models).

fhir.resources 8 ships R5 as its default package and R4B (4.3.0) as ``fhir.resources.R4B``; there is no
plain R4 package. The resources used here (Patient, Condition, Appointment, Encounter, Observation,
QuestionnaireResponse, Consent, CarePlan, MedicationAdministration, Bundle, CapabilityStatement) did not
change between R4 (4.0.1) and R4B, so R4B models validate R4 content. See docs/fhir.md.

To export a new kind of record, write ``def map_x(patient) -> list[dict]`` and add it to ``EXPORTERS``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.conf import settings

from ketaflow.domain import instruments
from ketaflow.fhir import codes
from ketaflow.patients.models import BodyMeasurement, Diagnosis, Patient
from ketaflow.scheduling.models import Appointment

FHIR_VERSION = "4.0.1"


def canonical_base() -> str:
    return settings.SITE_URL.rstrip("/") + "/fhir/R4"


def ref(kind: str, uuid: Any) -> dict[str, str]:
    return {"reference": f"{kind}/{uuid}"}


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).isoformat()


def map_patient(p: Patient) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "resourceType": "Patient",
        "id": str(p.uuid),
        "identifier": [{"system": codes.CHART_NUMBER_SYSTEM, "value": p.chart_number}],
        "name": [{"family": p.last_name, "given": [p.first_name]}],
        "gender": p.sex if p.sex in ("female", "male", "other", "unknown") else "unknown",
        "birthDate": p.date_of_birth.isoformat(),
    }
    telecom = []
    if p.email:
        telecom.append({"system": "email", "value": p.email})
    if p.mobile_phone:
        telecom.append({"system": "phone", "value": p.mobile_phone, "use": "mobile"})
    if telecom:
        resource["telecom"] = telecom
    if p.address_line1 or p.city:
        address = {
            "line": [p.address_line1] if p.address_line1 else None,
            "city": p.city or None,
            "state": p.state or None,
            "postalCode": p.zip_code or None,
            "country": "US",
        }
        resource["address"] = [{k: v for k, v in address.items() if v}]
    return resource


def map_conditions(p: Patient) -> list[dict[str, Any]]:
    out = []
    for d in Diagnosis.objects.current().filter(patient=p):
        coding = []
        if d.snomed_code:
            coding.append({"system": codes.SNOMED, "code": d.snomed_code, "display": d.label})
        if d.icd10_code:
            coding.append({"system": codes.ICD10CM, "code": d.icd10_code, "display": d.label})
        resource: dict[str, Any] = {
            "resourceType": "Condition",
            "id": str(d.uuid),
            "clinicalStatus": {
                "coding": [
                    {"system": codes.CONDITION_CLINICAL, "code": "active" if d.is_active else "inactive"}
                ]
            },
            "verificationStatus": {"coding": [{"system": codes.CONDITION_VERIFICATION, "code": "confirmed"}]},
            "category": [{"coding": [{"system": codes.CONDITION_CATEGORY, "code": "problem-list-item"}]}],
            "code": {"coding": coding, "text": d.label},
            "subject": ref("Patient", p.uuid),
            "recordedDate": _iso(d.created_at),
        }
        if d.onset_on:
            resource["onsetDateTime"] = d.onset_on.isoformat()
        out.append(resource)
    return out


APPOINTMENT_STATUS = {
    "held": "pending",
    "booked": "booked",
    "cancelled": "cancelled",
    "expired": "cancelled",
    "completed": "fulfilled",
    "no_show": "noshow",
}


def map_appointments(p: Patient) -> list[dict[str, Any]]:
    out = []
    rows = Appointment.objects.filter(patient=p).select_related("provider", "location", "consultation_type")
    for a in rows.order_by("starts_at"):
        out.append(
            {
                "resourceType": "Appointment",
                "id": str(a.uuid),
                "status": APPOINTMENT_STATUS.get(a.status, "booked"),
                "serviceType": [{"text": a.consultation_type.name}],
                "start": _iso(a.starts_at),
                "end": _iso(a.ends_at),
                "minutesDuration": int((a.ends_at - a.starts_at).total_seconds() // 60),
                "created": _iso(a.created_at),
                **({"cancelationReason": {"text": a.cancel_reason}} if a.cancel_reason else {}),
                "participant": [
                    {"actor": {**ref("Patient", p.uuid)}, "status": "accepted"},
                    {"actor": {"display": a.provider.display_name}, "status": "accepted"},
                    {"actor": {"display": a.location.name}, "status": "accepted"},
                ],
            }
        )
        if a.status == Appointment.Status.COMPLETED:
            out.append(
                {
                    "resourceType": "Encounter",
                    "id": f"{a.uuid}-encounter",
                    "status": "finished",
                    "class": {
                        "system": codes.ACT_CODE,
                        "code": "AMB" if a.consultation_type.needs_room else "VR",
                    },
                    "subject": ref("Patient", p.uuid),
                    "appointment": [ref("Appointment", a.uuid)],
                    "period": {"start": _iso(a.starts_at), "end": _iso(a.ends_at)},
                }
            )
    return out


def _vital(
    p: Patient, m: BodyMeasurement, code: tuple[str, str], value: float, unit: str, suffix: str
) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": f"{m.uuid}-{suffix}",
        "status": "final",
        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
        "code": {"coding": [{"system": codes.LOINC, "code": code[0], "display": code[1]}], "text": code[1]},
        "subject": ref("Patient", p.uuid),
        "effectiveDateTime": m.measured_on.isoformat(),
        "valueQuantity": {"value": value, "unit": unit, "system": codes.UCUM, "code": unit},
    }


def map_vitals(p: Patient) -> list[dict[str, Any]]:
    out = []
    for m in BodyMeasurement.objects.current().filter(patient=p):
        out.append(_vital(p, m, codes.BODY_WEIGHT, m.weight_kg, "kg", "weight"))
        if m.height_cm is not None:
            out.append(_vital(p, m, codes.BODY_HEIGHT, m.height_cm, "cm", "height"))
    # Extension point: infusion monitoring vitals (BP 8480-6/8462-4, HR 8867-4, SpO2 2708-6 + 59408-5,
    # RR 9279-1) come from the treatment app's flowsheet once it has models.
    return out


def questionnaire_canonical(instrument_id: str) -> str:
    return f"{canonical_base()}/Questionnaire/{instrument_id}|{instruments.VERSION}"


def map_questionnaires(p: Patient) -> list[dict[str, Any]]:
    from ketaflow.intake.models import QuestionnaireResponse

    out = []
    for q in QuestionnaireResponse.objects.current().filter(patient=p).order_by("completed_at", "id"):
        try:
            definition = instruments.get_instrument(q.instrument)
        except instruments.InstrumentError:
            definition = None
        items = []
        answers = q.answers if isinstance(q.answers, list) else []
        for position, value in enumerate(answers):
            item_def = definition.items[position] if definition and position < len(definition.items) else None
            item: dict[str, Any] = {"linkId": item_def.id if item_def else str(position + 1)}
            if item_def:
                item["text"] = item_def.text
                if item_def.loinc:
                    item["definition"] = f"{codes.LOINC}/{item_def.loinc}"
            if value is not None:
                item["answer"] = [{"valueInteger": int(value)}]
            items.append(item)
        out.append(
            {
                "resourceType": "QuestionnaireResponse",
                "id": str(q.uuid),
                "questionnaire": questionnaire_canonical(q.instrument),
                "status": "completed",
                "subject": ref("Patient", p.uuid),
                "authored": _iso(q.completed_at),
                "item": items,
            }
        )
        total = (q.result or {}).get("total")
        if total is not None:
            coding = []
            if definition and definition.total_loinc:
                coding.append(
                    {
                        "system": codes.LOINC,
                        "code": definition.total_loinc,
                        "display": f"{definition.title} total score",
                    }
                )
            value: dict[str, Any] = (
                {"valueInteger": int(total)}
                if float(total).is_integer()
                else {
                    "valueQuantity": {
                        "value": float(total),
                        "unit": "{score}",
                        "system": codes.UCUM,
                        "code": "{score}",
                    }
                }
            )
            out.append(
                {
                    "resourceType": "Observation",
                    "id": f"{q.uuid}-total",
                    "status": "final",
                    "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey"}]}],
                    "code": {
                        "coding": coding,
                        "text": f"{definition.title if definition else q.instrument} total score",
                    },
                    "subject": ref("Patient", p.uuid),
                    "effectiveDateTime": _iso(q.completed_at),
                    **value,
                    **(
                        {"interpretation": [{"text": q.result["band"]}]}
                        if (q.result or {}).get("band")
                        else {}
                    ),
                    "derivedFrom": [ref("QuestionnaireResponse", q.uuid)],
                }
            )
    return out


def map_consents(p: Patient) -> list[dict[str, Any]]:
    from ketaflow.intake.models import SignedConsent

    out = []
    for c in SignedConsent.objects.current().filter(patient=p).select_related("template"):
        status = "inactive" if c.revoked_at else ("active" if c.countersigned_at else "proposed")
        out.append(
            {
                "resourceType": "Consent",
                "id": str(c.uuid),
                "status": status,
                "scope": {"coding": [{"system": codes.CONSENT_SCOPE, "code": "treatment"}]},
                "category": [
                    {
                        "coding": [
                            {
                                "system": codes.LOINC,
                                "code": codes.PATIENT_CONSENT[0],
                                "display": codes.PATIENT_CONSENT[1],
                            }
                        ]
                    }
                ],
                "patient": ref("Patient", p.uuid),
                "dateTime": _iso(c.signed_at),
                "policy": [{"uri": f"{canonical_base()}/consent-template/{c.pathway}/{c.template.version}"}],
                "provision": {"type": "permit"},
            }
        )
    return out


def map_treatment(p: Patient) -> list[dict[str, Any]]:
    """Extension point: CarePlan (treatment courses) and MedicationAdministration (infusions, ketamine
    RxNorm 6130, dosage.dose mg and dosage.rateQuantity mg/h) once the treatment app has models."""
    try:
        from ketaflow.treatment import models as treatment_models  # noqa: F401
    except ImportError:
        return []
    return []


EXPORTERS: list[Callable[[Patient], list[dict[str, Any]]]] = [
    map_conditions,
    map_appointments,
    map_vitals,
    map_questionnaires,
    map_consents,
    map_treatment,
]


def everything(p: Patient) -> list[dict[str, Any]]:
    resources = [map_patient(p)]
    for exporter in EXPORTERS:
        resources.extend(exporter(p))
    return resources
