"""Self-screening rules (pure, no database): the ≥2 trials rule, PHQ scores, crisis trigger, red flags."""

from __future__ import annotations

import pytest

from ketaflow.public import screening
from ketaflow.public.screening import (
    CONSULTATION_MAY_HELP,
    CONSULTATION_NOT_YET,
    DepressionAnswers,
    PainAnswers,
    ScreeningInputError,
    evaluate,
    evaluate_depression,
    evaluate_pain,
)

CALM_PHQ9 = (1, 1, 1, 1, 0, 1, 1, 0, 0)  # total 6, item 9 = 0


def depression(trials: int = 2, phq9: tuple[int, ...] = CALM_PHQ9, red_flags: tuple[str, ...] = ()):
    return DepressionAnswers(antidepressant_trials=trials, phq9=phq9, red_flags=red_flags)


def pain(**overrides):
    values = {
        "condition": "crps",
        "duration": "1_to_5_years",
        "treatments": ("medicines", "physical_therapy"),
        "pain_now": 7,
        "thoughts_of_self_harm": False,
        "red_flags": (),
    }
    values.update(overrides)
    return PainAnswers(**values)


# --- depression path: the two-trials rule -----------------------------------------------------------


@pytest.mark.parametrize(("trials", "worthwhile"), [(0, False), (1, False), (2, True), (3, True), (6, True)])
def test_two_or_more_adequate_antidepressant_trials_make_a_consultation_worthwhile(
    trials: int, worthwhile: bool
) -> None:
    outcome = evaluate_depression(depression(trials=trials))
    assert outcome.consultation_worthwhile is worthwhile
    assert outcome.headline == (CONSULTATION_MAY_HELP if worthwhile else CONSULTATION_NOT_YET)


def test_the_trial_threshold_is_configurable() -> None:
    rules = screening.ScreeningRules(min_antidepressant_trials=3)
    assert evaluate_depression(depression(trials=2), rules=rules).consultation_worthwhile is False
    assert evaluate_depression(depression(trials=3), rules=rules).consultation_worthwhile is True


def test_depression_outcome_reports_phq2_and_phq9_from_the_same_answers() -> None:
    outcome = evaluate_depression(depression(phq9=(3, 2, 2, 2, 1, 1, 1, 1, 0)))
    assert outcome.scores["phq9"] == {"total": 13, "band": "moderate"}
    assert outcome.scores["phq2"] == {"total": 5, "band": "positive"}


# --- crisis resources --------------------------------------------------------------------------------


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_any_answer_above_zero_on_phq9_item_9_triggers_crisis_resources(item9: int) -> None:
    outcome = evaluate_depression(depression(phq9=(0, 0, 0, 0, 0, 0, 0, 0, item9)))
    assert outcome.crisis is True


def test_phq9_item_9_at_zero_does_not_trigger_crisis_resources() -> None:
    assert evaluate_depression(depression(phq9=(3, 3, 3, 3, 3, 3, 3, 3, 0))).crisis is False


def test_crisis_applies_even_when_the_trial_rule_is_not_met() -> None:
    outcome = evaluate_depression(depression(trials=0, phq9=(0, 0, 0, 0, 0, 0, 0, 0, 1)))
    assert outcome.crisis is True
    assert outcome.consultation_worthwhile is False


def test_a_yes_to_the_direct_question_on_the_pain_path_triggers_crisis_resources() -> None:
    assert evaluate_pain(pain(thoughts_of_self_harm=True)).crisis is True
    assert evaluate_pain(pain(thoughts_of_self_harm=False)).crisis is False


def test_crisis_resources_name_988_and_911() -> None:
    numbers = {resource.number for resource in screening.CRISIS_RESOURCES}
    assert {"988", "911"} <= numbers


# --- pain path ---------------------------------------------------------------------------------------


def test_long_lasting_pain_after_other_treatments_makes_a_consultation_worthwhile() -> None:
    assert evaluate_pain(pain()).consultation_worthwhile is True


def test_pain_shorter_than_three_months_is_not_yet_for_ketamine() -> None:
    outcome = evaluate_pain(pain(duration="under_3_months"))
    assert outcome.consultation_worthwhile is False
    assert any("3 months" in reason for reason in outcome.reasons)


def test_pain_with_no_other_treatment_tried_is_not_yet_for_ketamine() -> None:
    outcome = evaluate_pain(pain(treatments=()))
    assert outcome.consultation_worthwhile is False


def test_pain_score_is_reported() -> None:
    assert evaluate_pain(pain(pain_now=4)).scores["pain_now"] == {"total": 4, "band": "mild"}


# --- red flags: explained, never gating --------------------------------------------------------------


def test_red_flags_are_explained_but_do_not_block_a_consultation() -> None:
    outcome = evaluate_depression(depression(trials=3, red_flags=("pregnancy", "psychosis")))
    assert outcome.consultation_worthwhile is True
    assert [flag.key for flag in outcome.red_flags] == ["pregnancy", "psychosis"]
    assert all(flag.explanation for flag in outcome.red_flags)


def test_the_five_red_flags_from_the_issue_are_listed() -> None:
    assert [flag.key for flag in screening.RED_FLAGS] == [
        "pregnancy",
        "high_blood_pressure",
        "psychosis",
        "substance_misuse",
        "heart_attack_or_stroke",
    ]


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answers",
    [
        {"path": "depression", "antidepressant_trials": -1, "phq9": list(CALM_PHQ9), "red_flags": []},
        {"path": "depression", "antidepressant_trials": 2, "phq9": [0] * 8, "red_flags": []},
        {"path": "depression", "antidepressant_trials": 2, "phq9": [4] * 9, "red_flags": []},
        {"path": "depression", "antidepressant_trials": 2, "phq9": list(CALM_PHQ9), "red_flags": ["x"]},
        {"path": "pain", "condition": "crps", "duration": "1_to_5_years", "treatments": [], "pain_now": 11},
        {"path": "pain", "condition": "gout?", "duration": "1_to_5_years", "treatments": [], "pain_now": 3},
        {"path": "astrology"},
    ],
)
def test_malformed_answers_are_refused(answers: dict) -> None:
    with pytest.raises(ScreeningInputError):
        evaluate(answers)


def test_answers_round_trip_through_a_plain_dict() -> None:
    original = depression(trials=4, red_flags=("pregnancy",))
    outcome = evaluate(original.as_dict())
    assert outcome == evaluate_depression(original)
    assert outcome.answers == original.as_dict()


def test_summary_is_one_readable_line() -> None:
    outcome = evaluate_depression(depression(trials=3, phq9=(3, 2, 2, 2, 1, 1, 1, 1, 0)))
    assert outcome.summary == (
        "Depression: 3 antidepressants tried; PHQ-9 13 (moderate); PHQ-2 5 (positive). "
        "A consultation may be worthwhile."
    )
