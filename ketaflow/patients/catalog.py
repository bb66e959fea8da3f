"""Curated diagnosis catalogue with codes (clinical.md §8). Codes marked UNVERIFIED in the reference are blank.

Pain conditions are the ones the candidacy rules know (``screening.PAIN_CONDITION_EVIDENCE``, ASRA 2018).
Check every code in the SNOMED / ICD-10-CM browsers before release (clinical.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Condition:
    key: str
    label: str
    icd10: str = ""
    snomed: str = ""
    depression: bool = False
    pain: bool = False
    needs_note: bool = False


# MDD: SNOMED 370143000 (clinical.md §8, "seen in many repos"); ICD-10-CM F32.x single episode, F33.x
# recurrent (clinical.md §8); the unspecified codes F32.9 / F33.9 are the default until the prescriber refines.
# TRD: no SNOMED or ICD-10-CM code found (clinical.md §8, UNVERIFIED) - recorded as a judgement with a note.
# CRPS: SNOMED 128200000 (BE eHealth ValueSet, clinical.md §8).
CONDITIONS: tuple[Condition, ...] = (
    Condition("mdd_single", "Major depressive disorder, single episode", "F32.9", "370143000", depression=True),
    Condition("mdd_recurrent", "Major depressive disorder, recurrent", "F33.9", "370143000", depression=True),
    Condition(
        "trd",
        "Treatment-resistant depression (clinical judgement)",
        depression=True,
        needs_note=True,
    ),
    Condition("crps", "Complex regional pain syndrome", snomed="128200000", pain=True),
    Condition("spinal_cord_injury_pain", "Spinal cord injury pain", pain=True),
    Condition("mixed_neuropathic_pain", "Neuropathic pain", pain=True),
    Condition("phantom_limb_pain", "Phantom limb pain", pain=True),
    Condition("postherpetic_neuralgia", "Postherpetic neuralgia", pain=True),
    Condition("fibromyalgia", "Fibromyalgia", pain=True),
    Condition("cancer_pain", "Cancer pain", pain=True),
    Condition("ischaemic_pain", "Ischaemic pain", pain=True),
    Condition("migraine", "Migraine", pain=True),
    Condition("low_back_pain", "Chronic low back pain", pain=True),
    Condition("other", "Other (describe in the note)", needs_note=True),
)  # fmt: skip

BY_KEY = {condition.key: condition for condition in CONDITIONS}
PAIN_CONDITIONS = tuple(c for c in CONDITIONS if c.pain)
