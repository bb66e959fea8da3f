"""De-identified research export: CSV tables in a zip, or one FHIR R4 Bundle (docs/research-export.md).

Nothing that names or reaches a person leaves: no names, chart numbers, contact details, addresses, escorts,
referrers, free text, staff or public UUIDs. Patients become keyed pseudonyms (``subject``), courses too; every
date of one patient moves by the same secret number of days (``date_shift_days``), so intervals within a
patient survive; the date of birth becomes a 10-year age band at first contact (90+ pooled).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import hmac
import io
import json
import uuid
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.conf import settings
from django.db.models import Exists, FloatField, OuterRef
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast
from django.utils import timezone

from ketaflow.domain import instruments
from ketaflow.domain.outcomes import date_shift_days, pseudonym
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.patients.models import Patient
from ketaflow.treatment.models import AdverseEvent, Course, InfusionSession

EXPORT_VERSION = "research-export-1"
AGE_BAND_YEARS = 10
AGE_POOLED_FROM = 90  # Safe Harbor pools ages over 89 (45 CFR 164.514(b)(2)(i)(C))
CHUNK = 2000


def export_secret() -> bytes:
    """``RESEARCH_EXPORT_SECRET`` when set; otherwise a key derived from SECRET_KEY for this purpose only."""
    configured = getattr(settings, "RESEARCH_EXPORT_SECRET", "") or ""
    if configured:
        return configured.encode()
    return hmac.new(settings.SECRET_KEY.encode(), b"ketaflow research export", hashlib.sha256).digest()


def age_band(date_of_birth: dt.date, on: dt.date) -> str:
    years = on.year - date_of_birth.year - ((on.month, on.day) < (date_of_birth.month, date_of_birth.day))
    if years >= AGE_POOLED_FROM:
        return f"{AGE_POOLED_FROM}+"
    low = years // AGE_BAND_YEARS * AGE_BAND_YEARS
    return f"{low}-{low + AGE_BAND_YEARS - 1}"


@dataclass(frozen=True)
class Subject:
    code: str
    shift: dt.timedelta


class Deidentifier:
    """Pseudonyms and date shifts, computed once per patient."""

    def __init__(self, secret: bytes) -> None:
        self.secret = secret
        self._subjects: dict[str, Subject] = {}

    def subject(self, patient_uuid: Any) -> Subject:
        key = str(patient_uuid)
        found = self._subjects.get(key)
        if found is None:
            found = Subject(
                code=pseudonym(self.secret, key), shift=dt.timedelta(days=date_shift_days(self.secret, key))
            )
            self._subjects[key] = found
        return found

    def code(self, kind: str, object_uuid: Any) -> str:
        return pseudonym(self.secret, f"{kind}:{object_uuid}")

    @staticmethod
    def moved(value: dt.datetime | dt.date | None, subject: Subject) -> str:
        if value is None:
            return ""
        if isinstance(value, dt.datetime):
            return (value.astimezone(dt.UTC) + subject.shift).isoformat()
        return (value + subject.shift).isoformat()


TABLES: dict[str, list[str]] = {
    "subjects": ["subject", "sex", "age_band", "first_contact"],
    "courses": ["subject", "course", "protocol", "pathway", "site", "status", "planned_sessions", "created"],
    "sessions": [
        "subject",
        "course",
        "sequence",
        "status",
        "starts_at",
        "infusion_minutes",
        "recovery_minutes",
        "weight_kg",
    ],
    "scores": ["subject", "instrument", "completed_at", "total", "band"],
    "adverse_events": ["subject", "course", "session_sequence", "kind", "severity", "occurred_at"],
}


def _patients(location_ids: Iterable[int] | None) -> Any:
    """Patients with at least one treatment course (enquiries without treatment are not research subjects)."""
    patients = Patient.objects.current().filter(
        Exists(Course.objects.current().filter(patient=OuterRef("pk")))
    )
    if location_ids is not None:
        patients = patients.filter(preferred_location_id__in=list(location_ids))
    return patients


def table_rows(name: str, ids: Deidentifier, location_ids: Iterable[int] | None) -> Iterator[list[Any]]:
    """Rows of one table, streamed from the database in chunks (only de-identified columns leave)."""
    patients = _patients(location_ids)
    scope = {"patient__in": patients.values("id")}
    if name == "subjects":
        for p_uuid, sex, dob, created in (
            patients.order_by("id")
            .values_list("uuid", "sex", "date_of_birth", "created_at")
            .iterator(chunk_size=CHUNK)
        ):
            s = ids.subject(p_uuid)
            yield [s.code, sex, age_band(dob, created.date()), ids.moved(created.date(), s)]
    elif name == "courses":
        for row in (
            Course.objects.current()
            .filter(**scope)
            .order_by("id")
            .values_list(
                "patient__uuid",
                "uuid",
                "protocol__slug",
                "pathway",
                "location__slug",
                "status",
                "planned_sessions",
                "created_at",
            )
            .iterator(chunk_size=CHUNK)
        ):
            s = ids.subject(row[0])
            yield [s.code, ids.code("course", row[1]), *row[2:7], ids.moved(row[7].date(), s)]
    elif name == "sessions":
        for row in (
            InfusionSession.objects.current()
            .filter(**scope)
            .order_by("id")
            .values_list(
                "patient__uuid",
                "course__uuid",
                "sequence",
                "status",
                "starts_at",
                "infusion_minutes",
                "recovery_minutes",
                "weight_kg",
            )
            .iterator(chunk_size=CHUNK)
        ):
            s = ids.subject(row[0])
            yield [s.code, ids.code("course", row[1]), row[2], row[3], ids.moved(row[4], s), *row[5:8]]
    elif name == "scores":
        for p_uuid, instrument, completed_at, total, band in (
            QuestionnaireResponse.objects.current()
            .filter(**scope)
            .order_by("id")
            .annotate(
                total=Cast(KeyTextTransform("total", "result"), FloatField()),
                band=KeyTextTransform("band", "result"),
            )
            .values_list("patient__uuid", "instrument", "completed_at", "total", "band")
            .iterator(chunk_size=CHUNK)
        ):
            s = ids.subject(p_uuid)
            yield [s.code, instrument, ids.moved(completed_at, s), "" if total is None else total, band or ""]
    elif name == "adverse_events":
        for row in (
            AdverseEvent.objects.current()
            .filter(session__patient__in=patients.values("id"))
            .order_by("id")
            .values_list(
                "session__patient__uuid",
                "session__course__uuid",
                "session__sequence",
                "kind",
                "severity",
                "occurred_at",
            )
            .iterator(chunk_size=CHUNK)
        ):
            s = ids.subject(row[0])
            yield [s.code, ids.code("course", row[1]), row[2], row[3], row[4], ids.moved(row[5], s)]
    else:
        raise KeyError(name)


README = """Ketaflow de-identified research export ({version}), made {made}.

Tables: {tables}. One row per subject, course, infusion session, questionnaire score and adverse event.
subject and course are keyed pseudonyms (the same in every export made with the same secret). Dates are
shifted per subject by a secret whole number of days in [-180, 180] (the same for all of one subject's
dates, so intervals hold; calendar days, weekdays and seasons do not). Ages are 10-year bands at first
contact, 90+ pooled. No names, contact details, addresses, chart numbers or free text are included.
Small cells: row-level data of a small clinic can still single people out; do not publish counts below 11.
See docs/research-export.md.
"""


def write_csv_zip(
    target: IO[bytes], *, location_ids: Iterable[int] | None = None, secret: bytes | None = None
) -> dict[str, int]:
    """Write the zip of CSV tables to ``target``; returns the row count per table."""
    ids = Deidentifier(secret or export_secret())
    location_ids = None if location_ids is None else list(location_ids)
    counts: dict[str, int] = {}
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, header in TABLES.items():
            with archive.open(f"{name}.csv", "w") as raw:
                text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
                writer = csv.writer(text)
                writer.writerow(header)
                n = 0
                for row in table_rows(name, ids, location_ids):
                    writer.writerow(row)
                    n += 1
                text.flush()
                text.detach()
            counts[name] = n
        archive.writestr(
            "README.txt",
            README.format(
                version=EXPORT_VERSION, made=timezone.now().date().isoformat(), tables=", ".join(TABLES)
            ),
        )
    return counts


# --- FHIR ----------------------------------------------------------------------------------------------

CARE_PLAN_STATUS = {
    "planned": "draft",
    "induction": "active",
    "maintenance": "active",
    "paused": "on-hold",
    "completed": "completed",
    "stopped": "revoked",
}
ADMINISTERED = {"recovering", "ready", "discharged"}
SEVERITY = {"mild": "mild", "moderate": "moderate", "severe": "severe"}


def fhir_resources(ids: Deidentifier, location_ids: Iterable[int] | None) -> Iterator[dict[str, Any]]:
    """De-identified FHIR R4 resources: Patient, CarePlan, MedicationAdministration, Observation, AdverseEvent."""
    from ketaflow.fhir import codes
    from ketaflow.fhir.mapping import ref

    for code, sex, band, _first in table_rows("subjects", ids, location_ids):
        yield {
            "resourceType": "Patient",
            "id": code,
            "gender": sex if sex in ("female", "male", "other", "unknown") else "unknown",
            "extension": [
                {"url": "urn:ketaflow:research-export:age-band", "valueString": band},
            ],
        }
    for subject, course, protocol, pathway, site, status, planned, created in table_rows(
        "courses", ids, location_ids
    ):
        yield {
            "resourceType": "CarePlan",
            "id": course,
            "status": CARE_PLAN_STATUS.get(status, "unknown"),
            "intent": "plan",
            "title": protocol,
            "description": f"{pathway}: {planned} sessions planned at site {site}",
            "subject": ref("Patient", subject),
            "created": created,
        }
    for subject, course, sequence, status, starts_at, _inf, _rec, _weight in table_rows(
        "sessions", ids, location_ids
    ):
        if status not in ADMINISTERED:
            continue
        yield {
            "resourceType": "MedicationAdministration",
            "id": ids.code("session", f"{course}:{sequence}:{starts_at}"),
            "status": "completed",
            "medicationCodeableConcept": {
                "coding": [{"system": codes.RXNORM, "code": codes.KETAMINE_RXCUI[0], "display": "ketamine"}],
                "text": f"infusion {sequence}",
            },
            "subject": ref("Patient", subject),
            "effectiveDateTime": starts_at,
            "supportingInformation": [ref("CarePlan", course)],
        }
    for index, (subject, instrument, completed_at, total, band) in enumerate(
        table_rows("scores", ids, location_ids)
    ):
        if total == "":
            continue
        try:
            definition = instruments.get_instrument(instrument)
        except instruments.InstrumentError:
            definition = None
        coding = (
            [
                {
                    "system": codes.LOINC,
                    "code": definition.total_loinc,
                    "display": f"{definition.title} total score",
                }
            ]
            if definition and definition.total_loinc
            else []
        )
        value = (
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
        yield {
            "resourceType": "Observation",
            "id": ids.code("score", f"{subject}:{index}"),
            "status": "final",
            "category": [{"coding": [{"system": codes.OBSERVATION_CATEGORY, "code": "survey"}]}],
            "code": {
                "coding": coding,
                "text": f"{definition.title if definition else instrument} total score",
            },
            "subject": ref("Patient", subject),
            "effectiveDateTime": completed_at,
            **value,
            **({"interpretation": [{"text": band}]} if band else {}),
        }
    for index, (subject, _course, _seq, kind, severity, occurred_at) in enumerate(
        table_rows("adverse_events", ids, location_ids)
    ):
        yield {
            "resourceType": "AdverseEvent",
            "id": ids.code("adverse-event", f"{subject}:{index}"),
            "actuality": "actual",
            "subject": ref("Patient", subject),
            "event": {"text": kind},
            "date": occurred_at,
            "severity": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/adverse-event-severity",
                        "code": SEVERITY.get(severity, "mild"),
                    }
                ]
            },
        }


def _envelope() -> dict[str, Any]:
    """The Bundle around the entries, validated on its own (entries are validated one by one as they stream)."""
    from fhir.resources.R4B.bundle import Bundle

    now = timezone.now().astimezone(dt.UTC).isoformat()
    envelope = {
        "resourceType": "Bundle",
        "id": str(uuid.uuid4()),
        "meta": {"lastUpdated": now, "tag": [{"code": EXPORT_VERSION}]},
        "type": "collection",
        "timestamp": now,
    }
    Bundle.model_validate(envelope)
    return envelope


def fhir_entries(ids: Deidentifier, location_ids: Iterable[int] | None) -> Iterator[dict[str, Any]]:
    """Bundle entries, each resource validated with its fhir.resources model (R4B models, R4 content).

    Validation only (no re-serialisation): the dict we built is what leaves, once its model accepted it. That
    keeps a large export to about a quarter of a millisecond per resource.
    """
    from fhir.resources.R4B import get_fhir_model_class

    for resource in fhir_resources(ids, location_ids):
        get_fhir_model_class(resource["resourceType"]).model_validate(resource)
        key = f"{resource['resourceType']}/{resource['id']}"
        yield {"fullUrl": f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, key)}", "resource": resource}


def fhir_bundle(*, location_ids: Iterable[int] | None = None, secret: bytes | None = None) -> dict[str, Any]:
    """One ``collection`` Bundle in memory (small exports and tests; ``write_fhir`` streams)."""
    ids = Deidentifier(secret or export_secret())
    location_ids = None if location_ids is None else list(location_ids)
    return {**_envelope(), "entry": list(fhir_entries(ids, location_ids))}


def write_fhir(
    target: IO[bytes], *, location_ids: Iterable[int] | None = None, secret: bytes | None = None
) -> dict[str, int]:
    """Stream one ``collection`` Bundle as JSON to ``target``; returns the resource count per type."""
    ids = Deidentifier(secret or export_secret())
    location_ids = None if location_ids is None else list(location_ids)
    head = json.dumps(_envelope(), separators=(",", ":"))
    target.write(head[:-1].encode() + b',"entry":[')
    counts: dict[str, int] = {}
    for n, entry in enumerate(fhir_entries(ids, location_ids)):
        target.write((b"," if n else b"") + json.dumps(entry, separators=(",", ":")).encode())
        kind = entry["resource"]["resourceType"]
        counts[kind] = counts.get(kind, 0) + 1
    target.write(b"]}")
    return counts
