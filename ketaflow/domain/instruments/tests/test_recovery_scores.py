"""Modified Aldrete and PADSS (clinical.md §6)."""

import pytest

from ketaflow.domain.instruments import ScoringOptions, aldrete_definition, get_instrument, score


@pytest.mark.parametrize("instrument_id", ["aldrete", "padss"])
def test_five_items_scored_0_to_2_with_a_maximum_of_10(instrument_id):
    instrument = get_instrument(instrument_id)
    assert len(instrument.items) == 5
    assert all(sorted(item.values) == [0, 1, 2] for item in instrument.items)
    assert score(instrument_id, [2] * 5).total == 10


@pytest.mark.parametrize("instrument_id", ["aldrete", "padss"])
@pytest.mark.parametrize(("answers", "ready"), [([2, 2, 2, 2, 1], True), ([2, 2, 2, 1, 1], False)])
def test_discharge_eligible_from_9(instrument_id, answers, ready):
    result = score(instrument_id, answers)
    assert result.details["discharge_ready"] is ready
    assert result.band == ("ready for discharge" if ready else "not ready")


def test_discharge_threshold_is_configurable():
    assert score("aldrete", [2, 2, 2, 1, 1], options=ScoringOptions(aldrete_discharge_min=8)).details[
        "discharge_ready"
    ]


def test_aldrete_oxygen_item_scores_2_for_spo2_above_92_on_room_air():
    oxygen = get_instrument("aldrete").items[4]
    two = next(choice for choice in oxygen.choices if choice.value == 2)
    assert "92%" in two.label and "room air" in two.label


def test_aldrete_circulation_basis_can_be_percent():
    percent = aldrete_definition("percent")
    assert "%" in percent.items[2].choices[0].label
    assert score("aldrete", [2, 2, 1, 2, 2], definition=percent).total == 9


def test_missing_discharge_item_is_incomplete():
    assert score("padss", [2, 2, None, 2, 2]).complete is False
