"""Durability of response: Kaplan–Meier time from the end of induction to relapse, with censoring."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from ._lifelines import fit_kaplan_meier

EMPTY_COHORT = "Durability needs at least one patient."
BEFORE_INDUCTION_END = "Relapse or last follow-up is before the end of induction."
SECONDS_PER_DAY = 86_400.0
ALL = "all"


@dataclass(frozen=True)
class DurabilityRecord:
    """One patient's course: days from end of induction to relapse (``relapsed``) or to last follow-up."""

    subject_id: str
    days: float
    relapsed: bool
    group: str = ""


def durability_record(
    subject_id: str,
    *,
    induction_ended_at: datetime,
    relapsed_at: datetime | None,
    last_seen_at: datetime,
    group: str = "",
) -> DurabilityRecord:
    """Build a record: relapse is the event; without one the patient is censored at the last follow-up."""
    end = relapsed_at if relapsed_at is not None else last_seen_at
    days = (end - induction_ended_at).total_seconds() / SECONDS_PER_DAY
    if days < 0:
        raise ValueError(BEFORE_INDUCTION_END)
    return DurabilityRecord(subject_id=subject_id, days=days, relapsed=relapsed_at is not None, group=group)


@dataclass(frozen=True)
class SurvivalPoint:
    """Share still free of relapse at ``days``, its confidence band, and the risk set at that time."""

    days: float
    survival: float
    ci_lower: float
    ci_upper: float
    at_risk: int
    events: int


@dataclass(frozen=True)
class DurabilitySummary:
    """Kaplan–Meier summary for a group. ``median_days`` None = fewer than half have relapsed (not reached);
    ``median_ci`` bounds may be None when the band never crosses one half."""

    group: str
    subjects: int
    relapses: int
    censored: int
    median_days: float | None
    median_ci: tuple[float | None, float | None] | None
    confidence: float
    curve: tuple[SurvivalPoint, ...]


def durability(
    records: Sequence[DurabilityRecord], *, confidence: float = 0.95, group: str = ALL
) -> DurabilitySummary:
    """Kaplan–Meier estimate of relapse-free time since the end of induction (lifelines, Greenwood band)."""
    if not records:
        raise ValueError(EMPTY_COHORT)
    fit = fit_kaplan_meier([r.days for r in records], [r.relapsed for r in records], alpha=1 - confidence)
    relapses = sum(1 for r in records if r.relapsed)
    curve = tuple(
        SurvivalPoint(t, s, lo, hi, n, e)
        for t, s, lo, hi, n, e in zip(
            fit.timeline, fit.survival, fit.ci_lower, fit.ci_upper, fit.at_risk, fit.events, strict=True
        )
    )
    ci = None if fit.median is None else (fit.median_lower, fit.median_upper)
    return DurabilitySummary(
        group=group,
        subjects=len(records),
        relapses=relapses,
        censored=len(records) - relapses,
        median_days=fit.median,
        median_ci=ci,
        confidence=confidence,
        curve=curve,
    )


def durability_by_group(
    records: Iterable[DurabilityRecord], *, confidence: float = 0.95
) -> list[DurabilitySummary]:
    """The whole cohort (group "all") first, then one summary per ``group`` value in name order."""
    data = list(records)
    out = [durability(data, confidence=confidence)]
    for name in sorted({r.group for r in data}):
        out.append(durability([r for r in data if r.group == name], confidence=confidence, group=name))
    return out
