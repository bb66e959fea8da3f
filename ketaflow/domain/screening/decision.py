"""Candidacy decision: facts + pathway → yes / needs review / no, with reasons and contraindications."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from .facts import CandidacyFacts, Candidate, Pathway, Severity, adequate_failed_trials
from .interactions import InteractionFlag, interaction_flags
from .rules import DEFAULT_RULES, FINDINGS, ContraindicationRule, rules_for

# Error messages.
UNKNOWN_PATHWAY = "unknown pathway {pathway!r}; known pathways: {known}"
UNKNOWN_FINDING = "rule {rule!r} refers to unknown finding {finding!r}; known findings: {known}"


class ScreeningError(ValueError):
    """A malformed call (unknown pathway, a rule table naming an unknown finding). One line."""


# Reason texts (module constants so tests and UI assert them exactly).
SUICIDALITY_REVIEW = "Positive suicidality screen: same-day clinician review"
SUICIDALITY_NOT_RECORDED = "Suicidality screen not recorded"
AGE_NOT_RECORDED = "Age not recorded"
UNDER_MINIMUM_AGE = "Under {minimum} years: adult service only"
DIAGNOSIS_NOT_RECORDED = "Current depressive episode not recorded"
NO_DEPRESSION_DIAGNOSIS = "No current major depressive episode recorded"
TRIALS_NOT_RECORDED = "Antidepressant trials in the current episode not recorded"
TRD_NOT_MET = (
    "Treatment-resistant depression not shown: {count} adequate failed antidepressant trial(s) in the "
    "current episode, {minimum} needed"
)
TRD_MET = (
    "Treatment-resistant depression: {count} adequate failed antidepressant trials in the current episode"
)
PAIN_CONDITION_NOT_RECORDED = "Pain condition not recorded"
NO_PAIN_CONDITION = "No chronic pain condition recorded"
PAIN_EVIDENCE_MODERATE = "{condition}: moderate evidence for IV ketamine (ASRA 2018)"
PAIN_EVIDENCE_WEAK = "{condition}: weak or no evidence for IV ketamine beyond short-term relief (ASRA 2018)"
PAIN_EVIDENCE_UNKNOWN = "{condition}: no evidence grade in the ASRA 2018 guideline"
ABSOLUTE_CONTRAINDICATION = "Absolute contraindication: {description} ({source})"
RELATIVE_CONTRAINDICATION = "Relative contraindication: {description} ({source})"
FACT_NOT_RECORDED = "Not recorded: {description}"
MEDICATIONS_NOT_RECORDED = "Current medications not recorded"
BENZODIAZEPINE_ABOVE_LIMIT = (
    "{medication}: {equivalent:g} mg/day diazepam-equivalent, above {limit:g} mg (may blunt the response)"
)

# ASRA-2018 evidence by condition (clinical.md §2.1): CRPS moderate; the others weak or none.
PAIN_CONDITION_EVIDENCE: dict[str, str] = {
    "crps": "moderate",
    "spinal_cord_injury_pain": "weak",
    "mixed_neuropathic_pain": "weak",
    "phantom_limb_pain": "weak",
    "postherpetic_neuralgia": "weak",
    "fibromyalgia": "weak",
    "cancer_pain": "weak",
    "ischaemic_pain": "weak",
    "migraine": "weak",
    "low_back_pain": "weak",
}


@dataclass(frozen=True)
class CandidacySettings:
    """Clinic-configurable eligibility thresholds."""

    # Adult clinic; SPRAVATO is labelled for adults; APA-2017 addresses adults. Configurable.
    min_age_years: int = 18
    # TRD: at least 2 adequate failed antidepressant trials in the current episode (issue #5; the
    # usual TRD definition behind the SPRAVATO indication and the ketamine trials).
    trd_min_adequate_failed_trials: int = 2
    # Frontiers Psychiatry 2020;11:844: > 8 mg/day diazepam-equivalent separated non-responders.
    benzodiazepine_limit_mg_per_day: float = 8.0


@dataclass(frozen=True)
class ContraindicationHit:
    """A contraindication present in the facts."""

    rule: str
    severity: Severity
    source: str
    description: str


@dataclass(frozen=True)
class CandidacyDecision:
    """The outcome for one pathway. ``reasons`` explain the decision in order of weight."""

    pathway: Pathway
    candidate: Candidate
    reasons: list[str] = field(default_factory=list)
    contraindications: list[ContraindicationHit] = field(default_factory=list)
    interaction_flags: list[InteractionFlag] = field(default_factory=list)
    adequate_failed_trials: int | None = None

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (persist it with the facts and ``screening.VERSION``)."""
        data = asdict(self)
        data["pathway"] = str(self.pathway)
        return data


DEFAULT_SETTINGS = CandidacySettings()


def assess(
    facts: CandidacyFacts,
    pathway: Pathway | str,
    *,
    rules: Iterable[ContraindicationRule] = DEFAULT_RULES,
    settings: CandidacySettings = DEFAULT_SETTINGS,
) -> CandidacyDecision:
    """Decide candidacy for one pathway.

    "no" when an absolute contraindication is present or the indication is clearly not met (under the
    minimum age, no depressive episode, TRD criterion not met, no pain condition); "needs review" for
    relative contraindications, facts not recorded and weak evidence; otherwise "yes". A positive
    suicidality screen always gives "needs review" (same-day clinician review), never "no".
    """
    try:
        pathway = Pathway(pathway)
    except ValueError:
        known = ", ".join(str(p) for p in Pathway)
        raise ScreeningError(UNKNOWN_PATHWAY.format(pathway=pathway, known=known)) from None
    blocking: list[str] = []
    review: list[str] = []
    supporting: list[str] = []
    trials_count: int | None = None

    if facts.age_years is None:
        review.append(AGE_NOT_RECORDED)
    elif facts.age_years < settings.min_age_years:
        blocking.append(UNDER_MINIMUM_AGE.format(minimum=settings.min_age_years))

    if pathway in (Pathway.IV_KETAMINE_DEPRESSION, Pathway.ESKETAMINE_NASAL):
        trials_count = _depression_indication(facts, settings, blocking, review, supporting)
    else:
        _pain_indication(facts, blocking, review, supporting)

    hits: list[ContraindicationHit] = []
    for rule in rules_for(pathway, rules):
        finding = FINDINGS.get(rule.finding)
        if finding is None:
            known = ", ".join(FINDINGS)
            raise ScreeningError(UNKNOWN_FINDING.format(rule=rule.rule, finding=rule.finding, known=known))
        present = finding(facts)
        if present is None:
            review.append(FACT_NOT_RECORDED.format(description=rule.description))
        elif present:
            hits.append(ContraindicationHit(rule.rule, rule.severity, rule.source, rule.description))
            template = ABSOLUTE_CONTRAINDICATION if rule.severity == "absolute" else RELATIVE_CONTRAINDICATION
            target = blocking if rule.severity == "absolute" else review
            target.append(template.format(description=rule.description, source=rule.source))

    flags: list[InteractionFlag] = []
    if facts.medications is None:
        review.append(MEDICATIONS_NOT_RECORDED)
    else:
        flags = interaction_flags(
            facts.medications, benzodiazepine_limit_mg_per_day=settings.benzodiazepine_limit_mg_per_day
        )
        for flag in flags:
            if flag.above_benzodiazepine_limit and pathway != Pathway.IV_KETAMINE_PAIN:
                review.append(
                    BENZODIAZEPINE_ABOVE_LIMIT.format(
                        medication=flag.medication,
                        equivalent=flag.diazepam_equivalent_mg_per_day,
                        limit=settings.benzodiazepine_limit_mg_per_day,
                    )
                )

    suicidality: list[str] = []
    if facts.suicidality_screen_positive is None:
        review.append(SUICIDALITY_NOT_RECORDED)
    elif facts.suicidality_screen_positive:
        suicidality.append(SUICIDALITY_REVIEW)

    candidate: Candidate
    if suicidality:
        candidate = "needs review"
    elif blocking:
        candidate = "no"
    elif review:
        candidate = "needs review"
    else:
        candidate = "yes"
    return CandidacyDecision(
        pathway=pathway,
        candidate=candidate,
        reasons=suicidality + blocking + review + supporting,
        contraindications=hits,
        interaction_flags=flags,
        adequate_failed_trials=trials_count,
    )


def assess_all(
    facts: CandidacyFacts,
    *,
    rules: Iterable[ContraindicationRule] = DEFAULT_RULES,
    settings: CandidacySettings = DEFAULT_SETTINGS,
) -> dict[Pathway, CandidacyDecision]:
    """:func:`assess` for every pathway."""
    rule_table = tuple(rules)
    return {pathway: assess(facts, pathway, rules=rule_table, settings=settings) for pathway in Pathway}


def _depression_indication(
    facts: CandidacyFacts,
    settings: CandidacySettings,
    blocking: list[str],
    review: list[str],
    supporting: list[str],
) -> int | None:
    if facts.depression_diagnosis is None:
        review.append(DIAGNOSIS_NOT_RECORDED)
    elif not facts.depression_diagnosis:
        blocking.append(NO_DEPRESSION_DIAGNOSIS)
    if facts.antidepressant_trials is None:
        review.append(TRIALS_NOT_RECORDED)
        return None
    count = adequate_failed_trials(facts.antidepressant_trials)
    minimum = settings.trd_min_adequate_failed_trials
    if count < minimum:
        blocking.append(TRD_NOT_MET.format(count=count, minimum=minimum))
    else:
        supporting.append(TRD_MET.format(count=count))
    return count


def _pain_indication(
    facts: CandidacyFacts, blocking: list[str], review: list[str], supporting: list[str]
) -> None:
    condition = facts.pain_condition
    if condition is None:
        review.append(PAIN_CONDITION_NOT_RECORDED)
        return
    if condition == "none":
        blocking.append(NO_PAIN_CONDITION)
        return
    evidence = PAIN_CONDITION_EVIDENCE.get(condition)
    if evidence == "moderate":
        supporting.append(PAIN_EVIDENCE_MODERATE.format(condition=condition))
    elif evidence == "weak":
        review.append(PAIN_EVIDENCE_WEAK.format(condition=condition))
    else:
        review.append(PAIN_EVIDENCE_UNKNOWN.format(condition=condition))
