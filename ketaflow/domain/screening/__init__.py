"""Candidacy and contraindication rules: facts in, decision and reasons out (pure Python).

Public entry points::

    from ketaflow.domain import screening
    screening.assess(facts, screening.Pathway.IV_KETAMINE_DEPRESSION)   # CandidacyDecision
    screening.assess_all(facts)                                          # {Pathway: CandidacyDecision}
    screening.interaction_flags(medications)                             # [InteractionFlag]

Never imports Django or any Ketaflow app (import-linter contract in pyproject.toml).
"""

from .decision import (
    DEFAULT_SETTINGS,
    PAIN_CONDITION_EVIDENCE,
    SUICIDALITY_REVIEW,
    UNKNOWN_FINDING,
    UNKNOWN_PATHWAY,
    CandidacyDecision,
    CandidacySettings,
    ContraindicationHit,
    ScreeningError,
    assess,
    assess_all,
)
from .facts import (
    AntidepressantTrial,
    CandidacyFacts,
    Candidate,
    Medication,
    Pathway,
    Severity,
    adequate_failed_trials,
)
from .interactions import (
    DEFAULT_INTERACTION_CLASSES,
    DIAZEPAM_10_MG_EQUIVALENT,
    InteractionClass,
    InteractionFlag,
    diazepam_equivalent_mg_per_day,
    interaction_flags,
)
from .rules import DEFAULT_RULES, FINDINGS, ContraindicationRule, override_rules, rules_for

# Bumped whenever a rule, source or default threshold changes; persisted with every decision.
VERSION = "1.0.0"

__all__ = [
    "DEFAULT_INTERACTION_CLASSES",
    "DEFAULT_RULES",
    "DEFAULT_SETTINGS",
    "DIAZEPAM_10_MG_EQUIVALENT",
    "FINDINGS",
    "PAIN_CONDITION_EVIDENCE",
    "SUICIDALITY_REVIEW",
    "UNKNOWN_FINDING",
    "UNKNOWN_PATHWAY",
    "VERSION",
    "AntidepressantTrial",
    "Candidate",
    "CandidacyDecision",
    "CandidacyFacts",
    "CandidacySettings",
    "ContraindicationHit",
    "ContraindicationRule",
    "InteractionClass",
    "InteractionFlag",
    "Medication",
    "Pathway",
    "ScreeningError",
    "Severity",
    "adequate_failed_trials",
    "assess",
    "assess_all",
    "diazepam_equivalent_mg_per_day",
    "interaction_flags",
    "override_rules",
    "rules_for",
]
