"""Medication interaction flags for ketamine and esketamine (clinical.md §9).

``interaction_flags(medications)`` maps each current medication to the interaction classes it belongs
to, with what the flag means and where that comes from. The class table and the benzodiazepine
equivalents are data; a clinic can pass its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from .facts import Medication


@dataclass(frozen=True)
class InteractionClass:
    """A drug class that interacts with ketamine: names (generic and common brands, lower case)."""

    id: str
    meaning: str
    source: str
    members: tuple[str, ...]


@dataclass(frozen=True)
class InteractionFlag:
    """One medication in one interaction class."""

    medication: str
    drug_class: str
    meaning: str
    source: str
    diazepam_equivalent_mg_per_day: float | None = None
    above_benzodiazepine_limit: bool | None = None


BENZODIAZEPINE = "benzodiazepine"
THEOPHYLLINE = "theophylline"

DEFAULT_INTERACTION_CLASSES: tuple[InteractionClass, ...] = (
    InteractionClass(
        BENZODIAZEPINE,
        "May blunt or shorten the antidepressant effect of ketamine; in one cohort more than 8 mg/day "
        "diazepam-equivalent separated non-responders. Adds sedation. Flagged on the SPRAVATO REMS form.",
        "Andrade 2017b; Frontiers Psychiatry 2020;11:844; Bakker 2021; SPRAVATO REMS PMF",
        (
            "alprazolam", "xanax", "clonazepam", "klonopin", "lorazepam", "ativan", "diazepam", "valium",
            "chlordiazepoxide", "librium", "oxazepam", "temazepam", "restoril", "clobazam", "onfi",
            "clorazepate", "tranxene", "triazolam", "halcion", "midazolam", "estazolam", "flurazepam",
        ),
    ),
    InteractionClass(
        "lamotrigine",
        "May lessen ketamine's adverse effects; 2 of 5 studies found its effects attenuated.",
        "Andrade 2017b; Bakker 2021",
        ("lamotrigine", "lamictal"),
    ),
    InteractionClass(
        "maoi",
        "Case reports with S-ketamine showed no relevant vital-sign changes, but MAOIs are flagged on "
        "the SPRAVATO REMS monitoring form: watch blood pressure.",
        "Bakker 2021; SPRAVATO REMS PMF",
        (
            "phenelzine", "nardil", "tranylcypromine", "parnate", "isocarboxazid", "marplan",
            "selegiline", "emsam", "moclobemide", "rasagiline",
        ),
    ),
    InteractionClass(
        "psychostimulant",
        "Can add to ketamine's rise in blood pressure; flagged on the SPRAVATO REMS monitoring form.",
        "SPRAVATO REMS PMF",
        (
            "amphetamine", "dextroamphetamine", "adderall", "lisdexamfetamine", "vyvanse",
            "methylphenidate", "ritalin", "concerta", "dexmethylphenidate", "focalin",
            "methamphetamine", "modafinil", "provigil", "armodafinil", "nuvigil",
        ),
    ),
    InteractionClass(
        "opioid",
        "Risk of deep sedation and respiratory depression; opioids may prolong recovery.",
        "KETALAR PI (2024)",
        (
            "morphine", "oxycodone", "oxycontin", "percocet", "hydrocodone", "norco", "hydromorphone",
            "dilaudid", "fentanyl", "methadone", "buprenorphine", "suboxone", "tramadol", "tapentadol",
            "codeine", "oxymorphone",
        ),
    ),
    InteractionClass(
        "cns_depressant",
        "Other sedatives (sedative-hypnotics, barbiturates, gabapentinoids, muscle relaxants): risk of "
        "deep sedation and respiratory depression. Non-benzodiazepine hypnotics are flagged on the "
        "SPRAVATO REMS form.",
        "KETALAR PI (2024); SPRAVATO REMS PMF",
        (
            "zolpidem", "ambien", "zaleplon", "eszopiclone", "lunesta", "zopiclone", "phenobarbital",
            "butalbital", "gabapentin", "neurontin", "pregabalin", "lyrica", "carisoprodol",
            "cyclobenzaprine", "baclofen", "oxybate",
        ),
    ),
    InteractionClass(
        THEOPHYLLINE,
        "Do not give with ketamine: together they lower the seizure threshold.",
        "KETALAR PI",
        ("theophylline", "aminophylline", "uniphyl"),
    ),
    InteractionClass(
        "sympathomimetic",
        "Sympathomimetics and vasopressin with ketamine: monitor vital signs closely.",
        "KETALAR PI",
        (
            "pseudoephedrine", "sudafed", "phenylephrine", "ephedrine", "epinephrine", "adrenaline",
            "norepinephrine", "noradrenaline", "vasopressin", "midodrine",
        ),
    ),
    InteractionClass(
        "antihypertensive",
        "Informational: record for reading blood pressure during sessions (a treated hypertensive "
        "patient's rise may be larger; manage a transient rise by hypertension guidance). Not listed in "
        "clinical.md §9; Ketaflow default, UNVERIFIED as an interaction.",
        "Yip 2022; CV-741-2020 (bigger BP rises with hypertension)",
        (
            "amlodipine", "nifedipine", "lisinopril", "enalapril", "ramipril", "losartan", "valsartan",
            "olmesartan", "irbesartan", "metoprolol", "atenolol", "propranolol", "carvedilol",
            "labetalol", "bisoprolol", "hydrochlorothiazide", "chlorthalidone", "clonidine",
            "hydralazine", "spironolactone",
        ),
    ),
)  # fmt: skip

# mg of each benzodiazepine taken as equal to 10 mg diazepam (Ashton manual 2002). Not in clinical.md:
# UNVERIFIED, and the conversion the Frontiers 2020 cohort used is unknown. Configurable.
DIAZEPAM_10_MG_EQUIVALENT: Mapping[str, float] = {
    "alprazolam": 0.5,
    "xanax": 0.5,
    "clonazepam": 0.5,
    "klonopin": 0.5,
    "lorazepam": 1.0,
    "ativan": 1.0,
    "diazepam": 10.0,
    "valium": 10.0,
    "chlordiazepoxide": 25.0,
    "librium": 25.0,
    "oxazepam": 20.0,
    "temazepam": 20.0,
    "restoril": 20.0,
    "clobazam": 20.0,
    "onfi": 20.0,
    "clorazepate": 15.0,
    "tranxene": 15.0,
    "triazolam": 0.5,
    "halcion": 0.5,
}

# Frontiers Psychiatry 2020;11:844: > 8 mg/day diazepam-equivalent separated non-responders.
BENZODIAZEPINE_LIMIT_MG_PER_DAY = 8.0


def _tokens(name: str) -> set[str]:
    return set(re.findall(r"[a-z]+", name.lower()))


def diazepam_equivalent_mg_per_day(
    medication: Medication, equivalents: Mapping[str, float] = DIAZEPAM_10_MG_EQUIVALENT
) -> float | None:
    """Daily diazepam-equivalent dose in mg, or None when the dose or the drug's factor is unknown."""
    if medication.diazepam_equivalent_mg_per_day is not None:
        return medication.diazepam_equivalent_mg_per_day
    if medication.daily_dose_mg is None:
        return None
    for token in _tokens(medication.name):
        if token in equivalents:
            return round(medication.daily_dose_mg * 10.0 / equivalents[token], 2)
    return None


def interaction_flags(
    medications: Iterable[Medication],
    *,
    classes: Iterable[InteractionClass] = DEFAULT_INTERACTION_CLASSES,
    equivalents: Mapping[str, float] = DIAZEPAM_10_MG_EQUIVALENT,
    benzodiazepine_limit_mg_per_day: float = BENZODIAZEPINE_LIMIT_MG_PER_DAY,
) -> list[InteractionFlag]:
    """Interaction flags for a medication list, in medication order then class order.

    A medication matches a class when any word of its name is a class member, or when its
    ``drug_class`` names the class. Benzodiazepine flags carry the diazepam-equivalent dose (mg/day)
    and whether it is above ``benzodiazepine_limit_mg_per_day`` (default 8).
    """
    class_list = tuple(classes)
    flags: list[InteractionFlag] = []
    for medication in medications:
        words = _tokens(medication.name)
        for drug_class in class_list:
            if medication.drug_class != drug_class.id and not words.intersection(drug_class.members):
                continue
            equivalent: float | None = None
            above: bool | None = None
            if drug_class.id == BENZODIAZEPINE:
                equivalent = diazepam_equivalent_mg_per_day(medication, equivalents)
                above = None if equivalent is None else equivalent > benzodiazepine_limit_mg_per_day
            flags.append(
                InteractionFlag(
                    medication=medication.name,
                    drug_class=drug_class.id,
                    meaning=drug_class.meaning,
                    source=drug_class.source,
                    diazepam_equivalent_mg_per_day=equivalent,
                    above_benzodiazepine_limit=above,
                )
            )
    return flags
