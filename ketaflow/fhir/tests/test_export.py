"""FHIR export: every demo patient's $everything Bundle validates; times and scores read back equal the rows."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.capabilitystatement import CapabilityStatement

from ketaflow.core.models import AuditEvent
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.patients.models import BodyMeasurement, Diagnosis, Patient
from ketaflow.testing import login


def _everything(client: Client, patient: Any, **headers: Any) -> Any:
    return client.get(f"/fhir/R4/Patient/{patient.uuid}/$everything", **headers)


def test_metadata_is_a_valid_capability_statement(client: Client) -> None:
    response = client.get("/fhir/R4/metadata")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/fhir+json"
    statement = CapabilityStatement.model_validate(response.json())
    assert statement.fhirVersion == "4.0.1"
    assert statement.rest[0].resource[0].operation[0].name == "everything"


def test_every_demo_patient_bundle_validates(clinic: Any) -> None:
    client = login(Client(), clinic.user("mia"))
    patients = list(Patient.objects.current())
    assert patients
    for patient in patients:
        response = _everything(client, patient)
        assert response.status_code == 200, response.content[:200]
        bundle = Bundle.model_validate(response.json())
        kinds = {entry.resource.get_resource_type() for entry in bundle.entry}
        assert "Patient" in kinds
        if Diagnosis.objects.filter(patient=patient).exists():
            assert {"Condition", "Observation", "QuestionnaireResponse"} <= kinds


def test_round_trip_times_and_scores_equal_the_database(clinic: Any) -> None:
    patient = Patient.objects.filter(questionnaires__isnull=False).distinct().first()
    client = login(Client(), clinic.user("mia"))
    bundle = Bundle.model_validate(_everything(client, patient).json())
    by_id = {entry.resource.id: entry.resource for entry in bundle.entry}

    for response in QuestionnaireResponse.objects.filter(patient=patient):
        fhir_response = by_id[str(response.uuid)]
        assert abs(fhir_response.authored - response.completed_at) < dt.timedelta(milliseconds=1)
        answers = [item.answer[0].valueInteger if item.answer else None for item in fhir_response.item]
        assert answers == response.answers
        assert fhir_response.questionnaire.endswith(f"/Questionnaire/{response.instrument}|1.0.0")
        total = response.result.get("total")
        if total is not None:
            observation = by_id[f"{response.uuid}-total"]
            value = (
                observation.valueInteger
                if observation.valueInteger is not None
                else observation.valueQuantity.value
            )
            assert float(value) == float(total)
    phq9 = QuestionnaireResponse.objects.get(patient=patient, instrument="phq9")
    assert by_id[f"{phq9.uuid}-total"].code.coding[0].code == "44261-6"

    for m in BodyMeasurement.objects.filter(patient=patient):
        weight = by_id[f"{m.uuid}-weight"]
        assert weight.code.coding[0].code == "29463-7"
        assert float(weight.valueQuantity.value) == m.weight_kg
        assert str(weight.effectiveDateTime) == m.measured_on.isoformat()

    for d in Diagnosis.objects.filter(patient=patient):
        systems = {c.system: c.code for c in by_id[str(d.uuid)].code.coding}
        assert systems.get("http://hl7.org/fhir/sid/icd-10-cm") == d.icd10_code
        if d.snomed_code:
            assert systems["http://snomed.info/sct"] == d.snomed_code


def test_appointments_are_exported_with_their_times(clinic: Any) -> None:
    from ketaflow.api.tests.routes import book

    appointment = book(clinic)
    client = login(Client(), clinic.user("mia"))
    bundle = Bundle.model_validate(_everything(client, appointment.patient).json())
    exported = next(e.resource for e in bundle.entry if e.resource.id == str(appointment.uuid))
    assert exported.start == appointment.starts_at
    assert exported.end == appointment.ends_at
    assert exported.status == "booked"


def test_export_is_audited(clinic: Any) -> None:
    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    client = login(Client(), clinic.user("nina"))
    assert _everything(client, patient).status_code == 200
    assert AuditEvent.objects.filter(action="export", patient_uuid=patient.uuid, actor_label="nina").exists()
    assert AuditEvent.objects.filter(
        action="read", patient_uuid=patient.uuid, detail="FHIR $everything export"
    ).exists()


def test_export_access_control(clinic: Any, as_persona: Any) -> None:
    from ketaflow.api.tokens import api_token_create

    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    anonymous = _everything(Client(), patient)
    assert anonymous.status_code == 401
    assert anonymous.json()["resourceType"] == "OperationOutcome"
    assert _everything(as_persona("frank"), patient).status_code == 403  # front desk: no clinical view
    assert _everything(as_persona("pat"), patient).status_code == 403
    assert _everything(as_persona("noah"), patient).status_code == 404  # nurse at the other location
    before = AuditEvent.objects.filter(action="denied", patient_uuid=patient.uuid).count()
    assert _everything(as_persona("priya"), patient).status_code == 404
    assert AuditEvent.objects.filter(action="denied", patient_uuid=patient.uuid).count() == before + 1

    _t, with_scope = api_token_create(user=clinic.user("nina"), scopes="read:clinical", days=1)
    _t, without = api_token_create(user=clinic.user("nina"), scopes="read:schedule", days=1)
    assert _everything(Client(), patient, HTTP_AUTHORIZATION=f"Bearer {with_scope}").status_code == 200
    assert _everything(Client(), patient, HTTP_AUTHORIZATION=f"Bearer {without}").status_code == 403
    assert _everything(Client(), patient, HTTP_AUTHORIZATION="Bearer kf_wrong").status_code == 401


def test_every_persona_gets_the_expected_answer(clinic: Any, as_persona: Any) -> None:
    from ketaflow.api.tests.routes import CLINICAL, NOT_AT_WDM
    from ketaflow.testing import PERSONA_NAMES

    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    for persona in [None, *PERSONA_NAMES]:
        if persona is None:
            expected = 401
        elif persona in CLINICAL:
            expected = 404 if persona in NOT_AT_WDM else 200
        else:
            expected = 403
        response = _everything(as_persona(persona), patient)
        assert response.status_code == expected, (persona, response.status_code)
        if expected != 200:
            assert response.json()["resourceType"] == "OperationOutcome"


def test_consents_are_exported_with_their_status_and_time(clinic: Any) -> None:
    from django.utils import timezone

    from ketaflow.intake.models import ConsentTemplate, SignedConsent

    patient = Patient.objects.filter(preferred_location=clinic.wdm).first()
    template = ConsentTemplate.objects.filter(status="current").first()
    signed_at = timezone.now() - dt.timedelta(days=2)
    consent = SignedConsent.objects.create(
        patient=patient,
        template=template,
        pathway=template.pathway,
        signer_name="Synthetic Signer",
        signature_kind="typed",
        signature_text="Synthetic Signer",
        channel="tablet",
        signed_at=signed_at,
        document_sha256=template.body_sha256,
    )
    client = login(Client(), clinic.user("mia"))
    bundle = Bundle.model_validate(_everything(client, patient).json())
    exported = next(e.resource for e in bundle.entry if e.resource.id == str(consent.uuid))
    assert exported.status == "proposed"  # awaiting the counter-signature
    assert abs(exported.dateTime - signed_at) < dt.timedelta(milliseconds=1)
    assert exported.category[0].coding[0].code == "59284-0"
    assert exported.policy[0].uri.endswith(f"/consent-template/{template.pathway}/{template.version}")
    SignedConsent.objects.filter(pk=consent.pk).update(countersigned_at=timezone.now())
    bundle = Bundle.model_validate(_everything(client, patient).json())
    assert next(e.resource for e in bundle.entry if e.resource.id == str(consent.uuid)).status == "active"


def test_infusion_sessions_round_trip_doses_times_and_vitals(clinic: Any) -> None:
    demo = pytest.importorskip("ketaflow.treatment.demo")
    from django.utils import timezone

    from ketaflow.treatment.models import Course, InfusionSession, VitalsReading
    from ketaflow.treatment.services import delivered_mg

    demo.load_demo_treatment()
    session = InfusionSession.objects.filter(started_at__isnull=False).first()
    if session is None:
        pytest.skip("the treatment demo has no started session")
    client = login(Client(), clinic.user("mia"))
    before = timezone.now()
    bundle = Bundle.model_validate(_everything(client, session.patient).json())
    after = timezone.now()
    by_id = {entry.resource.id: entry.resource for entry in bundle.entry}

    given = by_id[str(session.uuid)]
    assert given.get_resource_type() == "MedicationAdministration"
    assert given.medicationCodeableConcept.coding[0].code == "6130"
    assert abs(given.effectivePeriod.start - session.started_at) < dt.timedelta(milliseconds=1)
    dose = float(given.dosage.dose.value)
    low = delivered_mg(session, as_of=session.stopped_at or before)
    high = delivered_mg(session, as_of=session.stopped_at or after)
    assert round(low, 3) - 0.001 <= dose <= round(high, 3) + 0.001
    assert dose > 0
    for course in Course.objects.filter(patient=session.patient):
        assert by_id[str(course.uuid)].get_resource_type() == "CarePlan"
    for reading in VitalsReading.objects.filter(session=session):
        if reading.sbp_mmhg is not None and reading.dbp_mmhg is not None:
            bp = by_id[f"{reading.uuid}-bp"]
            assert [float(c.valueQuantity.value) for c in bp.component] == [
                reading.sbp_mmhg,
                reading.dbp_mmhg,
            ]
            assert abs(bp.effectiveDateTime - reading.taken_at) < dt.timedelta(milliseconds=1)
        if reading.hr_per_min is not None:
            assert float(by_id[f"{reading.uuid}-hr"].valueQuantity.value) == reading.hr_per_min
