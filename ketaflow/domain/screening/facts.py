"""Facts about a prospective patient, as recorded at intake (frozen dataclasses, no Django).

Tri-state convention: ``None`` means *not recorded*. A rule that needs an unrecorded fact never passes
silently: the decision becomes "needs review" with a "not recorded" reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Literal

Severity = Literal["absolute", "relative"]
Candidate = Literal["yes", "needs review", "no"]
SubstanceUse = Literal["none", "in_remission", "active"]
LiverDisease = Literal["none", "mild", "moderate", "severe"]


class Pathway(StrEnum):
    """The three treatment pathways a clinic offers."""

    IV_KETAMINE_DEPRESSION = "iv_ketamine_depression"
    IV_KETAMINE_PAIN = "iv_ketamine_pain"
    ESKETAMINE_NASAL = "esketamine_nasal"


@dataclass(frozen=True)
class AntidepressantTrial:
    """One antidepressant tried by the patient.

    ``adequate``: given at an adequate dose for an adequate duration (the prescriber's judgement).
    ``failed``: the response was insufficient. ``current_episode``: tried in the present episode.
    """

    medication: str
    adequate: bool
    failed: bool
    current_episode: bool


@dataclass(frozen=True)
class Medication:
    """A current medication. ``drug_class`` forces a class when the name is not in the table.

    ``diazepam_equivalent_mg_per_day`` may be given directly; otherwise it is computed for known
    benzodiazepines from ``daily_dose_mg``.
    """

    name: str
    daily_dose_mg: float | None = None
    drug_class: str | None = None
    diazepam_equivalent_mg_per_day: float | None = None


@dataclass(frozen=True)
class CandidacyFacts:
    """Everything the candidacy rules look at. Every field defaults to "not recorded"."""

    age_years: int | None = None
    pregnant: bool | None = None
    breastfeeding: bool | None = None
    hypertension: bool | None = None
    hypertension_controlled: bool | None = None
    cardiovascular_disease: bool | None = None
    cardiovascular_disease_controlled: bool | None = None
    recent_mi_or_stroke: bool | None = None
    psychosis_history: bool | None = None
    mania_history: bool | None = None
    substance_use: SubstanceUse | None = None
    raised_intracranial_pressure: bool | None = None
    raised_intraocular_pressure: bool | None = None  # includes glaucoma
    liver_disease: LiverDisease | None = None
    recent_seizures: bool | None = None
    aneurysm_avm_or_intracerebral_haemorrhage: bool | None = None
    ketamine_hypersensitivity: bool | None = None
    depression_diagnosis: bool | None = None  # current major depressive episode
    antidepressant_trials: tuple[AntidepressantTrial, ...] | None = None
    pain_condition: str | None = None  # a key of PAIN_CONDITION_EVIDENCE, or "none"
    suicidality_screen_positive: bool | None = None
    medications: tuple[Medication, ...] | None = None


def adequate_failed_trials(trials: tuple[AntidepressantTrial, ...]) -> int:
    """Number of adequate, failed antidepressant trials in the current episode."""
    return sum(1 for trial in trials if trial.adequate and trial.failed and trial.current_episode)
