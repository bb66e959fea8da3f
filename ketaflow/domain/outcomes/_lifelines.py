"""The only module that touches lifelines (untyped): fits Kaplan–Meier and returns plain typed values."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from lifelines import KaplanMeierFitter  # type: ignore[import-untyped, unused-ignore]
from lifelines.utils import median_survival_times  # type: ignore[import-untyped, unused-ignore]


@dataclass(frozen=True)
class KaplanMeierFit:
    """Kaplan–Meier estimate on lifelines' timeline; medians are None when the curve never reaches 0.5."""

    timeline: tuple[float, ...]
    survival: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    at_risk: tuple[int, ...]
    events: tuple[int, ...]
    median: float | None
    median_lower: float | None
    median_upper: float | None


def _finite(value: object) -> float | None:
    number = float(value)  # type: ignore[arg-type]
    return number if math.isfinite(number) else None


def fit_kaplan_meier(durations: Sequence[float], events: Sequence[bool], *, alpha: float) -> KaplanMeierFit:
    """Fit lifelines' KaplanMeierFitter (exponential Greenwood confidence band at level 1 − ``alpha``)."""
    kmf = KaplanMeierFitter(alpha=alpha).fit(list(durations), event_observed=list(events))
    survival = kmf.survival_function_
    band = kmf.confidence_interval_
    table = kmf.event_table.reindex(survival.index)
    medians = median_survival_times(band)
    return KaplanMeierFit(
        timeline=tuple(float(t) for t in survival.index),
        survival=tuple(float(s) for s in survival.iloc[:, 0]),
        ci_lower=tuple(float(s) for s in band.iloc[:, 0]),
        ci_upper=tuple(float(s) for s in band.iloc[:, 1]),
        at_risk=tuple(int(n) for n in table["at_risk"]),
        events=tuple(int(n) for n in table["observed"]),
        median=_finite(kmf.median_survival_time_),
        median_lower=_finite(medians.iloc[0, 0]),
        median_upper=_finite(medians.iloc[0, 1]),
    )
