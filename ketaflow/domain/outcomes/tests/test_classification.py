"""Table-driven response/remission/relapse classification, including missing measures and re-baselining."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest

from ketaflow.domain.outcomes import (
    DEFAULT_RULES,
    Measurement,
    Status,
    classify_course,
    classify_courses,
)

from .trajectories import at, course, series, weekly

PHQ9 = DEFAULT_RULES["phq9"]
MADRS = DEFAULT_RULES["madrs"]
MADRS_12 = replace(MADRS, remission_at_most=12.0)
QIDS = DEFAULT_RULES["qids_sr16"]
NRS = DEFAULT_RULES["nrs"]
PEG = DEFAULT_RULES["peg3"]


@dataclass(frozen=True)
class Case:
    name: str
    measurements: list[Measurement]
    expected: Status
    rule: object = PHQ9
    relapsed: bool = False
    pending: int = 0


CASES = [
    Case("no measures at all", [], Status.NO_BASELINE),
    Case("baseline only", weekly("phq9", 20, []), Status.NO_FOLLOW_UP),
    Case(
        "baseline missed (no score)",
        weekly("phq9", None, [8]) + series("phq9", [(-3, None)]),
        Status.NO_BASELINE,
    ),
    Case("baseline too long before the course", series("phq9", [(-30, 20), (7, 8)]), Status.NO_BASELINE),
    Case("baseline of zero cannot measure change", weekly("phq9", 0, [0]), Status.NO_BASELINE),
    Case("only missed follow-ups", weekly("phq9", 20, [None, None]), Status.NO_FOLLOW_UP),
    Case("25% drop is not a response", weekly("phq9", 20, [15]), Status.NON_RESPONSE),
    Case("exactly 50% drop is a response", weekly("phq9", 20, [10]), Status.RESPONSE),
    Case("45% drop is not a response", weekly("phq9", 20, [11]), Status.NON_RESPONSE),
    Case("PHQ-9 4 is remission", weekly("phq9", 20, [4]), Status.REMISSION),
    Case("PHQ-9 5 is response, not remission", weekly("phq9", 20, [5]), Status.RESPONSE),
    Case(
        "one measure losing response is only pending",
        weekly("phq9", 20, [8, 12]),
        Status.NON_RESPONSE,
        pending=1,
    ),
    Case(
        "two consecutive measures losing response",
        weekly("phq9", 20, [8, 12, 13]),
        Status.RELAPSE,
        relapsed=True,
    ),
    Case(
        "a missed measure does not break the run",
        weekly("phq9", 20, [8, 12, None, 13]),
        Status.RELAPSE,
        relapsed=True,
    ),
    Case(
        "regained response in between resets the run",
        weekly("phq9", 20, [8, 12, 8, 13]),
        Status.NON_RESPONSE,
        pending=1,
    ),
    Case(
        "response regained after a relapse",
        weekly("phq9", 20, [8, 12, 13, 6]),
        Status.RESPONSE,
        relapsed=True,
    ),
    Case("worse than best but still responding", weekly("phq9", 20, [2, 9, 9]), Status.RESPONSE),
    Case(
        "lost response but under 10 and under half the gain lost",
        weekly("phq9", 14, [6, 8, 8]),
        Status.NON_RESPONSE,
    ),
    Case(
        "half the gain lost counts even under 10",
        weekly("phq9", 14, [2, 8, 9]),
        Status.RELAPSE,
        relapsed=True,
    ),
    Case("never responded cannot relapse", weekly("phq9", 20, [15, 18, 19]), Status.NON_RESPONSE),
    Case("latest measure missed: the last score counts", weekly("phq9", 20, [8, None]), Status.RESPONSE),
    Case(
        "latest baseline in the window is used",
        series("phq9", [(-10, 24), (-1, 20), (7, 10)]),
        Status.RESPONSE,
    ),
    Case("baseline taken at the start itself", series("phq9", [(0, 20), (7, 10)]), Status.RESPONSE),
    Case(
        "other instruments are ignored",
        weekly("phq9", 20, [15]) + weekly("gad7", 15, [2]),
        Status.NON_RESPONSE,
    ),
    Case("MADRS 32 → 10 is remission at ≤10", weekly("madrs", 32, [10]), Status.REMISSION, MADRS),
    Case("MADRS 32 → 11 is response only", weekly("madrs", 32, [11]), Status.RESPONSE, MADRS),
    Case(
        "MADRS 32 → 12 is remission when configured ≤12",
        weekly("madrs", 32, [12]),
        Status.REMISSION,
        MADRS_12,
    ),
    Case("MADRS 32 → 16 is response", weekly("madrs", 32, [16]), Status.RESPONSE, MADRS),
    Case("MADRS 32 → 17 is not", weekly("madrs", 32, [17]), Status.NON_RESPONSE, MADRS),
    Case("QIDS 5 is remission", weekly("qids_sr16", 20, [5]), Status.REMISSION, QIDS),
    Case("QIDS 6 is response", weekly("qids_sr16", 20, [6]), Status.RESPONSE, QIDS),
    Case("NRS 8 → 5 is a moderate (≥30%) improvement", weekly("nrs", 8, [5]), Status.PARTIAL_RESPONSE, NRS),
    Case("NRS 8 → 6 is not", weekly("nrs", 8, [6]), Status.NON_RESPONSE, NRS),
    Case("NRS 8 → 4 is substantial (≥50%)", weekly("nrs", 8, [4]), Status.RESPONSE, NRS),
    Case("PEG 7.0 → 4.9 is exactly 30%", weekly("peg3", 7.0, [4.9]), Status.PARTIAL_RESPONSE, PEG),
    Case(
        "pain relapse after losing the 30% gain",
        weekly("nrs", 8, [3, 7, 7]),
        Status.RELAPSE,
        NRS,
        relapsed=True,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_classification(case: Case) -> None:
    result = classify_course(case.measurements, course(), case.rule)  # type: ignore[arg-type]
    assert result.status is case.expected, result.reasons
    assert (result.relapsed_at is not None) == case.relapsed
    assert result.pending_relapse_measures == case.pending
    assert result.reasons


def test_there_are_at_least_25_cases() -> None:
    assert len(CASES) >= 25


def test_result_reports_baseline_latest_and_change() -> None:
    result = classify_course(weekly("phq9", 20, [8, None]), course(), PHQ9)
    assert result.baseline == 20
    assert result.latest == 8
    assert result.latest_at == at(7)
    assert result.improvement_percent == pytest.approx(60.0)
    assert result.responded_at == at(7)
    assert result.missed_measures == 1


def test_relapse_date_is_the_confirming_measure() -> None:
    result = classify_course(weekly("phq9", 20, [8, 12, None, 13]), course(), PHQ9)
    assert result.relapsed_at == at(28)


def test_new_course_rebaselines_and_forgets_earlier_response() -> None:
    # Course 1: baseline 20, response then relapse. Course 2 starts day 60 with a new baseline of 16.
    data = weekly("phq9", 20, [8, 14, 15]) + series("phq9", [(58, 16), (67, 9)])
    first, second = classify_courses(data, [course("c1"), course("c2", start_day=60)], PHQ9)
    assert first.status is Status.RELAPSE
    assert first.latest == 15  # the course-2 baseline belongs to course 2, not to course 1's follow-up
    assert second.baseline == 16
    # 9 is 55% below the old baseline but only 44% below the new one.
    assert second.status is Status.NON_RESPONSE


def test_new_course_without_its_own_baseline_has_no_baseline() -> None:
    data = weekly("phq9", 20, [8, 14, 15]) + series("phq9", [(67, 9)])
    _, second = classify_courses(data, [course("c1"), course("c2", start_day=60)], PHQ9)
    assert second.status is Status.NO_BASELINE


def test_relapse_needs_a_response_within_the_same_course() -> None:
    data = weekly("phq9", 20, [8]) + series("phq9", [(58, 18), (67, 12), (74, 14)])
    _, second = classify_courses(data, [course("c1"), course("c2", start_day=60)], PHQ9)
    assert second.status is Status.NON_RESPONSE
    assert second.relapsed_at is None


def test_rules_carry_their_sources() -> None:
    for rule in DEFAULT_RULES.values():
        assert rule.sources, rule.instrument_id
        assert all(s.key and s.citation for s in rule.sources)
