"""Discharge criteria: recovery score, minimum recovery time, escort (table-driven)."""

from dataclasses import replace

import pytest

from ketaflow.domain.monitoring import (
    DEFAULT_DISCHARGE_CRITERIA,
    DischargeCriteria,
    DischargeFacts,
    discharge,
    evaluate_discharge,
    recovery_score_total,
)
from ketaflow.domain.monitoring.tests.helpers import at

IV_DONE = DischargeFacts(now=at(100), recovery_score=10, escort_present=True, infusion_ended_at=at(40))
ESKETAMINE_DONE = DischargeFacts(
    now=at(125), recovery_score=9, escort_present=True, first_esketamine_device_at=at(0)
)

CASES = [
    ("IV, all met", IV_DONE, True, ()),
    ("IV, score 9 is enough", replace(IV_DONE, recovery_score=9), True, ()),
    (
        "IV, score 8",
        replace(IV_DONE, recovery_score=8),
        False,
        (discharge.SCORE_TOO_LOW.format(score=8, minimum=9),),
    ),
    ("IV, no score", replace(IV_DONE, recovery_score=None), False, (discharge.SCORE_MISSING,)),
    ("IV, no escort", replace(IV_DONE, escort_present=False), False, (discharge.NO_ESCORT,)),
    (
        "IV, 20 min after the end",
        replace(IV_DONE, now=at(60)),
        False,
        (discharge.TOO_EARLY.format(minutes=30, since="the end of the infusion", remaining=10),),
    ),
    ("IV, exactly 30 min", replace(IV_DONE, now=at(70)), True, ()),
    ("esketamine, 125 min", ESKETAMINE_DONE, True, ()),
    ("esketamine, exactly 120 min", replace(ESKETAMINE_DONE, now=at(120)), True, ()),
    (
        "esketamine, 119 min",
        replace(ESKETAMINE_DONE, now=at(119)),
        False,
        (discharge.TOO_EARLY.format(minutes=120, since="the first esketamine device", remaining=1),),
    ),
    (
        "no dose time",
        replace(IV_DONE, infusion_ended_at=None),
        False,
        (discharge.NO_TREATMENT_TIME,),
    ),
    (
        "everything wrong at once",
        replace(IV_DONE, now=at(50), recovery_score=6, escort_present=False),
        False,
        (
            discharge.SCORE_TOO_LOW.format(score=6, minimum=9),
            discharge.TOO_EARLY.format(minutes=30, since="the end of the infusion", remaining=20),
            discharge.NO_ESCORT,
        ),
    ),
]


@pytest.mark.parametrize(("name", "facts", "allowed", "reasons"), CASES, ids=[c[0] for c in CASES])
def test_discharge(name: str, facts: DischargeFacts, allowed: bool, reasons: tuple[str, ...]) -> None:
    decision = evaluate_discharge(facts)
    assert decision.allowed is allowed
    assert decision.reasons == reasons


def test_earliest_discharge_time_is_given() -> None:
    decision = evaluate_discharge(replace(ESKETAMINE_DONE, now=at(60)))
    assert decision.earliest_at == at(120)


def test_criteria_are_configurable() -> None:
    strict = DischargeCriteria(min_score=10, min_minutes_after_infusion_end=60.0)
    decision = evaluate_discharge(replace(IV_DONE, recovery_score=9), strict)
    assert not decision.allowed
    assert DEFAULT_DISCHARGE_CRITERIA.min_score == 9


def test_an_out_of_range_score_is_refused() -> None:
    decision = evaluate_discharge(replace(IV_DONE, recovery_score=12))
    assert decision.reasons == (discharge.SCORE_OUT_OF_RANGE.format(score=12, maximum=10),)


@pytest.mark.parametrize(
    ("items", "total"), [((2, 2, 2, 2, 2), 10), ((2, 2, 2, 2, 1), 9), ((0, 0, 0, 0, 0), 0)]
)
def test_recovery_score_total(items: tuple[int, ...], total: int) -> None:
    assert recovery_score_total(items) == total


@pytest.mark.parametrize("items", [(2, 2, 2, 2), (3, 2, 2, 2, 2), (2, 2, 2, 2, -1)])
def test_recovery_score_needs_five_items_of_0_to_2(items: tuple[int, ...]) -> None:
    with pytest.raises(ValueError, match="5 items"):
        recovery_score_total(items)
