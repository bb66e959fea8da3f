"""Patient writes. Every write checks permission and location, is atomic and audited; clinical rows are never
deleted (they are marked entered in error with a reason)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.domain.dosing.weight import MAX_HEIGHT_CM, MAX_WEIGHT_KG, MIN_HEIGHT_CM, MIN_WEIGHT_KG
from ketaflow.patients.catalog import BY_KEY
from ketaflow.patients.models import (
    Allergy,
    BodyMeasurement,
    Diagnosis,
    Medication,
    Patient,
    PatientDocument,
    Sex,
)

# Error messages (module constants so tests assert them exactly).
WEIGHT_OUT_OF_RANGE = f"Weight must be between {MIN_WEIGHT_KG:g} and {MAX_WEIGHT_KG:g} kg."
HEIGHT_OUT_OF_RANGE = f"Height must be between {MIN_HEIGHT_CM:g} and {MAX_HEIGHT_CM:g} cm."
DATE_IN_FUTURE = "The date cannot be in the future."
STOP_BEFORE_START = "The stop date is before the start date."
ALREADY_STOPPED = "This medication is already stopped."
NOTE_REQUIRED = "This diagnosis is a clinical judgement: write a note saying why."
UNKNOWN_CONDITION = "Choose a diagnosis from the list."
FILE_TOO_LARGE = "The file is larger than {limit} MB."
FILE_TYPE_REFUSED = "Only PDF, PNG and JPEG files are accepted (checked by the file content, not the name)."
FILE_EMPTY = "The file is empty."
REASON_REQUIRED = "Give a reason."
ALREADY_IN_ERROR = "This record is already marked entered in error."

MAX_DOCUMENT_BYTES = 10 * 1024 * 1024
# Magic bytes: what the file really is, whatever its name says.
MAGIC = ((b"%PDF-", "application/pdf"), (b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"))


def _new_chart_number() -> str:
    while True:
        number = f"KF-{secrets.randbelow(10**7):07d}"
        if not Patient.objects.filter(chart_number=number).exists():
            return number


def ensure_patient_access(user: Any, patient: Patient, perm: str) -> None:
    """The service-level check: the permission, and the patient belongs to one of the user's locations."""
    ensure_perm(user, perm)
    ensure_location(user, patient.preferred_location_id)


def _actor(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def _check_past(value: dt.date | None, field: str) -> None:
    if value is not None and value > timezone.localdate():
        raise ValidationError({field: DATE_IN_FUTURE})


@transaction.atomic
def patient_register(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    email: str = "",
    mobile_phone: str = "",
    preferred_location: Any = None,
    sex: str = Sex.UNKNOWN,
    registered_by: Any = None,
) -> Patient:
    """Create a patient record (e.g. from an online booking or a phone call) and audit it."""
    patient = Patient.objects.create(
        chart_number=_new_chart_number(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        email=email.strip().lower(),
        mobile_phone=mobile_phone.strip(),
        preferred_location=preferred_location,
        sex=sex,
        created_by=registered_by if getattr(registered_by, "pk", None) else None,
    )
    audit(
        Action.CREATE,
        actor=registered_by,
        obj=patient,
        patient_uuid=patient.uuid,
        location=preferred_location,
        detail="patient registered",
    )
    return patient


DEMOGRAPHIC_FIELDS = (
    "first_name",
    "last_name",
    "date_of_birth",
    "sex",
    "email",
    "mobile_phone",
    "address_line1",
    "city",
    "state",
    "zip_code",
    "emergency_contact_name",
    "emergency_contact_relationship",
    "emergency_contact_phone",
    "escort_name",
    "escort_phone",
    "referring_clinician",
    "referring_practice",
    "referring_phone",
    "preferred_location",
)


@transaction.atomic
def patient_update(
    *, patient: Patient, updated_by: Any, changes: dict[str, Any], by_patient: bool = False
) -> Patient:
    """Change demographics/contact fields. Staff need EDIT_PATIENT at the patient's (old and new) location;
    a patient may change only their own contact details (``by_patient``)."""
    if by_patient:
        if getattr(updated_by, "patient", None) != patient:
            raise PermissionDenied("You can only change your own details.")
    else:
        ensure_patient_access(updated_by, patient, Perm.EDIT_PATIENT)
        new_location = changes.get("preferred_location", patient.preferred_location)
        ensure_location(updated_by, getattr(new_location, "pk", None))
    _check_past(changes.get("date_of_birth"), "date_of_birth")
    changed = []
    for name, value in changes.items():
        if name not in DEMOGRAPHIC_FIELDS:
            raise ValueError(f"unknown patient field {name!r}")
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.updated_by = _actor(updated_by)
        patient.save()
        audit(
            Action.UPDATE,
            actor=updated_by,
            obj=patient,
            patient_uuid=patient.uuid,
            detail="demographics changed: " + ", ".join(sorted(changed)),
        )
    return patient


def check_body_measurement(
    *, weight_kg: float, height_cm: float | None, measured_on: dt.date
) -> dict[str, str]:
    errors = {}
    if not MIN_WEIGHT_KG <= weight_kg <= MAX_WEIGHT_KG:
        errors["weight_kg"] = WEIGHT_OUT_OF_RANGE
    if height_cm is not None and not MIN_HEIGHT_CM <= height_cm <= MAX_HEIGHT_CM:
        errors["height_cm"] = HEIGHT_OUT_OF_RANGE
    if measured_on > timezone.localdate():
        errors["measured_on"] = DATE_IN_FUTURE
    return errors


@transaction.atomic
def measurement_record(
    *,
    patient: Patient,
    recorded_by: Any,
    weight_kg: float,
    height_cm: float | None,
    measured_on: dt.date,
    source: str = BodyMeasurement.Source.CLINIC,
    by_patient: bool = False,
) -> BodyMeasurement:
    if not by_patient:
        ensure_patient_access(recorded_by, patient, Perm.RECORD_CLINICAL)
    errors = check_body_measurement(weight_kg=weight_kg, height_cm=height_cm, measured_on=measured_on)
    if errors:
        raise ValidationError(errors)
    row = BodyMeasurement.objects.create(
        patient=patient,
        weight_kg=weight_kg,
        height_cm=height_cm,
        measured_on=measured_on,
        source=source,
        created_by=_actor(recorded_by),
    )
    audit(
        Action.CREATE, actor=recorded_by, obj=row, patient_uuid=patient.uuid, detail="weight/height recorded"
    )
    return row


@transaction.atomic
def allergy_record(
    *, patient: Patient, recorded_by: Any, substance: str, reaction: str = "", severity: str
) -> Allergy:
    ensure_patient_access(recorded_by, patient, Perm.RECORD_CLINICAL)
    row = Allergy.objects.create(
        patient=patient,
        substance=substance.strip(),
        reaction=reaction.strip(),
        severity=severity,
        created_by=_actor(recorded_by),
    )
    audit(Action.CREATE, actor=recorded_by, obj=row, patient_uuid=patient.uuid, detail="allergy recorded")
    return row


@transaction.atomic
def medication_record(
    *,
    patient: Patient,
    recorded_by: Any,
    name: str,
    drug_class: str = "",
    dose_text: str = "",
    daily_dose_mg: float | None = None,
    diazepam_equivalent_mg_per_day: float | None = None,
    started_on: dt.date | None = None,
    source: str = Medication.Source.STAFF,
    by_patient: bool = False,
) -> Medication:
    if not by_patient:
        ensure_patient_access(recorded_by, patient, Perm.RECORD_CLINICAL)
    _check_past(started_on, "started_on")
    row = Medication.objects.create(
        patient=patient,
        name=name.strip(),
        drug_class=drug_class,
        dose_text=dose_text.strip(),
        daily_dose_mg=daily_dose_mg,
        diazepam_equivalent_mg_per_day=diazepam_equivalent_mg_per_day,
        started_on=started_on,
        source=source,
        created_by=_actor(recorded_by),
    )
    audit(Action.CREATE, actor=recorded_by, obj=row, patient_uuid=patient.uuid, detail="medication recorded")
    return row


@transaction.atomic
def medication_stop(*, medication: Medication, stopped_by: Any, stopped_on: dt.date) -> Medication:
    medication = Medication.objects.select_for_update().select_related("patient").get(pk=medication.pk)
    ensure_patient_access(stopped_by, medication.patient, Perm.RECORD_CLINICAL)
    if medication.stopped_on is not None:
        raise ValidationError({"stopped_on": ALREADY_STOPPED})
    _check_past(stopped_on, "stopped_on")
    if medication.started_on and stopped_on < medication.started_on:
        raise ValidationError({"stopped_on": STOP_BEFORE_START})
    medication.stopped_on = stopped_on
    medication.updated_by = _actor(stopped_by)
    medication.save(update_fields=["stopped_on", "updated_by", "updated_at"])
    audit(
        Action.UPDATE,
        actor=stopped_by,
        obj=medication,
        patient_uuid=medication.patient.uuid,
        detail="medication stopped",
    )
    return medication


@transaction.atomic
def diagnosis_record(
    *,
    patient: Patient,
    recorded_by: Any,
    condition: str,
    onset_on: dt.date | None = None,
    note: str = "",
) -> Diagnosis:
    """Diagnoses are prescribers' work; TRD and "other" need a note (a documented judgement)."""
    ensure_patient_access(recorded_by, patient, Perm.PRESCRIBE)
    entry = BY_KEY.get(condition)
    if entry is None:
        raise ValidationError({"condition": UNKNOWN_CONDITION})
    if entry.needs_note and not note.strip():
        raise ValidationError({"note": NOTE_REQUIRED})
    _check_past(onset_on, "onset_on")
    row = Diagnosis.objects.create(
        patient=patient,
        condition=entry.key,
        label=entry.label,
        icd10_code=entry.icd10,
        snomed_code=entry.snomed,
        onset_on=onset_on,
        note=note.strip(),
        created_by=_actor(recorded_by),
    )
    audit(
        Action.CREATE, actor=recorded_by, obj=row, patient_uuid=patient.uuid, detail=f"diagnosis {entry.key}"
    )
    return row


def sniff_content_type(head: bytes) -> str | None:
    for magic, content_type in MAGIC:
        if head.startswith(magic):
            return content_type
    return None


def check_upload(upload: Any) -> str:
    """Return the checked content type of an uploaded file, or raise ValidationError."""
    if upload.size == 0:
        raise ValidationError({"file": FILE_EMPTY})
    if upload.size > MAX_DOCUMENT_BYTES:
        raise ValidationError({"file": FILE_TOO_LARGE.format(limit=MAX_DOCUMENT_BYTES // (1024 * 1024))})
    upload.seek(0)
    content_type = sniff_content_type(upload.read(16))
    upload.seek(0)
    if content_type is None:
        raise ValidationError({"file": FILE_TYPE_REFUSED})
    return content_type


@transaction.atomic
def document_upload(
    *, patient: Patient, uploaded_by: Any, kind: str, title: str, upload: Any
) -> PatientDocument:
    ensure_patient_access(uploaded_by, patient, Perm.EDIT_PATIENT)
    content_type = check_upload(upload)
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    document = PatientDocument(
        patient=patient,
        kind=kind,
        title=title.strip(),
        content_type=content_type,
        size_bytes=upload.size,
        sha256=digest.hexdigest(),
        created_by=_actor(uploaded_by),
    )
    document.file.save("upload", ContentFile(upload.read()), save=False)
    document.save()
    audit(
        Action.CREATE, actor=uploaded_by, obj=document, patient_uuid=patient.uuid, detail="document uploaded"
    )
    return document


RECORD_MODELS: dict[str, type] = {
    "measurement": BodyMeasurement,
    "allergy": Allergy,
    "medication": Medication,
    "diagnosis": Diagnosis,
    "document": PatientDocument,
}


@transaction.atomic
def record_mark_entered_in_error(*, record: Any, marked_by: Any, reason: str) -> Any:
    """Never delete: mark a chart row entered in error, with who, when and why."""
    record = type(record).objects.select_for_update().select_related("patient").get(pk=record.pk)
    perm = Perm.PRESCRIBE if isinstance(record, Diagnosis) else Perm.RECORD_CLINICAL
    ensure_patient_access(marked_by, record.patient, perm)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    if record.entered_in_error:
        raise ValidationError({"reason": ALREADY_IN_ERROR})
    record.entered_in_error = True
    record.entered_in_error_reason = reason.strip()[:500]
    record.entered_in_error_at = timezone.now()
    record.entered_in_error_by = _actor(marked_by)
    record.save()
    audit(
        Action.DELETE,
        actor=marked_by,
        obj=record,
        patient_uuid=record.patient.uuid,
        detail="entered in error",
    )
    return record
