"""Helpers that walk an intake through the services (no HTTP), for tests."""

from __future__ import annotations

import base64
import io
from typing import Any

from ketaflow.intake import services
from ketaflow.intake.models import Intake
from ketaflow.patients.models import Patient

CALM_HISTORY = {
    "hypertension": "no",
    "cardiovascular_disease": "no",
    "recent_mi_or_stroke": "no",
    "psychosis_history": "no",
    "mania_history": "no",
    "substance_use": "none",
    "pregnant": "no",
    "breastfeeding": "no",
    "raised_intracranial_pressure": "no",
    "raised_intraocular_pressure": "no",
    "liver_disease": "none",
    "recent_seizures": "no",
    "aneurysm_avm_or_intracerebral_haemorrhage": "no",
    "ketamine_hypersensitivity": "no",
}
ANSWERS = {
    "phq9": [2, 2, 2, 2, 2, 2, 2, 1, 0],
    "gad7": [1, 1, 1, 1, 1, 1, 1],
    "cssrs_screener": [0, 0, None, None, None, 0, None],
    "nrs": [7],
    "peg3": [6, 7, 8],
    "bpi_sf": [8, 3, 6, 6, 5, 5, 5, 5, 5, 5, 5],
}


def wdm_patient(clinic: Any) -> Patient:
    return Patient.objects.filter(preferred_location=clinic.wdm).order_by("chart_number").first()


def completed_intake(
    patient: Patient, staff: Any, *, reason: str = "depression", submit: bool = True
) -> Intake:
    intake = services.intake_create(patient=patient, reason=reason, created_by=staff)
    services.intake_demographics_confirm(intake=intake, changes={"emergency_contact_name": "Sam Example"})
    services.intake_history_save(intake=intake, answers=CALM_HISTORY)
    services.intake_section_confirm(intake=intake, section="medications")
    if intake.includes_depression:
        for drug in ("Sertraline", "Bupropion"):
            services.intake_trial_add(
                intake=intake,
                drug=drug,
                dose="",
                duration_weeks=8,
                response="none",
                side_effects="",
                current_episode=True,
            )
        services.intake_section_confirm(intake=intake, section="antidepressants")
    if intake.includes_pain:
        services.intake_pain_save(
            intake=intake, conditions=["crps"], duration="1_to_5_years", treatments=["medication"], details=""
        )
    from ketaflow.intake.selectors import intake_questionnaires

    for instrument_id in intake_questionnaires(intake):
        services.questionnaire_submit(
            intake=intake, instrument_id=instrument_id, answers=ANSWERS[instrument_id]
        )
    if submit:
        services.intake_submit(intake=intake)
    intake.refresh_from_db()
    return intake


def signature_data_url(blank: bool = False) -> str:
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (300, 100), (0, 0, 0, 0))
    if not blank:
        ImageDraw.Draw(image).line((10, 80, 120, 20, 200, 70, 290, 30), fill=(0, 0, 0, 255), width=4)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()
