"""Booster suggestions: on relapse or a worsening trend projected to lose response; nowhere else."""

from __future__ import annotations

import pytest

from ketaflow.domain.outcomes import DEFAULT_RULES, suggest_booster

from .trajectories import course, series, weekly

PHQ9 = DEFAULT_RULES["phq9"]
NRS = DEFAULT_RULES["nrs"]

FIRES = [
    ("relapse confirmed", weekly("phq9", 20, [8, 12, 13]), PHQ9, "relapse"),
    ("responder worsening 2 points a week", weekly("phq9", 20, [4, 6, 8]), PHQ9, "per week"),
    ("worsening with a missed measure", weekly("phq9", 20, [4, None, 6, 8]), PHQ9, "per week"),
    ("pain responder losing ground", weekly("nrs", 8, [3, 4, 5]), NRS, "per week"),
    ("one relapsing measure and still rising", weekly("phq9", 20, [6, 7, 11]), PHQ9, "per week"),
]

QUIET = [
    ("stable responder", weekly("phq9", 20, [4, 4, 5])),
    ("improving responder", weekly("phq9", 20, [9, 6, 3])),
    ("never responded and worsening", weekly("phq9", 20, [15, 17, 19])),
    ("worsening but response holds past the horizon", weekly("phq9", 27, [2, 4, 6])),
    ("too few measures since response", weekly("phq9", 20, [12, 4, 6])),
    ("no baseline", series("phq9", [(7, 4), (14, 6), (21, 8)])),
    ("no measures", []),
]


@pytest.mark.parametrize(("name", "data", "rule", "why"), FIRES, ids=[f[0] for f in FIRES])
def test_booster_is_suggested(name: str, data: list, rule: object, why: str) -> None:  # type: ignore[type-arg]
    suggestion = suggest_booster(data, course(), rule)  # type: ignore[arg-type]
    assert suggestion.suggest, suggestion.why
    assert why in suggestion.why


@pytest.mark.parametrize(("name", "data"), QUIET, ids=[q[0] for q in QUIET])
def test_booster_is_not_suggested(name: str, data: list) -> None:  # type: ignore[type-arg]
    suggestion = suggest_booster(data, course(), PHQ9)
    assert not suggestion.suggest
    assert suggestion.why


def test_trend_suggestion_explains_slope_and_projection() -> None:
    suggestion = suggest_booster(weekly("phq9", 20, [4, 6, 8]), course(), PHQ9)
    assert suggestion.slope_per_week == pytest.approx(2.0)
    assert suggestion.projected_score == pytest.approx(12.0)
    assert "PHQ-9" in suggestion.why
    assert "12" in suggestion.why
