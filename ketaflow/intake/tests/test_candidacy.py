"""Candidacy review: the prescriber sees the rule output, decides, and every version is kept."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from ketaflow.core.models import AuditEvent
from ketaflow.domain import screening
from ketaflow.intake import services
from ketaflow.intake.models import CandidacyReview
from ketaflow.intake.selectors import candidacy_approved, candidacy_facts
from ketaflow.intake.tests.factories import completed_intake, wdm_patient
from ketaflow.patients import services as chart_services

pytestmark = pytest.mark.django_db


def _ready_patient(clinic: Any) -> Any:
    patient = wdm_patient(clinic)
    chart_services.diagnosis_record(
        patient=patient, recorded_by=clinic.user("paul"), condition="mdd_recurrent"
    )
    completed_intake(patient, clinic.user("frank"))
    return patient


def test_facts_come_from_the_intake_and_the_chart(clinic: Any) -> None:
    patient = _ready_patient(clinic)
    chart_services.medication_record(
        patient=patient, recorded_by=clinic.user("nina"), name="Alprazolam", daily_dose_mg=2
    )
    facts = candidacy_facts(patient=patient, intake=patient.intakes.get())
    assert facts.depression_diagnosis is True
    assert facts.pregnant is False and facts.hypertension is False and facts.liver_disease == "none"
    assert facts.suicidality_screen_positive is False
    assert screening.adequate_failed_trials(facts.antidepressant_trials) == 2
    decision = screening.assess(facts, "iv_ketamine_depression")
    # alprazolam 2 mg/day = 40 mg/day diazepam-equivalent: above the 8 mg limit -> needs review
    assert decision.candidate == "needs review"
    assert any("diazepam-equivalent" in reason for reason in decision.reasons)


def test_review_page_shows_rules_scores_and_history(clinic: Any, as_persona: Any) -> None:
    patient = _ready_patient(clinic)
    page = as_persona("paul").get(reverse("intake:review", args=[patient.uuid])).content.decode()
    assert "What the rules say" in page
    assert "Treatment-resistant depression: 2 adequate failed antidepressant trials" in page
    assert "PHQ-9" in page and "moderately severe" in page
    assert "Have you been told you have high blood pressure?" in page


def test_approval_needs_a_protocol_decline_a_reason_and_nothing_is_saved_otherwise(
    clinic: Any, as_persona: Any
) -> None:
    patient = _ready_patient(clinic)
    paul = as_persona("paul")
    url = reverse("intake:review", args=[patient.uuid])
    response = paul.post(url, {"pathway": "iv_ketamine_depression", "decision": "approve"})
    assert response.status_code == 400 and services.PROTOCOL_REQUIRED in response.content.decode()
    response = paul.post(url, {"pathway": "iv_ketamine_depression", "decision": "decline"})
    assert services.REASON_REQUIRED in response.content.decode()
    response = paul.post(url, {"pathway": "iv_ketamine_depression", "decision": "refer"})
    assert services.REFERRED_TO_REQUIRED in response.content.decode()
    assert not CandidacyReview.objects.exists()
    assert not candidacy_approved(patient, "iv_ketamine_depression")


def test_approval_unlocks_the_pathway_and_each_version_is_kept_and_audited(
    clinic: Any, as_persona: Any
) -> None:
    patient = _ready_patient(clinic)
    paul = as_persona("paul")
    url = reverse("intake:review", args=[patient.uuid])
    approve = {
        "pathway": "iv_ketamine_depression",
        "decision": "approve",
        "protocol_name": "IV ketamine for depression",
        "note": "Discussed risks.",
    }
    assert paul.post(url, approve).status_code == 302
    assert candidacy_approved(patient, "iv_ketamine_depression")
    assert candidacy_approved(patient, screening.Pathway.IV_KETAMINE_DEPRESSION)
    assert not candidacy_approved(patient, "esketamine_nasal")
    review = CandidacyReview.objects.get()
    assert review.engine_version == screening.VERSION
    assert review.rule_output["candidate"] == "yes" and review.facts["pregnant"] is False
    assert (
        paul.post(
            url, {"pathway": "iv_ketamine_depression", "decision": "decline", "reason": "BP"}
        ).status_code
        == 302
    )
    assert not candidacy_approved(patient, "iv_ketamine_depression")
    assert CandidacyReview.objects.count() == 2
    assert AuditEvent.objects.filter(object_type="intake.CandidacyReview", action="create").count() == 2
    page = paul.get(url).content.decode()
    assert page.count("<td>IV ketamine for depression</td>") == 2  # both versions in the history table


def test_only_prescribers_at_the_location_decide(clinic: Any, as_persona: Any) -> None:
    patient = _ready_patient(clinic)
    data = {"pathway": "iv_ketamine_depression", "decision": "approve", "protocol_name": "IV"}
    assert as_persona("nina").post(reverse("intake:review", args=[patient.uuid]), data).status_code == 403
    assert as_persona("priya").post(reverse("intake:review", args=[patient.uuid]), data).status_code == 404
    assert not CandidacyReview.objects.exists()


def test_rems_enrolment_is_required_data_and_a_future_date_is_refused(clinic: Any, as_persona: Any) -> None:
    from ketaflow.intake.selectors import rems_enrolled

    patient = wdm_patient(clinic)
    paul = as_persona("paul")
    url = reverse("intake:rems", args=[patient.uuid])
    response = paul.post(url, {"enrolled_on": "2999-01-01", "enrollment_id": "R-1"})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert not rems_enrolled(patient)
    assert paul.post(url, {"enrolled_on": "2026-01-05", "enrollment_id": "R-12345"}).status_code == 302
    assert rems_enrolled(patient)
