"""The patient's intake bundle: each section, required answers, questionnaires once, submission, query counts."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from ketaflow.intake import services
from ketaflow.intake.forms import ANSWER_THIS
from ketaflow.intake.models import AntidepressantTrial, Intake, QuestionnaireResponse
from ketaflow.intake.tests.factories import ANSWERS, CALM_HISTORY, completed_intake, wdm_patient
from ketaflow.patients.models import Medication

pytestmark = pytest.mark.django_db


@pytest.fixture
def bundle(clinic: Any) -> tuple[Intake, Client]:
    patient = wdm_patient(clinic)
    intake = services.intake_create(patient=patient, reason="both", created_by=clinic.user("frank"))
    token = services.intake_link_send(intake=intake, channel="email", sent_by=clinic.user("frank"))
    client = Client()
    client.get(reverse("intake:start", args=[token]))
    return intake, client


def _phq9(values: list[int | None]) -> dict[str, str]:
    from ketaflow.domain import instruments

    items = instruments.get_instrument("phq9").items
    return {item.id: str(v) for item, v in zip(items, values, strict=True) if v is not None}


def test_missing_questionnaire_answer_shows_the_error_and_saves_nothing(bundle: Any) -> None:
    intake, client = bundle
    response = client.post(reverse("intake:step", args=["phq9"]), _phq9([1, 1, 1, 1, 1, 1, 1, 1, None]))
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_questionnaire_is_scored_with_the_engine_version_and_timestamped(bundle: Any) -> None:
    from ketaflow.domain import instruments

    intake, client = bundle
    response = client.post(reverse("intake:step", args=["phq9"]), _phq9([2, 2, 2, 2, 2, 2, 2, 1, 0]))
    assert response.status_code == 302
    row = QuestionnaireResponse.objects.get()
    assert row.answers == [2, 2, 2, 2, 2, 2, 2, 1, 0]
    assert row.result["total"] == 15 and row.result["band"] == "moderately severe"
    assert row.engine_version == instruments.VERSION and row.completed_at is not None


def test_a_second_answer_to_a_completed_questionnaire_is_refused(bundle: Any) -> None:
    intake, client = bundle
    client.post(reverse("intake:step", args=["phq9"]), _phq9([0] * 9))
    response = client.post(reverse("intake:step", args=["phq9"]), _phq9([3] * 9))
    assert response.status_code == 400
    assert services.ALREADY_ANSWERED in response.content.decode()
    assert QuestionnaireResponse.objects.get().answers == [0] * 9
    with pytest.raises(Exception, match="cannot be answered twice"):
        services.questionnaire_submit(intake=intake, instrument_id="phq9", answers=[3] * 9)


def test_cssrs_skip_logic_and_a_positive_screen_shows_crisis_help(bundle: Any) -> None:
    intake, client = bundle
    url = reverse("intake:step", args=["cssrs_screener"])
    # Q2 yes but Q3-5 unanswered: incomplete, nothing saved
    response = client.post(url, {"wish_dead": "1", "suicidal_thoughts": "1", "behaviour": "0"})
    assert response.status_code == 400
    assert "Answer every question (missing: 3, 4, 5)." in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()
    response = client.post(url, {"wish_dead": "1", "suicidal_thoughts": "0", "behaviour": "0"}, follow=True)
    assert "call or text 988" in response.content.decode()
    assert QuestionnaireResponse.objects.get().result["flags"] == ["suicidality"]


def test_health_history_requires_each_answer_and_follow_up_when_yes(bundle: Any) -> None:
    intake, client = bundle
    data = dict(CALM_HISTORY, hypertension="yes")
    response = client.post(reverse("intake:step", args=["health"]), data)
    assert response.status_code == 400
    assert ANSWER_THIS in response.content.decode()
    data.pop("pregnant")
    data["hypertension_controlled"] = "yes"
    response = client.post(reverse("intake:step", args=["health"]), data)
    assert response.status_code == 400
    intake.refresh_from_db()
    assert intake.history_answered_at is None
    data["pregnant"] = "no"
    assert client.post(reverse("intake:step", args=["health"]), data).status_code == 302
    intake.refresh_from_db()
    assert intake.history["hypertension_controlled"] == "yes" and intake.history_answered_at is not None


def test_medicines_and_antidepressant_trials_are_added_then_confirmed(bundle: Any) -> None:
    intake, client = bundle
    url = reverse("intake:step", args=["medications"])
    assert (
        client.post(
            url, {"action": "add", "name": "Alprazolam", "dose_text": "0.5 mg", "daily_dose_mg": "1"}
        ).status_code
        == 302
    )
    response = client.post(url, {"action": "add", "name": "", "started_on": "2999-01-01"})
    assert response.status_code == 400 and "cannot be in the future" in response.content.decode()
    assert client.post(url, {"action": "done"}).status_code == 302
    medication = Medication.objects.get()
    assert (medication.name, medication.source) == ("Alprazolam", "intake")
    url = reverse("intake:step", args=["antidepressants"])
    trial = {
        "action": "add",
        "drug": "Sertraline",
        "duration_weeks": "10",
        "response": "none",
        "current_episode": "yes",
    }
    assert client.post(url, trial).status_code == 302
    assert client.post(url, {**trial, "duration_weeks": "0"}).status_code == 400
    assert AntidepressantTrial.objects.count() == 1
    client.post(url, {"action": "done"})
    intake.refresh_from_db()
    assert intake.medications_confirmed_at and intake.trials_confirmed_at


def test_pain_history_and_pain_scales_appear_when_pain_is_the_reason(bundle: Any) -> None:
    intake, client = bundle
    page = client.get(reverse("intake:overview")).content.decode()
    assert "Pain history" in page and "Brief Pain Inventory" in page
    response = client.post(reverse("intake:step", args=["pain"]), {"duration": "1_to_5_years"})
    assert response.status_code == 400
    client.post(reverse("intake:step", args=["pain"]), {"conditions": ["crps"], "duration": "1_to_5_years"})
    intake.refresh_from_db()
    assert intake.pain_history["conditions"] == ["crps"]


def test_submit_refuses_an_unfinished_intake_and_accepts_a_finished_one(clinic: Any, bundle: Any) -> None:
    intake, client = bundle
    response = client.post(reverse("intake:submit"), follow=True)
    assert "Finish every section before submitting" in response.content.decode()
    intake.refresh_from_db()
    assert intake.status == "open"
    finished = completed_intake(wdm_patient(clinic), clinic.user("frank"), reason="pain")
    assert finished.status == "submitted" and finished.submitted_at is not None
    with pytest.raises(Exception, match="already been submitted"):
        services.questionnaire_submit(intake=finished, instrument_id="gad7", answers=ANSWERS["gad7"])


def test_portal_login_opens_the_patients_own_open_intake(clinic: Any, as_persona: Any) -> None:
    from ketaflow.patients.models import Patient

    patient = Patient.objects.get(user=clinic.user("pat"))
    pat = as_persona("pat")
    assert "No intake is waiting" in pat.get(reverse("intake:portal")).content.decode()
    services.intake_create(patient=patient, reason="depression", created_by=clinic.user("nina"))
    assert "Continue my intake" in pat.get(reverse("intake:portal")).content.decode()
    assert pat.get(reverse("intake:step", args=["gad7"])).status_code == 200


def test_intake_pages_query_counts_are_pinned_and_constant(
    bundle: Any, django_assert_num_queries: Any
) -> None:
    intake, client = bundle
    for grow in (0, 1):
        if grow:
            for instrument_id in ("phq9", "gad7", "nrs"):
                services.questionnaire_submit(
                    intake=intake, instrument_id=instrument_id, answers=ANSWERS[instrument_id]
                )
            for i in range(3):
                services.intake_medication_add(intake=intake, name=f"Medicine {i}")
        # Expect 3 queries: 1 session, 2 link (+ intake, patient), 3 questionnaires already answered.
        with django_assert_num_queries(3):
            assert client.get(reverse("intake:overview")).status_code == 200
        # Expect 3 queries: 1 session, 2 link (+ intake, patient), 3 has this questionnaire been answered.
        with django_assert_num_queries(3):
            assert client.get(reverse("intake:step", args=["peg3"])).status_code == 200
        # Expect 3 queries: 1 session, 2 link (+ intake, patient), 3 current medicines.
        with django_assert_num_queries(3):
            assert client.get(reverse("intake:step", args=["medications"])).status_code == 200
