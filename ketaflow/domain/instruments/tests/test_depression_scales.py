"""PHQ-9, PHQ-2, GAD-7, MADRS and QIDS-SR16 reproduce their published scoring (clinical.md §5.1)."""

import pytest

from ketaflow.domain.instruments import (
    MADRS_BANDS_ALTERNATIVE,
    ScoringOptions,
    get_instrument,
    madrs_response,
    score,
)


def phq9_with_total(total, item9=0):
    """Nine answers summing to ``total`` with item 9 set as given."""
    answers = [0] * 9
    answers[8] = item9
    remaining = total - item9
    for i in range(8):
        answers[i] = min(3, remaining)
        remaining -= answers[i]
    assert remaining == 0
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "moderately severe"),
        (19, "moderately severe"),
        (20, "severe"),
        (27, "severe"),
    ],
)
def test_phq9_bands_follow_kroenke_2001_at_every_boundary(total, band):
    result = score("phq9", phq9_with_total(total, item9=min(total, 3) if total == 27 else 0))
    assert (result.total, result.band, result.complete) == (total, band, True)


def test_phq9_example_from_the_cli_brief_is_moderate_without_flags():
    result = score("phq9", [1, 2, 0, 3, 1, 0, 2, 1, 0])
    assert result.summary() == {
        "instrument": "phq9",
        "total": 10,
        "band": "moderate",
        "flags": [],
        "complete": True,
    }


@pytest.mark.parametrize("item9", [1, 2, 3])
def test_phq9_any_answer_above_zero_on_item_9_flags_suicidality_even_with_a_minimal_total(item9):
    result = score("phq9", [0, 0, 0, 0, 0, 0, 0, 0, item9])
    assert result.flags == ["suicidality"]
    assert result.band == "minimal"


def test_phq9_with_a_missing_item_has_no_total_but_keeps_the_item_9_flag():
    result = score("phq9", [3, 3, 3, None, 3, 3, 3, 3, 2])
    assert result.total is None
    assert result.band is None
    assert result.complete is False
    assert result.flags == ["suicidality"]
    assert result.details["missing_items"] == [4]


def test_phq9_carries_the_loinc_panel_and_total_codes():
    phq9 = get_instrument("phq9")
    assert (phq9.panel_loinc, phq9.total_loinc) == ("44249-1", "44261-6")
    assert len(phq9.items) == 9
    assert all(item.values == (0, 1, 2, 3) for item in phq9.items)


@pytest.mark.parametrize(
    ("answers", "band"), [([1, 1], "negative"), ([2, 1], "positive"), ([3, 3], "positive")]
)
def test_phq2_is_positive_from_3(answers, band):
    result = score("phq2", answers)
    assert (result.total, result.band) == (sum(answers), band)


def test_phq2_cut_off_is_configurable():
    assert score("phq2", [1, 1], options=ScoringOptions(phq2_positive_min=2)).band == "positive"


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "minimal"),
        (4, "minimal"),
        (5, "mild"),
        (9, "mild"),
        (10, "moderate"),
        (14, "moderate"),
        (15, "severe"),
        (21, "severe"),
    ],
)
def test_gad7_bands_follow_spitzer_2006(total, band):
    answers = [0] * 7
    remaining = total
    for i in range(7):
        answers[i] = min(3, remaining)
        remaining -= answers[i]
    result = score("gad7", answers)
    assert (result.total, result.band) == (total, band)
    assert result.details["probable_gad"] is (total >= 10)


def test_gad7_codes_are_the_panel_69737_5_never_69730_0_and_total_70274_6():
    gad7 = get_instrument("gad7")
    assert gad7.panel_loinc == "69737-5"
    assert gad7.total_loinc == "70274-6"
    assert [item.loinc for item in gad7.items] == [
        "69725-0",
        "68509-9",
        "69733-4",
        "69734-2",
        "69735-9",
        "69689-8",
        "69736-7",
    ]


def madrs_with_total(total):
    answers = [0] * 10
    remaining = total
    for i in range(10):
        answers[i] = min(6, remaining)
        remaining -= answers[i]
    return answers


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, "absent"),
        (6, "absent"),
        (7, "mild"),
        (19, "mild"),
        (20, "moderate"),
        (34, "moderate"),
        (35, "severe"),
        (60, "severe"),
    ],
)
def test_madrs_snaith_bands(total, band):
    result = score("madrs", madrs_with_total(total))
    assert (result.total, result.band) == (total, band)


def test_madrs_maximum_is_60():
    assert score("madrs", [6] * 10).total == 60


def test_madrs_alternative_cut_points_12_24_35_are_selectable():
    options = ScoringOptions(madrs_bands=MADRS_BANDS_ALTERNATIVE)
    assert score("madrs", madrs_with_total(11), options=options).band == "absent"
    assert score("madrs", madrs_with_total(12), options=options).band == "mild"
    assert score("madrs", madrs_with_total(24), options=options).band == "moderate"


@pytest.mark.parametrize(("total", "remission"), [(10, True), (11, False)])
def test_madrs_remission_defaults_to_10_or_below(total, remission):
    assert score("madrs", madrs_with_total(total)).details["remission"] is remission


def test_madrs_remission_cut_off_is_configurable_to_12():
    result = score("madrs", madrs_with_total(12), options=ScoringOptions(madrs_remission_max=12))
    assert result.details["remission"] is True


@pytest.mark.parametrize(("current", "response"), [(16, True), (17, False), (0, True), (32, False)])
def test_madrs_response_from_baseline_32_needs_16_or_below(current, response):
    assert madrs_response(32, current) is response


def qids(sleep=(0, 0, 0, 0), mood=0, appetite=(0, 0, 0, 0), rest=(0,) * 5, psychomotor=(0, 0)):
    """QIDS answers by domain: rest = items 10-14."""
    return [*sleep, mood, *appetite, *rest, *psychomotor]


def test_qids_sleep_domain_takes_the_highest_item_not_the_sum():
    result = score("qids_sr16", qids(sleep=(1, 3, 0, 2)))
    assert result.details["domains"]["sleep"] == 3
    assert result.total == 3


def test_qids_maximum_is_27_over_nine_domains():
    assert score("qids_sr16", [3] * 16).total == 27


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (5, "none"),
        (6, "mild"),
        (10, "mild"),
        (11, "moderate"),
        (15, "moderate"),
        (16, "severe"),
        (20, "severe"),
        (21, "very severe"),
    ],
)
def test_qids_bands_follow_rush_2003(total, band):
    # Nine domains at most 3 each: fill single-item domains and max domains in turn.
    values = [0] * 9
    remaining = total
    for i in range(9):
        values[i] = min(3, remaining)
        remaining -= values[i]
    sleep, mood, appetite, conc, view, suicide, interest, energy, psychomotor = values
    answers = [sleep, 0, 0, 0, mood, appetite, 0, 0, 0, conc, view, suicide, interest, energy, psychomotor, 0]
    result = score("qids_sr16", answers)
    assert (result.total, result.band) == (total, band)


def test_qids_appetite_and_weight_items_may_be_answered_one_of_each_pair():
    answers = qids(appetite=(2, None, None, 1))
    result = score("qids_sr16", answers)
    assert result.complete is True
    assert result.details["domains"]["appetite_weight"] == 2


def test_qids_with_neither_weight_item_is_incomplete():
    result = score("qids_sr16", qids(appetite=(2, None, None, None)))
    assert (result.total, result.complete) == (None, False)
    assert result.details["missing_items"] == [8, 9]


def test_qids_thoughts_of_death_item_flags_suicidality():
    assert score("qids_sr16", qids(rest=(0, 0, 1, 0, 0))).flags == ["suicidality"]


def test_qids_remission_is_5_or_below():
    assert score("qids_sr16", qids(mood=3, rest=(2, 0, 0, 0, 0))).details["remission"] is True
    assert score("qids_sr16", qids(mood=3, rest=(3, 0, 0, 0, 0))).details["remission"] is False
