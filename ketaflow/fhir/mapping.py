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


COURSE_STATUS = {
    "planned": "draft",
    "induction": "active",
    "maintenance": "active",
    "paused": "on-hold",
    "completed": "completed",
    "stopped": "revoked",
}
SESSION_STATUS = {
    "infusing": "in-progress",
    "paused": "on-hold",
    "recovering": "completed",
    "ready": "completed",
    "discharged": "completed",
}
VITALS = (
    # field, LOINC code, display, UCUM unit
    ("hr_per_min", "8867-4", "Heart rate", "/min"),
    ("rr_per_min", "9279-1", "Respiratory rate", "/min"),
    ("temperature_c", "8310-5", "Body temperature", "Cel"),
    ("pain_nrs", "72514-3", "Pain severity - 0-10 verbal numeric rating [Score] - Reported", "{score}"),
)


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": codes.UCUM, "code": unit}


def _session_vitals(p: Patient, session: Any) -> list[dict[str, Any]]:
    out = []
    for v in session.current_vitals:
        base = {
            "resourceType": "Observation",
            "status": "final",
            "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "vital-signs"}]}],
            "subject": ref("Patient", p.uuid),
            "effectiveDateTime": _iso(v.taken_at),
            "partOf": [ref("MedicationAdministration", session.uuid)],
        }
        if v.sbp_mmhg is not None and v.dbp_mmhg is not None:
            out.append(
                {
                    **base,
                    "id": f"{v.uuid}-bp",
                    "code": {
                        "coding": [
                            {"system": codes.LOINC, "code": "85354-9", "display": "Blood pressure panel"}
                        ]
                    },
                    "component": [
                        {
                            "code": {"coding": [{"system": codes.LOINC, "code": "8480-6"}]},
                            "valueQuantity": _quantity(v.sbp_mmhg, "mm[Hg]"),
                        },
                        {
                            "code": {"coding": [{"system": codes.LOINC, "code": "8462-4"}]},
                            "valueQuantity": _quantity(v.dbp_mmhg, "mm[Hg]"),
                        },
                    ],
                }
            )
        if v.spo2_pct is not None:
            out.append(
                {
                    **base,
                    "id": f"{v.uuid}-spo2",
                    "code": {
                        "coding": [
                            {
                                "system": codes.LOINC,
                                "code": "2708-6",
                                "display": "Oxygen saturation in Arterial blood",
                            },
                            {
                                "system": codes.LOINC,
                                "code": "59408-5",
                                "display": "Oxygen saturation by Pulse oximetry",
                            },
                        ]
                    },
                    "valueQuantity": _quantity(v.spo2_pct, "%"),
                }
            )
        for field, code, display, unit in VITALS:
            value = getattr(v, field, None)
            if value is not None:
                out.append(
                    {
                        **base,
                        "id": f"{v.uuid}-{field.split('_')[0]}",
                        "code": {"coding": [{"system": codes.LOINC, "code": code, "display": display}]},
                        "valueQuantity": _quantity(float(value), unit),
                    }
                )
        for field, label in (("moaas", "MOAA/S"), ("cadss", "CADSS")):  # no verified LOINC code: text only
            value = getattr(v, field, None)
            if value is not None:
                out.append(
                    {
                        **base,
                        "id": f"{v.uuid}-{field}",
                        "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey"}]}],
                        "code": {"text": label},
                        "valueInteger": int(value),
                    }
                )
    return out


def map_treatment(p: Patient, *, as_of: dt.datetime | None = None) -> list[dict[str, Any]]:
    """Courses → CarePlan; started sessions → MedicationAdministration (ketamine RxNorm 6130, dose in mg
    delivered so far, last rate in mg/h, route IV, lot) with their monitoring vitals as Observations."""
    try:
        from ketaflow.treatment.models import AdministrationEvent, Course, InfusionSession, VitalsReading
        from ketaflow.treatment.services import delivered_mg
    except ImportError:  # the treatment app is optional
        return []
    from django.db.models import Prefetch
    from django.utils import timezone

    as_of = as_of or timezone.now()
    out: list[dict[str, Any]] = []
    for course in Course.objects.current().filter(patient=p).select_related("protocol"):
        out.append(
            {
                "resourceType": "CarePlan",
                "id": str(course.uuid),
                "status": COURSE_STATUS.get(course.status, "unknown"),
                "intent": "plan",
                "title": course.protocol.name,
                "description": f"{course.get_pathway_display()}: {course.planned_sessions} sessions planned",
                "subject": ref("Patient", p.uuid),
                "created": _iso(course.created_at),
            }
        )
    sessions = InfusionSession.objects.current().filter(patient=p, started_at__isnull=False)
    sessions = sessions.select_related("course__protocol").prefetch_related(
        # Every session's events and vitals in two queries, not two per session.
        Prefetch(
            "events",
            queryset=AdministrationEvent.objects.current().order_by("at", "id"),
            to_attr="current_events",
        ),
        Prefetch(
            "vitals",
            queryset=VitalsReading.objects.current().order_by("taken_at", "id"),
            to_attr="current_vitals",
        ),
    )
    for session in sessions.order_by("started_at"):
        status = SESSION_STATUS.get(session.status)
        if status is None:
            continue
        esketamine = session.course.pathway == "esketamine_nasal"
        events = session.current_events
        lot = next((e.lot for e in events if e.lot), "") or session.esketamine_lot
        rate = next((e.rate_mg_per_h for e in reversed(events) if e.rate_mg_per_h is not None), None)
        period: dict[str, str] = {"start": _iso(session.started_at)}
        if session.stopped_at:
            period["end"] = _iso(session.stopped_at)
        dosage: dict[str, Any] = {
            "route": {"text": "Nasal" if esketamine else "Intravenous"},
            "text": session.course.protocol.name,
        }
        if not esketamine:
            dose = delivered_mg(session, as_of=session.stopped_at or as_of, fetched=events)
            dosage["dose"] = _quantity(round(dose, 3), "mg")
            if rate is not None:
                dosage["rateQuantity"] = _quantity(rate, "mg/h")
        medication = (
            {"text": "esketamine nasal spray"}
            if esketamine
            else {
                "coding": [
                    {
                        "system": codes.RXNORM,
                        "code": codes.KETAMINE_RXCUI[0],
                        "display": codes.KETAMINE_RXCUI[1],
                    }
                ],
                "text": "ketamine",
            }
        )
        out.append(
            {
                "resourceType": "MedicationAdministration",
                "id": str(session.uuid),
                "status": status,
                "medicationCodeableConcept": medication,
                "subject": ref("Patient", p.uuid),
                "effectivePeriod": period,
                "supportingInformation": [ref("CarePlan", session.course.uuid)],
                **({"note": [{"text": f"lot {lot}"}]} if lot else {}),
                "dosage": dosage,
            }
        )
        out.extend(_session_vitals(p, session))
    return out


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
