"""The intake's medical-history questions (patient wording) and how each maps onto the screening facts."""

from __future__ import annotations

from dataclasses import dataclass

YES_NO_UNSURE = (("yes", "Yes"), ("no", "No"), ("unsure", "Not sure"))
SUBSTANCE = (
    ("none", "No"),
    ("in_remission", "In the past, not now"),
    ("active", "Yes, currently"),
    ("unsure", "Not sure"),
)
LIVER = (
    ("none", "No"),
    ("mild", "Mild"),
    ("moderate", "Moderate"),
    ("severe", "Severe"),
    ("unsure", "Not sure"),
)


@dataclass(frozen=True)
class Question:
    key: str  # a CandidacyFacts field
    text: str
    choices: tuple[tuple[str, str], ...] = YES_NO_UNSURE
    # Asked only when the answer to this other question is "yes".
    only_if: str = ""


HISTORY_QUESTIONS: tuple[Question, ...] = (
    Question("hypertension", "Have you been told you have high blood pressure?"),
    Question("hypertension_controlled", "Is your blood pressure well controlled now?", only_if="hypertension"),
    Question("cardiovascular_disease", "Do you have heart or blood-vessel disease (for example angina, heart failure)?"),
    Question(
        "cardiovascular_disease_controlled",
        "Is that heart or blood-vessel disease stable and well controlled?",
        only_if="cardiovascular_disease",
    ),
    Question("recent_mi_or_stroke", "Have you had a heart attack or a stroke in the past 6 months?"),
    Question("psychosis_history", "Have you ever had psychosis (hearing or seeing things others did not, or fixed false beliefs)?"),
    Question("mania_history", "Have you ever had a manic episode (days of unusually high energy and little need for sleep)?"),
    Question("substance_use", "Do you use alcohol or drugs in a way that is hard to control?", SUBSTANCE),
    Question("pregnant", "Are you pregnant, or could you be?"),
    Question("breastfeeding", "Are you breast-feeding?"),
    Question("raised_intracranial_pressure", "Have you been told you have raised pressure inside the skull?"),
    Question("raised_intraocular_pressure", "Do you have glaucoma or raised pressure in the eye?"),
    Question("liver_disease", "Do you have liver disease? If so, how severe?", LIVER),
    Question("recent_seizures", "Have you had a seizure in the past year?"),
    Question(
        "aneurysm_avm_or_intracerebral_haemorrhage",
        "Have you ever had an aneurysm, an arteriovenous malformation (AVM) or bleeding in the brain?",
    ),
    Question("ketamine_hypersensitivity", "Have you ever had an allergic reaction to ketamine or esketamine?"),
)  # fmt: skip

PAIN_DURATIONS = (
    ("under_3_months", "Less than 3 months"),
    ("3_to_12_months", "3 to 12 months"),
    ("1_to_5_years", "1 to 5 years"),
    ("over_5_years", "More than 5 years"),
)
PAIN_TREATMENTS = (
    ("medication", "Pain medicines"),
    ("physical_therapy", "Physical therapy"),
    ("nerve_block", "Injections or nerve blocks"),
    ("surgery", "Surgery"),
    ("psychological", "Psychological therapy"),
    ("other", "Something else"),
)


def history_to_facts(history: dict[str, str]) -> dict[str, object]:
    """Map stored answers to CandidacyFacts keyword arguments; "unsure" and unanswered become None."""
    facts: dict[str, object] = {}
    for question in HISTORY_QUESTIONS:
        answer = history.get(question.key)
        if question.only_if and history.get(question.only_if) == "no":
            # Not asked because the condition is absent; the rule does not need it.
            facts[question.key] = None
            continue
        if question.choices is YES_NO_UNSURE:
            facts[question.key] = {"yes": True, "no": False}.get(answer or "")
        else:
            facts[question.key] = None if answer in (None, "", "unsure") else answer
    return facts


# What each questionnaire asks about, shown above its items (time frames as in the instruments' sources).
QUESTIONNAIRE_INTROS = {
    "phq9": "Over the last 2 weeks, how often have you been bothered by each of these problems?",
    "gad7": "Over the last 2 weeks, how often have you been bothered by each of these problems?",
    "cssrs_screener": "These questions are about thoughts of suicide. Answer honestly: they help us keep you safe.",
    "nrs": "Rate your pain from 0 (no pain) to 10 (the worst pain you can imagine).",
    "peg3": "Think about the past week.",
    "bpi_sf": "Rate your pain, and how much it has interfered with your life, from 0 to 10.",
}
