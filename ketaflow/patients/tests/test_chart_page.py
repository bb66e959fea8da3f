"""The chart page: what it shows, to whom, audited, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.intake import services as intake_services
from ketaflow.intake.tests.factories import completed_intake, signature_data_url, wdm_patient
from ketaflow.patients import services
from ketaflow.patients.demo import load_demo_chart_data
from ketaflow.patients.models import Patient

pytestmark = pytest.mark.django_db


def _grow(patient: Patient, clinic: Any, n: int) -> None:
    """Add ``n`` of every kind of chart row."""
    nina, paul = clinic.user("nina"), clinic.user("paul")
    from django.core.files.uploadedfile import SimpleUploadedFile

    for i in range(n):
        services.measurement_record(
            patient=patient,
            recorded_by=nina,
            weight_kg=80 + i,
            height_cm=170,
            measured_on=dt.date(2026, 1, 1 + i),
        )
        services.allergy_record(
            patient=patient, recorded_by=nina, substance=f"Substance {i}", severity="mild"
        )
        services.medication_record(patient=patient, recorded_by=nina, name="Lorazepam", daily_dose_mg=2 + i)
        services.diagnosis_record(patient=patient, recorded_by=paul, condition="mdd_recurrent")
        services.document_upload(
            patient=patient,
            uploaded_by=nina,
            kind="referral",
            title=f"Letter {i}",
            upload=SimpleUploadedFile("letter.pdf", b"%PDF-1.4 letter", content_type="application/pdf"),
        )
        intake_services.candidacy_decide(
            patient=patient,
            pathway="iv_ketamine_depression",
            decision="approve",
            protocol_name="IV",
            decided_by=paul,
        )
        template = intake_services.ConsentTemplate.objects.get(
            pathway="iv_ketamine_depression", status="current"
        )
        consent = intake_services.consent_sign(
            patient=patient,
            template=template,
            signer_name="Signer",
            signature_png=signature_data_url(),
            channel="tablet",
            signed_by=nina,
            ip_address="10.0.0.1",
        )
        intake_services.consent_countersign(consent=consent, countersigned_by=paul)


def test_chart_query_count_is_pinned_and_constant_when_rows_grow(
    clinic: Any, as_persona: Any, django_assert_num_queries: Any
) -> None:
    load_demo_chart_data()
    patient = wdm_patient(clinic)
    completed_intake(patient, clinic.user("nina"))
    nina = as_persona("nina")
    url = reverse("patients:chart", args=[patient.uuid])
    nina.get(url)  # the first staff request of a minute also writes the session's last-seen time
    for rows in (1, 4):
        _grow(patient, clinic, rows)
        # Expect 20 queries:
        #  1 session, 2 user, 3 TOTP device (django-otp),
        #  4 patient (+ preferred location), 5 the user's location ids, 6 the user's locations (switcher),
        #  7 INSERT audit line (chart read),
        #  8 measurements, 9 allergies, 10 medications, 11 diagnoses,
        #  12 newest intake, 13 questionnaire responses, 14 candidacy reviews (+ decided_by),
        #  15 signed consents (+ template, counter-signer), 16 REMS enrolments, 17 current consent templates,
        #  18 documents, 19 next booked appointment (+ consultation type, location),
        #  20 treatment courses (+ protocol).
        with django_assert_num_queries(20):
            response = nina.get(url)
        assert response.status_code == 200


def test_chart_header_shows_the_essentials_and_none_for_what_does_not_exist_yet(
    clinic: Any, as_persona: Any
) -> None:
    load_demo_chart_data()
    patient = Patient.objects.get(chart_number="DEMO-00001")
    page = as_persona("nina").get(reverse("patients:chart", args=[patient.uuid])).content.decode()
    assert "<dt>Course</dt><dd>none</dd>" in page
    assert "<dt>Next appointment</dt><dd>none</dd>" in page
    assert "82.5 kg" in page  # the newest weight
    assert "PHQ-9 13 moderate" in page
    assert "Allergy: Penicillin" in page
    assert "Lorazepam: Benzodiazepine" in page
    # lorazepam 3 mg/day = 30 mg/day diazepam-equivalent (1 mg lorazepam = 10 mg diazepam)
    assert "30 mg/day diazepam-equivalent, above the 8 mg/day limit" in page
    assert "Ideal body weight (Devine)" in page and "Devine BJ" in page
    assert "ICD-10-CM F33.9" in page and "SNOMED CT 370143000" in page


def test_chart_header_shows_the_next_booked_appointment(clinic: Any, as_persona: Any) -> None:
    from ketaflow.scheduling.models import Appointment, ConsultationType

    patient = wdm_patient(clinic)
    kind = ConsultationType.objects.create(
        slug="chart-test", name="New patient consultation", mode="in_person"
    )
    starts = timezone.now() + dt.timedelta(days=3)
    for offset, status in ((0, "booked"), (-6, "booked"), (1, "cancelled")):
        Appointment.objects.create(
            patient=patient, location=clinic.wdm, provider=clinic.user("paul"), consultation_type=kind,
            starts_at=starts + dt.timedelta(days=offset), ends_at=starts + dt.timedelta(days=offset, hours=1),
            status=status, is_new_patient=offset == 0,
        )  # fmt: skip
    page = as_persona("nina").get(reverse("patients:chart", args=[patient.uuid])).content.decode()
    local = timezone.localtime(starts).strftime("%m/%d/%Y %H:%M")
    assert f"<dt>Next appointment</dt><dd>{local} · New patient consultation · West Des Moines</dd>" in page


def test_body_figures_come_from_the_dosing_domain(clinic: Any) -> None:
    from ketaflow.domain import dosing
    from ketaflow.patients.selectors import body_figures

    patient = wdm_patient(clinic)
    patient.sex = "male"
    services.measurement_record(
        patient=patient,
        recorded_by=clinic.user("nina"),
        weight_kg=100,
        height_cm=180,
        measured_on=dt.date(2026, 1, 1),
    )
    services.measurement_record(
        patient=patient,
        recorded_by=clinic.user("nina"),
        weight_kg=110,
        height_cm=None,
        measured_on=dt.date(2026, 2, 1),
    )
    from ketaflow.patients.models import BodyMeasurement

    figures = body_figures(list(BodyMeasurement.objects.filter(patient=patient)), "male")
    assert figures is not None
    assert figures.measurement.weight_kg == 110  # newest weight, newest height on record
    assert figures.bmi == pytest.approx(110 / 1.8**2)
    assert figures.ideal_kg == pytest.approx(dosing.ideal_body_weight_kg(height_cm=180, sex=dosing.Sex.MALE))
    assert figures.adjusted_kg == pytest.approx(figures.ideal_kg + 0.4 * (110 - figures.ideal_kg))


def test_front_desk_sees_demographics_but_no_clinical_sections(clinic: Any, as_persona: Any) -> None:
    load_demo_chart_data()
    patient = Patient.objects.get(chart_number="DEMO-00001")
    page = as_persona("frank").get(reverse("patients:chart", args=[patient.uuid])).content.decode()
    assert "Emergency contact" in page
    assert "Medications" not in page and "Penicillin" not in page
    assert "Send the intake link" in page and "Sign on this tablet" in page


def test_chart_read_is_audited_and_other_location_is_denied_and_audited(clinic: Any, as_persona: Any) -> None:
    patient = wdm_patient(clinic)
    url = reverse("patients:chart", args=[patient.uuid])
    assert as_persona("paul").get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="read", patient_uuid=patient.uuid, actor__username="paul"
    ).exists()
    assert as_persona("priya").get(url).status_code == 404
    assert AuditEvent.objects.filter(
        action="denied", patient_uuid=patient.uuid, actor__username="priya"
    ).exists()


def test_demo_chart_data_is_idempotent(clinic: Any) -> None:
    first = load_demo_chart_data()
    second = load_demo_chart_data()
    assert first["charts_filled"] == 3 and second["charts_filled"] == 0
    assert Patient.objects.get(chart_number="DEMO-00001").measurements.count() == 2
