"""Booster suggestion: relapse, or a worsening trend that would lose the response within a horizon."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from .classify import Classification, Course, Measurement, Status, _walk, counts_towards_relapse
from .definitions import ScaleRule

SECONDS_PER_DAY = 86_400.0


@dataclass(frozen=True)
class BoosterSuggestion:
    """Whether to offer a booster, and why in plain words for the prescriber.

    ``slope_per_week`` (score points per week, positive = worse) and the projection are filled in when a trend
    was computed.
    """

    suggest: bool
    why: str
    classification: Classification
    slope_per_week: float | None = None
    projected_score: float | None = None
    projected_at: datetime | None = None


def least_squares_slope(points: list[tuple[datetime, float]]) -> tuple[float, float, datetime]:
    """Slope (points per day) and intercept of the least-squares line through ``(time, score)`` points.

    Time is measured in days from the first point, which is returned as the origin.
    """
    origin = points[0][0]
    days = np.array([(t - origin).total_seconds() / SECONDS_PER_DAY for t, _ in points])
    scores = np.array([s for _, s in points])
    slope, intercept = np.polyfit(days, scores, 1)
    return float(slope), float(intercept), origin


def suggest_booster(
    measurements: Iterable[Measurement], course: Course, rule: ScaleRule, *, until: datetime | None = None
) -> BoosterSuggestion:
    """Suggest a booster infusion for this course's instrument.

    Fires on a confirmed relapse, or when the last ``rule.booster.window`` scores since the patient first reached
    ``rule.relapse.after_percent`` improvement rise by at least ``min_worsening_per_week`` points a week and the
    fitted line ``horizon_days`` after the latest score would count towards relapse.
    """
    walk = _walk(measurements, course, rule, until)
    c = walk.classification
    label = rule.label
    if c.status in (Status.NO_BASELINE, Status.NO_FOLLOW_UP):
        return BoosterSuggestion(False, f"Not assessable: {c.reasons[0]}", c)
    if c.status is Status.RELAPSE:
        return BoosterSuggestion(
            True,
            f"{label} relapse: the improvement was lost on {rule.relapse.consecutive} consecutive scores "
            f"(latest {c.latest:g} against a baseline of {c.baseline:g}), confirmed on "
            f"{c.relapsed_at.date() if c.relapsed_at else 'the latest measure'}.",
            c,
        )
    if walk.reference_reached_at is None:
        return BoosterSuggestion(
            False,
            f"{label} never improved by {rule.relapse.after_percent:g}% in this course: that is non-response, "
            "which a booster does not address.",
            c,
        )
    booster = rule.booster
    recent = [m for m in walk.scored if m.taken_at >= walk.reference_reached_at][-booster.window :]
    if len(recent) < booster.window:
        return BoosterSuggestion(
            False,
            f"Only {len(recent)} {label} score(s) since the response; a trend needs {booster.window}.",
            c,
        )
    points = [(m.taken_at, float(m.score or 0.0)) for m in recent]
    slope_per_day, intercept, origin = least_squares_slope(points)
    per_week = slope_per_day * 7
    projected_at = recent[-1].taken_at + timedelta(days=booster.horizon_days)
    projected = intercept + slope_per_day * (projected_at - origin).total_seconds() / SECONDS_PER_DAY
    trend = (
        f"{label} went from {points[0][1]:g} to {points[-1][1]:g} over the last {len(points)} scores "
        f"({per_week:+.1f} points per week)"
    )
    baseline = c.baseline or 0.0
    if per_week < booster.min_worsening_per_week:
        return BoosterSuggestion(
            False,
            f"{trend}; worsening of at least {booster.min_worsening_per_week:g} per week would be needed.",
            c,
            per_week,
            projected,
            projected_at,
        )
    if not counts_towards_relapse(rule, baseline, walk.best_gain, projected):
        return BoosterSuggestion(
            False,
            f"{trend}; at this rate it would be about {projected:.0f} by {projected_at.date()}, which still keeps "
            f"the improvement from a baseline of {baseline:g}. Keep measuring.",
            c,
            per_week,
            projected,
            projected_at,
        )
    return BoosterSuggestion(
        True,
        f"{trend}; at this rate it would reach about {projected:.0f} by {projected_at.date()}, which would no "
        f"longer hold the improvement from a baseline of {baseline:g}. Consider a booster before relapse.",
        c,
        per_week,
        projected,
        projected_at,
    )
