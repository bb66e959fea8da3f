"""C-SSRS screener: skip logic and risk levels (Columbia triage guidance, clinical.md §5.2)."""

import pytest

from ketaflow.domain.instruments import InstrumentError, score

N = None


@pytest.mark.parametrize(
    ("answers", "risk", "flags"),
    [
        ([0, 0, N, N, N, 0, N], "none", []),
        ([1, 0, N, N, N, 0, N], "low", ["suicidality"]),
        ([1, 1, 0, 0, 0, 0, N], "low", ["suicidality"]),
        ([1, 1, 1, 0, 0, 0, N], "moderate", ["suicidality"]),
        ([0, 0, N, N, N, 1, 0], "moderate", ["suicidality"]),
        ([1, 1, 1, 1, 0, 0, N], "high", ["suicidality", "urgent_review"]),
        ([1, 1, 0, 0, 1, 0, N], "high", ["suicidality", "urgent_review"]),
        ([0, 0, N, N, N, 1, 1], "high", ["suicidality", "urgent_review"]),
    ],
)
def test_cssrs_risk_levels_follow_the_columbia_triage_rules(answers, risk, flags):
    result = score("cssrs_screener", answers)
    assert (result.total, result.band, result.flags, result.complete) == (None, risk, flags, True)


def test_cssrs_no_to_question_2_skips_questions_3_to_5():
    result = score("cssrs_screener", [1, 0, N, N, N, 0, N])
    assert result.complete is True
    assert "missing_items" not in result.details


def test_cssrs_skipped_questions_may_be_recorded_as_no():
    assert score("cssrs_screener", [0, 0, 0, 0, 0, 0, 0]).band == "none"


def test_cssrs_yes_to_a_skipped_question_is_rejected_as_inconsistent():
    with pytest.raises(InstrumentError) as error:
        score("cssrs_screener", [0, 0, N, 1, N, 0, N])
    assert str(error.value) == (
        "cssrs_screener item 4 (intent): answered 'yes' although skip logic skips it (item 2 is 'no')"
    )


def test_cssrs_yes_to_question_2_requires_questions_3_to_5():
    result = score("cssrs_screener", [1, 1, N, N, N, 0, N])
    assert result.complete is False
    assert result.band is None
    assert result.details["missing_items"] == [3, 4, 5]
    assert result.details["risk_at_least"] == "low"
    assert result.flags == ["suicidality"]


def test_cssrs_high_risk_is_reported_even_when_other_answers_are_missing():
    result = score("cssrs_screener", [1, 1, N, 1, N, N, N])
    assert result.complete is False
    assert result.band == "high"
    assert "urgent_review" in result.flags


def test_cssrs_behaviour_without_the_3_month_answer_is_at_least_moderate_and_incomplete():
    result = score("cssrs_screener", [0, 0, N, N, N, 1, N])
    assert (result.band, result.complete) == (None, False)
    assert result.details["risk_at_least"] == "moderate"
    assert result.details["missing_items"] == [7]
