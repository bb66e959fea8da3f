"""NRS, PEG-3, BPI short form and ODI (clinical.md §5.3)."""

import pytest

from ketaflow.domain.instruments import Band, ScoringOptions, odi_index, score

N = None


@pytest.mark.parametrize(
    ("rating", "band"),
    [(0, "mild"), (4, "mild"), (5, "moderate"), (6, "moderate"), (7, "severe"), (10, "severe")],
)
def test_nrs_uses_the_eppoc_bands_by_default(rating, band):
    assert score("nrs", [rating]).band == band


def test_nrs_bands_are_configurable():
    bands = (Band("none", 0, 0), Band("mild", 1, 3), Band("moderate", 4, 6), Band("severe", 7, 10))
    assert score("nrs", [4], options=ScoringOptions(nrs_bands=bands)).band == "moderate"


def test_peg_is_the_mean_of_its_three_items():
    assert score("peg3", [6, 7, 8]).total == 7.0


def test_peg_mean_is_rounded_to_two_decimals():
    assert score("peg3", [1, 1, 2]).total == 1.33


def test_peg_with_a_missing_item_is_not_scored():
    assert score("peg3", [6, N, 8]).total is None


def test_bpi_gives_severity_and_interference_means_and_no_total():
    result = score("bpi_sf", [8, 2, 5, 5] + [4, 6, 2, 8, 0, 10, 5])
    assert result.total is None
    assert result.complete is True
    assert result.details["severity"] == 5.0
    assert result.details["interference"] == 5.0
    assert result.details["severity_band"] == "moderate"


def test_bpi_interference_is_the_mean_of_answered_items_when_4_of_7_are_answered():
    result = score("bpi_sf", [8, 2, 5, 5] + [4, 6, 2, 8, N, N, N])
    assert result.details["interference_valid"] is True
    assert result.details["interference"] == 5.0
    assert result.details["prorated"] is True
    assert result.complete is False


def test_bpi_interference_is_invalid_with_fewer_than_4_of_7_items():
    result = score("bpi_sf", [8, 2, 5, 5] + [4, 6, 2, N, N, N, N])
    assert result.details["interference_valid"] is False
    assert result.details["interference"] is None
    assert result.details["severity"] == 5.0


def test_bpi_severity_needs_all_four_items():
    result = score("bpi_sf", [8, N, 5, 5] + [0] * 7)
    assert result.details["severity"] is None
    assert result.details["interference"] == 0.0


def test_odi_raw_16_of_10_sections_is_32_percent_moderate():
    result = score("odi", [2, 2, 2, 2, 2, 2, 2, 1, 1, 0])
    assert (result.total, result.band, result.complete) == (32.0, "moderate", True)


def test_odi_raw_16_of_9_sections_is_prorated_to_35_6_percent():
    result = score("odi", [2, 2, 2, 2, 2, 2, 2, 1, 1, N])
    assert result.total == 35.6
    assert result.complete is False
    assert result.details["prorated"] is True
    assert result.details["sections_answered"] == 9


def test_odi_with_two_sections_missing_is_not_scored_by_default():
    result = score("odi", [2, 2, 2, 2, 2, 2, 2, 1, N, N])
    assert result.total is None


def test_odi_allowed_missing_sections_is_configurable():
    result = score("odi", [2, 2, 2, 2, 2, 2, 2, 1, N, N], options=ScoringOptions(odi_max_missing_sections=2))
    assert result.total == 37.5


@pytest.mark.parametrize(
    ("raw", "band"),
    [
        (10, "minimal"),
        (11, "moderate"),
        (20, "moderate"),
        (21, "severe"),
        (30, "severe"),
        (31, "crippled"),
        (40, "crippled"),
        (41, "bed-bound"),
        (50, "bed-bound"),
    ],
)
def test_odi_bands_at_their_boundaries(raw, band):
    answers = [0] * 10
    remaining = raw
    for i in range(10):
        answers[i] = min(5, remaining)
        remaining -= answers[i]
    result = score("odi", answers)
    assert result.total == raw * 2
    assert result.band == band


def test_odi_rounding_is_half_up():
    assert odi_index(1, 8) == 2.5
    assert odi_index(16, 9) == 35.6
