"""The registry, malformed answers and the range invariant of every instrument."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.instruments import (
    InstrumentError,
    get_instrument,
    instrument_ids,
    score,
)

EXPECTED_IDS = [
    "phq9",
    "phq2",
    "gad7",
    "madrs",
    "qids_sr16",
    "cssrs_screener",
    "cadss23",
    "cadss6",
    "moaas",
    "rass",
    "nrs",
    "peg3",
    "bpi_sf",
    "odi",
    "aldrete",
    "padss",
]


def test_registry_lists_every_instrument_of_issue_5():
    assert instrument_ids() == EXPECTED_IDS


@pytest.mark.parametrize("instrument_id", EXPECTED_IDS)
def test_every_definition_states_its_rules_source_and_licence(instrument_id):
    instrument = get_instrument(instrument_id)
    assert instrument.id == instrument_id
    assert instrument.scoring_rule and instrument.partial_rule and instrument.source and instrument.licence
    assert all(item.choices for item in instrument.items)


def test_unknown_instrument_is_a_one_line_error():
    with pytest.raises(InstrumentError) as error:
        score("beck", [1])
    assert str(error.value).startswith("unknown instrument 'beck'; known instruments: phq9, phq2")
    assert "\n" not in str(error.value)


def test_wrong_number_of_answers_is_rejected():
    with pytest.raises(InstrumentError) as error:
        score("phq9", [1, 2, 3])
    assert str(error.value) == "phq9 expects 9 answers, got 3"


def test_value_out_of_range_is_rejected():
    with pytest.raises(InstrumentError) as error:
        score("gad7", [0, 0, 0, 4, 0, 0, 0])
    assert str(error.value) == "gad7 item 4 (relaxing): answer 4 is not one of 0..3"


def test_non_integer_answer_is_rejected():
    with pytest.raises(InstrumentError) as error:
        score("nrs", [7.5])
    assert str(error.value) == "nrs item 1 (pain): answer 7.5 is not a whole number"


def test_boolean_is_not_accepted_as_an_answer():
    with pytest.raises(InstrumentError):
        score("cssrs_screener", [True, False, None, None, None, False, None])


@st.composite
def instrument_and_answers(draw):
    instrument = get_instrument(draw(st.sampled_from(EXPECTED_IDS)))
    answers = [
        draw(st.one_of(st.none(), st.sampled_from(item.values)))
        if draw(st.booleans())
        else draw(st.sampled_from(item.values))
        for item in instrument.items
    ]
    return instrument, answers


@given(instrument_and_answers())
def test_totals_are_always_within_the_instrument_range_or_none(case):
    instrument, answers = case
    try:
        result = score(instrument.id, answers)
    except InstrumentError:
        # Only the C-SSRS rejects combinations (a 'yes' to a skipped question).
        assert instrument.id == "cssrs_screener"
        return
    assert result.instrument == instrument.id
    if result.total is not None:
        low, high = instrument.total_range
        assert low <= result.total <= high
        if result.complete:
            assert result.band is not None or not instrument.bands
    if None not in answers and instrument.id not in ("cssrs_screener", "qids_sr16"):
        assert result.complete is True
    if result.complete and instrument.total_range is not None:
        assert result.total is not None
    for key in ("severity", "interference"):
        value = result.details.get(key)
        assert value is None or 0 <= value <= 10


def test_answers_that_are_not_a_list_are_rejected():
    with pytest.raises(InstrumentError) as error:
        score("phq9", "123456789")
    assert str(error.value) == "phq9 answers must be a list with one entry per item, got str"


def test_a_replacement_definition_must_match_the_instrument():
    with pytest.raises(InstrumentError) as error:
        score("padss", [2] * 5, definition=get_instrument("aldrete"))
    assert str(error.value) == "definition 'aldrete' with 5 items cannot replace 'padss'"
