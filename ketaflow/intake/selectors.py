"""Intake reads, and the selectors other apps call: ``candidacy_approved``, ``consent_current``, ``rems_enrolled``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from django.db.models import OuterRef, Subquery
from django.utils import timezone

from ketaflow.domain import screening
from ketaflow.intake.models import (
    CandidacyReview,
    ConsentTemplate,
    Intake,
    IntakeLink,
    QuestionnaireResponse,
    RemsEnrollment,
    SignedConsent,
)
from ketaflow.intake.questions import history_to_facts
from ketaflow.patients.catalog import BY_KEY
from ketaflow.patients.models import Diagnosis, Medication, Patient

# An antidepressant trial counts as adequate when taken for at least this many weeks. The usual TRD
# definition speaks of "adequate dose and duration"; 6 weeks is a common minimum (UNVERIFIED in
# clinical.md): the prescriber confirms each trial in the review. Configurable here.
ADEQUATE_TRIAL_MIN_WEEKS = 6

DEPRESSION_QUESTIONNAIRES = ("phq9", "gad7", "cssrs_screener")
PAIN_QUESTIONNAIRES = ("nrs", "peg3", "bpi_sf")


def token_hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@dataclass(frozen=True)
class Step:
    slug: str
    title: str
    done: bool


def intake_questionnaires(intake: Intake) -> tuple[str, ...]:
    return DEPRESSION_QUESTIONNAIRES + (PAIN_QUESTIONNAIRES if intake.includes_pain else ())


def intake_steps(intake: Intake, answered: set[str]) -> list[Step]:
    """The bundle's steps in order, with what is done. ``answered``: instruments already answered."""
    from ketaflow.domain import instruments

    steps = [
        Step("about-you", "About you", intake.demographics_confirmed_at is not None),
        Step("health", "Health history", intake.history_answered_at is not None),
        Step("medications", "Medicines", intake.medications_confirmed_at is not None),
    ]
    if intake.includes_depression:
        steps.append(Step("antidepressants", "Antidepressants tried", intake.trials_confirmed_at is not None))
    if intake.includes_pain:
        steps.append(Step("pain", "Pain history", intake.pain_answered_at is not None))
    for instrument_id in intake_questionnaires(intake):
        title = instruments.get_instrument(instrument_id).title
        steps.append(Step(instrument_id, title, instrument_id in answered))
    return steps


def answered_instruments(intake: Intake) -> set[str]:
    return set(
        QuestionnaireResponse.objects.current().filter(intake=intake).values_list("instrument", flat=True)
    )


def intake_open_for_patient(patient: Patient) -> Intake | None:
    return Intake.objects.current().filter(patient=patient, status=Intake.Status.OPEN).first()


def link_for_token(raw: str) -> IntakeLink | None:
    return IntakeLink.objects.select_related("intake__patient").filter(token_sha256=token_hash(raw)).first()


def adequate_failed(trial: Any) -> bool:
    return trial.duration_weeks >= ADEQUATE_TRIAL_MIN_WEEKS and trial.response in ("none", "partial")


def candidacy_facts(*, patient: Patient, intake: Intake | None) -> screening.CandidacyFacts:
    """Build the screening facts from the chart and the (latest submitted) intake."""
    from ketaflow.patients.selectors import domain_medications

    history = history_to_facts(intake.history if intake is not None else {})
    diagnoses = list(Diagnosis.objects.current().filter(patient=patient, is_active=True))
    depression = (
        True if any(BY_KEY[d.condition].depression for d in diagnoses if d.condition in BY_KEY) else None
    )
    medications = list(Medication.objects.current().filter(patient=patient))
    medications_confirmed = intake is not None and intake.medications_confirmed_at is not None
    trials = None
    pain_condition = None
    suicidality = None
    if intake is not None:
        if intake.trials_confirmed_at is not None:
            trials = tuple(
                screening.AntidepressantTrial(
                    medication=t.drug,
                    adequate=t.duration_weeks >= ADEQUATE_TRIAL_MIN_WEEKS,
                    failed=t.response in ("none", "partial"),
                    current_episode=t.current_episode,
                )
                for t in intake.trials.current()
            )
        if intake.pain_answered_at is not None:
            conditions = intake.pain_history.get("conditions") or []
            graded = [c for c in conditions if screening.PAIN_CONDITION_EVIDENCE.get(c) == "moderate"]
            pain_condition = (graded or conditions or ["none"])[0]
        flags: list[str] = []
        for response in QuestionnaireResponse.objects.current().filter(
            intake=intake, instrument__in=("cssrs_screener", "phq9")
        ):
            flags += response.result.get("flags", [])
        answered = answered_instruments(intake)
        if "cssrs_screener" in answered:
            suicidality = bool(flags)
    return screening.CandidacyFacts(
        age_years=patient.age_on(timezone.localdate()),
        depression_diagnosis=depression,
        antidepressant_trials=trials,
        pain_condition=pain_condition,
        suicidality_screen_positive=suicidality,
        # The list counts as recorded once staff entered a medicine or the patient confirmed theirs.
        medications=domain_medications(medications) if medications or medications_confirmed else None,
        **history,  # type: ignore[arg-type]
    )


def latest_submitted_intake(patient: Patient) -> Intake | None:
    return (
        Intake.objects.current()
        .filter(patient=patient, status=Intake.Status.SUBMITTED)
        .order_by("-submitted_at", "-id")
        .first()
    )


def _latest_review(patient: Patient, pathway: str) -> CandidacyReview | None:
    return (
        CandidacyReview.objects.current()
        .filter(patient=patient, pathway=pathway)
        .order_by("-decided_at", "-id")
        .first()
    )


def candidacy_approved(patient: Patient, pathway: str) -> bool:
    """True when the newest candidacy decision for ``pathway`` approves it (unlocks infusion booking)."""
    review = _latest_review(patient, str(pathway))
    return review is not None and review.decision == CandidacyReview.Decision.APPROVE


def consent_current(patient: Patient, pathway: str) -> SignedConsent | None:
    """The consent a course on ``pathway`` may start under: signed, counter-signed, not revoked, and its
    template not withdrawn. A consent signed on a version since superseded still covers the course; a
    withdrawn version does not."""
    return (
        SignedConsent.objects.current()
        .select_related("template")
        .filter(
            patient=patient,
            pathway=str(pathway),
            revoked_at__isnull=True,
            countersigned_at__isnull=False,
        )
        .exclude(template__status=ConsentTemplate.Status.WITHDRAWN)
        .order_by("-signed_at", "-id")
        .first()
    )


def rems_enrolled(patient: Patient) -> bool:
    """True when a SPRAVATO REMS patient enrolment is on record (required before the first esketamine dose)."""
    return RemsEnrollment.objects.current().filter(patient=patient).exists()


def current_templates() -> list[ConsentTemplate]:
    return list(ConsentTemplate.objects.filter(status=ConsentTemplate.Status.CURRENT).order_by("pathway"))


def intake_summary_for_chart(*, patient: Patient) -> dict[str, Any]:
    """Chart header and intake panel: 6 queries whatever the number of rows.

    1. the newest intake; 2. questionnaire responses; 3. candidacy reviews (+ decided_by);
    4. signed consents (+ template, counter-signer); 5. REMS enrolments; 6. current consent templates.
    """
    intake = Intake.objects.current().filter(patient=patient).order_by("-created_at", "-id").first()
    # Only the newest response per instrument is read (years of measurements stay in the database).
    responses = QuestionnaireResponse.objects.current().filter(patient=patient)
    newest = (
        responses.filter(instrument=OuterRef("instrument")).order_by("-completed_at", "-id").values("pk")[:1]
    )
    latest_scores = {
        r.instrument: r for r in responses.filter(pk=Subquery(newest)).order_by("-completed_at", "-id")
    }
    reviews = list(
        CandidacyReview.objects.current()
        .filter(patient=patient)
        .select_related("decided_by")
        .order_by("-decided_at", "-id")
    )
    latest_review: dict[str, CandidacyReview] = {}
    for review in reviews:
        latest_review.setdefault(review.pathway, review)
    consents = list(
        SignedConsent.objects.current()
        .filter(patient=patient)
        .select_related("template", "countersigned_by")
        .order_by("-signed_at", "-id")
    )
    rems = list(RemsEnrollment.objects.current().filter(patient=patient))
    templates = current_templates()
    suicidality = any("suicidality" in r.result.get("flags", []) for r in latest_scores.values())
    return {
        "intake": intake,
        "scores": latest_scores,
        "reviews": reviews,
        "latest_review": latest_review,
        "approved": [r for r in latest_review.values() if r.decision == CandidacyReview.Decision.APPROVE],
        "consents": consents,
        "rems": rems[0] if rems else None,
        "templates": templates,
        "suicidality": suicidality,
    }
