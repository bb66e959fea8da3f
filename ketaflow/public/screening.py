"""Public self-screening rules: which message to show, the red-flag list, the crisis trigger.

Pure Python (no database, no request): answers in, :class:`Outcome` out. It is not a diagnosis and never
decides for a clinician; it only says whether a consultation may be worth booking. Scores come from
``ketaflow.domain.instruments`` (PHQ-2, PHQ-9, pain NRS). Every threshold is in :class:`ScreeningRules`
so a clinic's medical director can change it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ketaflow.domain import instruments

# Bumped whenever a rule or message below changes; stored with every consented screening.
VERSION = "1.0.0"

DEPRESSION = "depression"
PAIN = "pain"
PATHS = (DEPRESSION, PAIN)

CONSULTATION_MAY_HELP = "A consultation may be worthwhile."
CONSULTATION_NOT_YET = "Ketamine is not usually the next step yet, but you can still talk to us."

BAD_PATH = "Choose depression or chronic pain."
BAD_ANSWERS = "Some answers are missing or not valid. Please check the form."


class ScreeningInputError(ValueError):
    """Answers that are missing, of the wrong type or out of range; ``str(error)`` is user-facing."""


@dataclass(frozen=True)
class ScreeningRules:
    """Clinic-configurable thresholds (defaults to be signed off by the medical director)."""

    # Treatment-resistant depression: at least 2 adequate antidepressant trials with limited benefit
    # (Sanacora 2017 APA consensus; McIntyre 2021 expert opinion), issue #4.
    min_antidepressant_trials: int = 2
    # Chronic pain means pain lasting 3 months or more (IASP definition, Treede et al., Pain 2019).
    min_pain_duration_key: str = "3_to_12_months"
    # Ketamine is considered after usual treatments: at least one other treatment tried (ASRA 2018).
    min_pain_treatments_tried: int = 1


DEFAULT_RULES = ScreeningRules()


@dataclass(frozen=True)
class RedFlag:
    key: str
    label: str
    explanation: str


# Relative contraindications named in issue #4; sources ASRA-2018 (2.2) and APA-2017 / Oxford Health (1.2).
RED_FLAGS = (
    RedFlag(
        "pregnancy",
        "You are pregnant, or could be",
        "Ketamine is generally avoided in pregnancy. A clinician will talk through timing and safer options.",
    ),
    RedFlag(
        "high_blood_pressure",
        "You have high blood pressure that is not under control",
        "Ketamine raises blood pressure for a short while during the infusion, so it needs to be well "
        "controlled first. Your own doctor can often help with that.",
    ),
    RedFlag(
        "psychosis",
        "You have had psychosis (for example hallucinations, or a diagnosis such as schizophrenia)",
        "Ketamine can cause unusual perceptions and may make psychosis worse, so a clinician needs to weigh "
        "this carefully.",
    ),
    RedFlag(
        "substance_misuse",
        "You are currently misusing alcohol or drugs",
        "Ketamine itself can be misused, and active substance use changes what is safe. Support for that "
        "usually comes first.",
    ),
    RedFlag(
        "heart_attack_or_stroke",
        "You recently had a heart attack or a stroke",
        "The short rise in blood pressure and heart rate during an infusion puts extra strain on the heart "
        "and blood vessels, so a recent heart attack or stroke needs a doctor's review first.",
    ),
)
RED_FLAGS_BY_KEY = {flag.key: flag for flag in RED_FLAGS}


@dataclass(frozen=True)
class CrisisResource:
    label: str
    number: str
    how: str


CRISIS_RESOURCES = (
    CrisisResource("988 Suicide & Crisis Lifeline", "988", "Call or text 988, any time, day or night."),
    CrisisResource("Emergency services", "911", "Call 911 if you are in danger right now."),
)

PAIN_CONDITIONS = (
    ("arthritis", "Arthritis"),
    ("neck_back", "Long-term neck or back pain"),
    ("crps", "Complex regional pain syndrome (CRPS)"),
    ("fibromyalgia", "Fibromyalgia"),
    ("headache", "Headaches or migraine"),
    ("neuropathy", "Neuropathy (nerve pain)"),
    ("post_herpetic_neuralgia", "Post-herpetic neuralgia (pain after shingles)"),
    ("trigeminal_neuralgia", "Trigeminal neuralgia (face pain)"),
    ("other", "Something else"),
)
PAIN_DURATIONS = (
    ("under_3_months", "Less than 3 months"),
    ("3_to_12_months", "3 to 12 months"),
    ("1_to_5_years", "1 to 5 years"),
    ("over_5_years", "More than 5 years"),
)
PAIN_TREATMENTS = (
    ("medicines", "Pain medicines"),
    ("physical_therapy", "Physical therapy or an exercise programme"),
    ("injections", "Injections or nerve blocks"),
    ("surgery", "Surgery"),
    ("psychological", "Talking therapy or a pain-management programme"),
    ("other", "Something else"),
)
_CONDITION_LABELS = dict(PAIN_CONDITIONS)
_DURATION_ORDER = [key for key, _ in PAIN_DURATIONS]
_TREATMENT_KEYS = {key for key, _ in PAIN_TREATMENTS}
PHQ9_ITEM_COUNT = 9


@dataclass(frozen=True)
class DepressionAnswers:
    antidepressant_trials: int
    phq9: tuple[int, ...]
    red_flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": DEPRESSION,
            "antidepressant_trials": self.antidepressant_trials,
            "phq9": list(self.phq9),
            "red_flags": list(self.red_flags),
        }


@dataclass(frozen=True)
class PainAnswers:
    condition: str
    duration: str
    treatments: tuple[str, ...]
    pain_now: int
    thoughts_of_self_harm: bool
    red_flags: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": PAIN,
            "condition": self.condition,
            "duration": self.duration,
            "treatments": list(self.treatments),
            "pain_now": self.pain_now,
            "thoughts_of_self_harm": self.thoughts_of_self_harm,
            "red_flags": list(self.red_flags),
        }


@dataclass(frozen=True)
class Outcome:
    path: str
    crisis: bool
    consultation_worthwhile: bool
    headline: str
    reasons: tuple[str, ...]
    red_flags: tuple[RedFlag, ...]
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    summary: str = ""
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def red_flag_keys(self) -> list[str]:
        return [flag.key for flag in self.red_flags]


def _red_flags(keys: tuple[str, ...]) -> tuple[RedFlag, ...]:
    unknown = [key for key in keys if key not in RED_FLAGS_BY_KEY]
    if unknown:
        raise ScreeningInputError(BAD_ANSWERS)
    return tuple(flag for flag in RED_FLAGS if flag.key in keys)


def _score(instrument_id: str, answers: list[int]) -> dict[str, Any]:
    try:
        result = instruments.score(instrument_id, answers)
    except instruments.InstrumentError as exc:
        raise ScreeningInputError(BAD_ANSWERS) from exc
    return {"total": result.total, "band": result.band}


def evaluate_depression(answers: DepressionAnswers, *, rules: ScreeningRules = DEFAULT_RULES) -> Outcome:
    """Depression path: PHQ-9 (and PHQ-2 from its first two items) and the antidepressant-trials rule."""
    trials = answers.antidepressant_trials
    if isinstance(trials, bool) or not isinstance(trials, int) or not 0 <= trials <= 50:
        raise ScreeningInputError(BAD_ANSWERS)
    phq9 = list(answers.phq9)
    if len(phq9) != PHQ9_ITEM_COUNT:
        raise ScreeningInputError(BAD_ANSWERS)
    scores = {"phq9": _score("phq9", phq9), "phq2": _score("phq2", phq9[:2])}
    flags = _red_flags(answers.red_flags)
    # PHQ-9 item 9 above 0 ("better off dead or hurting yourself"): crisis resources first (issue #4).
    crisis = phq9[8] > 0
    worthwhile = trials >= rules.min_antidepressant_trials
    reasons: list[str] = []
    if worthwhile:
        reasons.append(
            f"You have tried {trials} antidepressants without enough benefit. Ketamine and esketamine are "
            "meant for depression that has not eased after two or more."
        )
    else:
        reasons.append(
            f"Ketamine is usually considered after at least {rules.min_antidepressant_trials} antidepressants, "
            "each taken at a full dose for long enough, have not helped enough. Your own doctor can talk "
            "about the next step with you."
        )
    phq9_score = scores["phq9"]
    reasons.append(
        f"Your answers add up to {phq9_score['total']} out of 27 on the PHQ-9, which is in the "
        f"{phq9_score['band']} range."
    )
    headline = CONSULTATION_MAY_HELP if worthwhile else CONSULTATION_NOT_YET
    noun = "antidepressant" if trials == 1 else "antidepressants"
    summary = (
        f"Depression: {trials} {noun} tried; PHQ-9 {phq9_score['total']} ({phq9_score['band']}); "
        f"PHQ-2 {scores['phq2']['total']} ({scores['phq2']['band']}). {headline}"
    )
    return Outcome(
        DEPRESSION, crisis, worthwhile, headline, tuple(reasons), flags, scores, summary, answers.as_dict()
    )


def evaluate_pain(answers: PainAnswers, *, rules: ScreeningRules = DEFAULT_RULES) -> Outcome:
    """Pain path: condition, how long, treatments tried, pain now (0-10) and a direct self-harm question."""
    if answers.condition not in _CONDITION_LABELS or answers.duration not in _DURATION_ORDER:
        raise ScreeningInputError(BAD_ANSWERS)
    if any(treatment not in _TREATMENT_KEYS for treatment in answers.treatments):
        raise ScreeningInputError(BAD_ANSWERS)
    if not isinstance(answers.thoughts_of_self_harm, bool):
        raise ScreeningInputError(BAD_ANSWERS)
    pain_now = answers.pain_now
    if isinstance(pain_now, bool) or not isinstance(pain_now, int):
        raise ScreeningInputError(BAD_ANSWERS)
    scores = {"pain_now": _score("nrs", [pain_now])}
    flags = _red_flags(answers.red_flags)
    long_enough = _DURATION_ORDER.index(answers.duration) >= _DURATION_ORDER.index(
        rules.min_pain_duration_key
    )
    tried_enough = len(set(answers.treatments)) >= rules.min_pain_treatments_tried
    worthwhile = long_enough and tried_enough
    reasons: list[str] = []
    if not long_enough:
        reasons.append(
            "Pain is called chronic once it has lasted 3 months or more. Before then, your own doctor is the "
            "best first step."
        )
    if not tried_enough:
        reasons.append(
            "Ketamine is usually tried after other treatments, such as medicines, physical therapy or "
            "injections, have not helped enough."
        )
    if worthwhile:
        reasons.append(
            f"{_CONDITION_LABELS[answers.condition]} that has lasted this long and has not eased with other "
            "treatments is the kind of pain our doctors assess for ketamine infusions."
        )
    reasons.append(f"You rated your pain {pain_now} out of 10 right now ({scores['pain_now']['band']}).")
    headline = CONSULTATION_MAY_HELP if worthwhile else CONSULTATION_NOT_YET
    duration_label = dict(PAIN_DURATIONS)[answers.duration].lower()
    summary = (
        f"Pain: {_CONDITION_LABELS[answers.condition]}, {duration_label}; "
        f"{len(set(answers.treatments))} other treatment type(s) tried; pain now {pain_now}/10. {headline}"
    )
    return Outcome(
        PAIN,
        answers.thoughts_of_self_harm,
        worthwhile,
        headline,
        tuple(reasons),
        flags,
        scores,
        summary,
        answers.as_dict(),
    )


def _ints(values: Any) -> tuple[int, ...]:
    if not isinstance(values, list | tuple) or any(
        isinstance(v, bool) or not isinstance(v, int) for v in values
    ):
        raise ScreeningInputError(BAD_ANSWERS)
    return tuple(values)


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list | tuple) or any(not isinstance(v, str) for v in values):
        raise ScreeningInputError(BAD_ANSWERS)
    return tuple(values)


def evaluate(answers: Mapping[str, Any], *, rules: ScreeningRules = DEFAULT_RULES) -> Outcome:
    """Evaluate answers given as a plain dict (``Outcome.answers`` / ``as_dict()`` shape)."""
    path = answers.get("path") if isinstance(answers, Mapping) else None
    if path not in PATHS:
        raise ScreeningInputError(BAD_PATH)
    try:
        if path == DEPRESSION:
            return evaluate_depression(
                DepressionAnswers(
                    antidepressant_trials=answers["antidepressant_trials"],
                    phq9=_ints(answers["phq9"]),
                    red_flags=_strings(answers.get("red_flags", [])),
                ),
                rules=rules,
            )
        return evaluate_pain(
            PainAnswers(
                condition=answers["condition"],
                duration=answers["duration"],
                treatments=_strings(answers["treatments"]),
                pain_now=answers["pain_now"],
                thoughts_of_self_harm=answers.get("thoughts_of_self_harm", False),
                red_flags=_strings(answers.get("red_flags", [])),
            ),
            rules=rules,
        )
    except (KeyError, TypeError) as exc:
        raise ScreeningInputError(BAD_ANSWERS) from exc
