"""CADSS-23, CADSS-6, MOAA/S and RASS (clinical.md §5.2)."""

import pytest

from ketaflow.domain.instruments import ScoringOptions, get_instrument, score


def test_cadss23_total_runs_from_0_to_92():
    assert score("cadss23", [0] * 23).total == 0
    assert score("cadss23", [4] * 23).total == 92


def test_cadss23_has_no_bands_and_no_subscales_by_default():
    result = score("cadss23", [1] * 23)
    assert (result.total, result.band, result.details) == (23, None, {})


def test_cadss23_subscales_are_computed_only_from_a_configured_allocation():
    options = ScoringOptions(cadss23_subscales=(("amnesia", (1, 2)), ("derealisation", (3,))))
    answers = [2, 1, 4] + [0] * 20
    assert score("cadss23", answers, options=options).details["subscales"] == {
        "amnesia": 3,
        "derealisation": 4,
    }


def test_cadss6_uses_items_1_2_6_7_15_22_and_totals_0_to_24():
    cadss6 = get_instrument("cadss6")
    assert [item.id for item in cadss6.items] == [
        "item_1",
        "item_2",
        "item_6",
        "item_7",
        "item_15",
        "item_22",
    ]
    assert score("cadss6", [4] * 6).total == 24


def test_cadss_missing_item_is_incomplete():
    result = score("cadss6", [1, 1, None, 1, 1, 1])
    assert (result.total, result.complete, result.details["missing_items"]) == (None, False, [3])


@pytest.mark.parametrize(
    ("level", "band"),
    [
        (5, "alert"),
        (4, "lethargic"),
        (3, "responds_to_loud_voice"),
        (2, "responds_to_prodding"),
        (1, "responds_to_pain"),
        (0, "unresponsive"),
    ],
)
def test_moaas_levels(level, band):
    result = score("moaas", [level])
    assert (result.total, result.band) == (level, band)


def test_moaas_0_is_loss_of_consciousness():
    assert score("moaas", [0]).flags == ["loss_of_consciousness"]
    assert score("moaas", [1]).flags == []


@pytest.mark.parametrize(
    ("level", "band"), [(4, "combative"), (0, "alert_and_calm"), (-1, "drowsy"), (-5, "unarousable")]
)
def test_rass_runs_from_minus_5_to_plus_4(level, band):
    assert score("rass", [level]).band == band


def test_rass_unanswered_is_incomplete():
    assert score("rass", [None]).complete is False
