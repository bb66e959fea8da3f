"""Role matrix entries for the patient chart (merged by ketaflow/core/tests/test_url_matrix.py).

The object is a patient at West Des Moines: staff of Des Moines only (fran, noah, priya) and oscar (no
location) are allowed by role but get 404 for it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketaflow.core.tests.test_url_matrix import Entry

EDITORS: set[str | None] = {"frank", "fran", "nina", "noah", "paul", "priya", "mia", "oscar"}
EDITORS_ELSEWHERE = {"fran", "noah", "priya", "oscar"}
RECORDERS: set[str | None] = {"nina", "noah", "paul", "priya", "oscar"}
RECORDERS_ELSEWHERE = {"noah", "priya", "oscar"}
CLINICAL_READERS: set[str | None] = {"nina", "noah", "paul", "priya", "mia", "audrey", "oscar"}


def _patient(clinic: Any) -> Any:
    from ketaflow.patients.models import Patient

    return Patient.objects.filter(preferred_location=clinic.wdm).order_by("chart_number").first()


def _at_patient(clinic: Any) -> dict[str, Any]:
    return {"patient_uuid": _patient(clinic).uuid}


def _medication(clinic: Any) -> dict[str, Any]:
    from ketaflow.patients.models import Medication

    patient = _patient(clinic)
    row = Medication.objects.create(patient=patient, name="Matrix sertraline", started_on=dt.date(2025, 1, 1))
    return {"patient_uuid": patient.uuid, "record_uuid": row.uuid}


def _allergy(clinic: Any) -> dict[str, Any]:
    from ketaflow.patients.models import Allergy

    patient = _patient(clinic)
    row = Allergy.objects.create(patient=patient, substance="Matrix latex")
    return {"patient_uuid": patient.uuid, "kind": "allergy", "record_uuid": row.uuid}


def _document(clinic: Any) -> dict[str, Any]:
    from django.core.files.base import ContentFile

    from ketaflow.patients.models import PatientDocument

    patient = _patient(clinic)
    data = b"%PDF-1.4\n% matrix\n"
    document = PatientDocument(
        patient=patient, kind="referral", title="Matrix referral", content_type="application/pdf",
        size_bytes=len(data), sha256="0" * 64,
    )  # fmt: skip
    document.file.save("matrix.pdf", ContentFile(data), save=True)
    return {"patient_uuid": patient.uuid, "record_uuid": document.uuid}


MATRIX: dict[str, Entry] = {
    "patients:edit": Entry(allowed=EDITORS, kwargs=_at_patient, not_found=EDITORS_ELSEWHERE),
    "patients:measurement_add": Entry(allowed=RECORDERS, kwargs=_at_patient, not_found=RECORDERS_ELSEWHERE),
    "patients:allergy_add": Entry(allowed=RECORDERS, kwargs=_at_patient, not_found=RECORDERS_ELSEWHERE),
    "patients:medication_add": Entry(allowed=RECORDERS, kwargs=_at_patient, not_found=RECORDERS_ELSEWHERE),
    "patients:medication_stop": Entry(allowed=RECORDERS, kwargs=_medication, not_found=RECORDERS_ELSEWHERE),
    "patients:diagnosis_add": Entry(allowed={"paul", "priya"}, kwargs=_at_patient, not_found={"priya"}),
    "patients:document_upload": Entry(allowed=EDITORS, kwargs=_at_patient, not_found=EDITORS_ELSEWHERE),
    "patients:document_download": Entry(
        allowed=CLINICAL_READERS, kwargs=_document, not_found=RECORDERS_ELSEWHERE
    ),
    "patients:record_error": Entry(allowed=RECORDERS, kwargs=_allergy, not_found=RECORDERS_ELSEWHERE),
}
