"""Synthetic chart data for the demo clinic (call after ``ketaflow.core.demo.load_demo``). Idempotent.

Everything here is invented. Never load real patient data into a demo.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.db import transaction
from django.utils import timezone

from ketaflow.domain import instruments
from ketaflow.intake.models import (
    AntidepressantTrial,
    ConsentTemplate,
    Intake,
    Pathway,
    QuestionnaireResponse,
)
from ketaflow.patients.catalog import BY_KEY
from ketaflow.patients.models import Allergy, BodyMeasurement, Diagnosis, DrugClass, Medication, Patient

DEMO_TAG = "Demo data"

CONSENT_TEXT = {
    Pathway.IV_KETAMINE_DEPRESSION: (
        "Consent to intravenous ketamine for depression",
        False,
        """Ketamine is an anaesthetic medicine. Given in low doses through a vein over about 40 minutes, it can \
ease depression that has not responded to other treatment. Its use for depression is "off-label": the US Food \
and Drug Administration has not approved intravenous ketamine for this purpose.

During and shortly after the infusion you may feel detached, dreamy or unreal, see or hear things differently, \
feel sick, dizzy or sleepy, and your blood pressure and heart rate may rise. These effects usually pass within \
an hour or two. A nurse checks your blood pressure, heart rate, breathing and oxygen level throughout.

Rare or longer-term risks include bladder irritation with repeated use, misuse, and worsening mood. Tell us at \
once about thoughts of harming yourself.

You must not eat for the time the clinic tells you before the infusion. An adult must take you home; you must \
not drive, operate machinery or make important decisions until the next day after a night's sleep.

You can ask questions at any time and you may withdraw this consent at any time without affecting your other \
care.""",
    ),
    Pathway.IV_KETAMINE_PAIN: (
        "Consent to intravenous ketamine for chronic pain",
        False,
        """Ketamine given through a vein over several hours can reduce some kinds of chronic pain, such as complex \
regional pain syndrome. The evidence is strongest for CRPS and weaker for other conditions; relief may be short.

Side effects during the infusion include feeling detached or dreamy, nausea, dizziness, sleepiness and a rise \
in blood pressure and heart rate. Your vital signs are monitored throughout. Repeated treatment can irritate \
the bladder and, rarely, affect the liver; we may check blood tests.

An adult must take you home; do not drive until the next day. You may withdraw this consent at any time.""",
    ),
    Pathway.ESKETAMINE_NASAL: (
        "Consent to esketamine (SPRAVATO) nasal spray and REMS patient enrolment",
        True,
        """Esketamine (SPRAVATO) is a nasal spray approved for treatment-resistant depression. You use it yourself \
under supervision at the clinic; it is never given to take home.

It can cause sleepiness, dissociation (feeling disconnected from yourself or your surroundings), dizziness, \
nausea and a rise in blood pressure. You will stay in the clinic for at least two hours after each dose until a \
clinician decides you are ready to leave. Do not drive or operate machinery until the next day after a restful \
sleep.

SPRAVATO is available only through a safety programme (the SPRAVATO REMS). By signing you agree to be enrolled \
in the REMS, and that the clinic reports each treatment session to the programme as it requires.

You may withdraw this consent at any time.""",
    ),
}


def _consent_templates() -> None:
    for pathway, (title, rems, body) in CONSENT_TEXT.items():
        if ConsentTemplate.objects.filter(pathway=pathway).exists():
            continue
        ConsentTemplate.objects.create(
            pathway=pathway,
            version=1,
            title=title,
            body=body,
            includes_rems_enrolment=rems,
            body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        )


@transaction.atomic
def load_demo_chart_data() -> dict[str, Any]:
    """Consent forms for every pathway and a realistic chart for the first three demo patients."""
    _consent_templates()
    today = timezone.localdate()
    filled = 0
    for index, chart_number in enumerate(("DEMO-00001", "DEMO-00002", "DEMO-00003")):
        patient = Patient.objects.filter(chart_number=chart_number, is_synthetic=True).first()
        if patient is None or BodyMeasurement.objects.filter(patient=patient).exists():
            continue
        filled += 1
        Patient.objects.filter(pk=patient.pk).update(
            address_line1=f"{400 + index * 37} Demo Street",
            city="Des Moines",
            state="IA",
            zip_code="50309",
            emergency_contact_name="Jamie Example",
            emergency_contact_relationship="Partner",
            emergency_contact_phone="(515) 555-0111",
            escort_name="Jamie Example",
            escort_phone="(515) 555-0111",
            referring_clinician="Dr. Robin Sample",
            referring_practice="Sample Family Medicine",
            referring_phone="(515) 555-0123",
        )
        height = 165.0 + index * 8
        for weeks, weight in ((26, 84.0 + index * 6), (4, 82.5 + index * 6)):
            BodyMeasurement.objects.create(
                patient=patient,
                measured_on=today - dt.timedelta(weeks=weeks),
                weight_kg=weight,
                height_cm=height if weeks == 26 else None,
            )
        Allergy.objects.create(patient=patient, substance="Penicillin", reaction="Rash", severity="mild")
        Medication.objects.create(
            patient=patient,
            name="Sertraline",
            dose_text="100 mg once daily",
            daily_dose_mg=100,
            started_on=today - dt.timedelta(days=400),
        )
        Medication.objects.create(
            patient=patient,
            name="Lorazepam",
            drug_class=DrugClass.BENZODIAZEPINE,
            dose_text="1 mg three times daily",
            daily_dose_mg=3,
            started_on=today - dt.timedelta(days=200),
        )
        Medication.objects.create(
            patient=patient,
            name="Lisinopril",
            drug_class=DrugClass.ANTIHYPERTENSIVE,
            dose_text="10 mg once daily",
            daily_dose_mg=10,
            started_on=today - dt.timedelta(days=900),
        )
        Medication.objects.create(
            patient=patient,
            name="Escitalopram",
            dose_text="20 mg once daily",
            started_on=today - dt.timedelta(days=800),
            stopped_on=today - dt.timedelta(days=420),
        )
        for key in ("mdd_recurrent",) if index != 2 else ("crps",):
            entry = BY_KEY[key]
            Diagnosis.objects.create(
                patient=patient,
                condition=key,
                label=entry.label,
                icd10_code=entry.icd10,
                snomed_code=entry.snomed,
                onset_on=today - dt.timedelta(days=3 * 365),
            )
        intake = Intake.objects.create(
            patient=patient,
            reason="pain" if index == 2 else "depression",
            status=Intake.Status.SUBMITTED,
            demographics_confirmed_at=timezone.now(),
            history={"hypertension": "yes", "hypertension_controlled": "yes", "cardiovascular_disease": "no"},
            history_answered_at=timezone.now(),
            medications_confirmed_at=timezone.now(),
            trials_confirmed_at=timezone.now(),
            submitted_at=timezone.now(),
        )
        for drug, weeks, response in (("Escitalopram", 12, "partial"), ("Sertraline", 10, "none")):
            AntidepressantTrial.objects.create(
                intake=intake, patient=patient, drug=drug, duration_weeks=weeks, response=response
            )
        for instrument_id, answers in (
            ("phq9", [2, 2, 2, 1, 2, 2, 1, 1, 0]),
            ("gad7", [2, 1, 2, 1, 1, 1, 1]),
            ("cssrs_screener", [0, 0, None, None, None, 0, None]),
        ):
            result = instruments.score(instrument_id, answers)
            QuestionnaireResponse.objects.create(
                patient=patient,
                intake=intake,
                instrument=instrument_id,
                answers=answers,
                result=result.as_dict(),
                engine_version=instruments.VERSION,
                completed_at=timezone.now(),
            )
    return {"consent_templates": ConsentTemplate.objects.count(), "charts_filled": filled}
