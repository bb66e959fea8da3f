"""Chart writes through the pages: field errors and nothing saved on bad input; never deleted; audited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.intake.tests.factories import wdm_patient
from ketaflow.patients import services
from ketaflow.patients.models import Allergy, BodyMeasurement, Diagnosis, Medication, PatientDocument

pytestmark = pytest.mark.django_db

TOMORROW = (timezone.localdate() + dt.timedelta(days=1)).isoformat()
TODAY = timezone.localdate().isoformat()


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"weight_kg": "19.9", "height_cm": "170"}, "weight_kg", services.WEIGHT_OUT_OF_RANGE),
        ({"weight_kg": "300.1", "height_cm": "170"}, "weight_kg", services.WEIGHT_OUT_OF_RANGE),
        ({"weight_kg": "80", "height_cm": "99"}, "height_cm", services.HEIGHT_OUT_OF_RANGE),
        ({"weight_kg": "80", "height_cm": "251"}, "height_cm", services.HEIGHT_OUT_OF_RANGE),
        ({"weight_kg": "80", "measured_on": TOMORROW}, "measured_on", services.DATE_IN_FUTURE),
        ({"weight_kg": ""}, "weight_kg", "This field is required."),
    ],
)
def test_impossible_weight_height_or_future_date_shows_the_error_and_saves_nothing(
    clinic: Any, as_persona: Any, data: dict[str, str], field: str, message: str
) -> None:
    patient = wdm_patient(clinic)
    post = {"measured_on": TODAY, "source": "clinic", "height_cm": "", **data}
    response = as_persona("nina").post(reverse("patients:measurement_add", args=[patient.uuid]), post)
    assert response.status_code == 400
    assert message in response.context["form"].errors[field]
    assert message in response.content.decode()
    assert not BodyMeasurement.objects.exists()


def test_weight_is_recorded_and_audited(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    response = as_persona("nina").post(
        reverse("patients:measurement_add", args=[patient.uuid]),
        {"measured_on": TODAY, "weight_kg": "81.5", "height_cm": "172", "source": "clinic"},
    )
    assert response.status_code == 302
    row = BodyMeasurement.objects.get()
    assert (row.weight_kg, row.height_cm) == (81.5, 172)
    assert AuditEvent.objects.filter(
        action="create", object_uuid=row.uuid, patient_uuid=patient.uuid
    ).exists()


def test_service_refuses_impossible_weight_even_without_the_form(clinic: Any) -> None:
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as error:
        services.measurement_record(
            patient=wdm_patient(clinic), recorded_by=clinic.user("nina"), weight_kg=8, height_cm=None,
            measured_on=timezone.localdate(),
        )  # fmt: skip
    assert error.value.message_dict == {"weight_kg": [services.WEIGHT_OUT_OF_RANGE]}


def test_medication_with_a_curated_class_starts_and_stops(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    nina = as_persona("nina")
    response = nina.post(
        reverse("patients:medication_add", args=[patient.uuid]),
        {
            "name": "Clonazepam",
            "drug_class": "benzodiazepine",
            "daily_dose_mg": "1",
            "started_on": "2026-01-02",
        },
    )
    assert response.status_code == 302
    medication = Medication.objects.get()
    stop_url = reverse("patients:medication_stop", args=[patient.uuid, medication.uuid])
    response = nina.post(stop_url, {"stopped_on": "2025-12-31"})
    assert response.status_code == 400
    assert services.STOP_BEFORE_START in response.content.decode()
    response = nina.post(stop_url, {"stopped_on": TOMORROW})
    assert services.DATE_IN_FUTURE in response.content.decode()
    medication.refresh_from_db()
    assert medication.stopped_on is None
    assert nina.post(stop_url, {"stopped_on": "2026-02-01"}).status_code == 302
    medication.refresh_from_db()
    assert medication.stopped_on == dt.date(2026, 2, 1)


def test_future_medication_start_is_refused(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    response = as_persona("nina").post(
        reverse("patients:medication_add", args=[patient.uuid]),
        {"name": "Sertraline", "started_on": TOMORROW},
    )
    assert response.status_code == 400
    assert services.DATE_IN_FUTURE in response.context["form"].errors["started_on"]
    assert not Medication.objects.exists()


def test_trd_is_a_documented_judgement_and_needs_a_note(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    paul = as_persona("paul")
    url = reverse("patients:diagnosis_add", args=[patient.uuid])
    response = paul.post(url, {"condition": "trd", "note": ""})
    assert response.status_code == 400
    assert services.NOTE_REQUIRED in response.content.decode()
    assert not Diagnosis.objects.exists()
    assert paul.post(url, {"condition": "trd", "note": "Two adequate failed trials."}).status_code == 302
    assert paul.post(url, {"condition": "crps"}).status_code == 302
    crps = Diagnosis.objects.get(condition="crps")
    assert (crps.snomed_code, crps.label) == ("128200000", "Complex regional pain syndrome")


def test_nurse_cannot_record_a_diagnosis(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    response = as_persona("nina").post(
        reverse("patients:diagnosis_add", args=[patient.uuid]), {"condition": "crps"}
    )
    assert response.status_code == 403
    assert not Diagnosis.objects.exists()


def test_staff_at_another_location_cannot_write_to_the_chart(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    response = as_persona("noah").post(
        reverse("patients:allergy_add", args=[patient.uuid]), {"substance": "Latex", "severity": "mild"}
    )
    assert response.status_code == 404
    assert not Allergy.objects.exists()


def _upload(client: Any, patient: Any, name: str, content: bytes) -> Any:
    return client.post(
        reverse("patients:document_upload", args=[patient.uuid]),
        {"kind": "referral", "title": "Referral", "file": SimpleUploadedFile(name, content)},
    )


def test_document_type_is_checked_by_content_not_extension(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    frank = as_persona("frank")
    response = _upload(frank, patient, "referral.pdf", b"MZ\x90\x00 this is an executable")
    assert response.status_code == 400
    assert services.FILE_TYPE_REFUSED in response.content.decode()
    assert not PatientDocument.objects.exists()
    assert _upload(frank, patient, "scan.bin", b"\x89PNG\r\n\x1a\n rest").status_code == 302
    document = PatientDocument.objects.get()
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png") and str(patient.uuid) not in document.file.name


def test_document_too_large_or_empty_is_refused(clinic: Any, as_persona: Any, monkeypatch: Any) -> None:
    monkeypatch.setattr(services, "MAX_DOCUMENT_BYTES", 100)
    patient = wdm_patient(clinic)
    frank = as_persona("frank")
    response = _upload(frank, patient, "big.pdf", b"%PDF-" + b"x" * 200)
    assert "The file is larger than" in response.content.decode()
    response = _upload(frank, patient, "empty.pdf", b"")
    assert response.status_code == 400
    assert not PatientDocument.objects.exists()


def test_document_download_is_audited(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    _upload(as_persona("frank"), patient, "letter.pdf", b"%PDF-1.4 letter")
    document = PatientDocument.objects.get()
    response = as_persona("nina").get(
        reverse("patients:document_download", args=[patient.uuid, document.uuid])
    )
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 letter"
    assert AuditEvent.objects.filter(
        action="read", object_uuid=document.uuid, detail="document downloaded"
    ).exists()


def test_entered_in_error_keeps_the_row_with_reason_and_hides_it(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    allergy = services.allergy_record(
        patient=patient, recorded_by=clinic.user("nina"), substance="Latex", severity="mild"
    )
    nina = as_persona("nina")
    url = reverse("patients:record_error", args=[patient.uuid, "allergy", allergy.uuid])
    assert nina.post(url, {"reason": ""}).status_code == 400
    assert nina.post(url, {"reason": "Wrong patient"}).status_code == 302
    allergy.refresh_from_db()
    assert allergy.entered_in_error and allergy.entered_in_error_reason == "Wrong patient"
    assert Allergy.objects.count() == 1 and not Allergy.objects.current().exists()
    assert "Latex" not in nina.get(reverse("patients:chart", args=[patient.uuid])).content.decode()
    with pytest.raises(Exception, match="never deleted"):
        allergy.delete()


def test_demographics_edit_validates_and_audits_without_the_name(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    frank = as_persona("frank")
    url = reverse("patients:edit", args=[patient.uuid])
    form = frank.get(url).context["form"]
    data = {name: (value.pk if hasattr(value, "pk") else value or "") for name, value in form.initial.items()}
    data["date_of_birth"] = TOMORROW
    response = frank.post(url, data)
    assert response.status_code == 400
    assert services.DATE_IN_FUTURE in response.content.decode()
    data["date_of_birth"] = "1980-05-06"
    data["escort_name"] = "Alex Driver"
    assert frank.post(url, data).status_code == 302
    patient.refresh_from_db()
    assert patient.escort_name == "Alex Driver"
    event = AuditEvent.objects.filter(action="update", object_uuid=patient.uuid).get()
    assert "escort_name" in event.detail and patient.last_name not in event.detail
