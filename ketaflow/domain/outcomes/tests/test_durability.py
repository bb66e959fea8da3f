"""Kaplan–Meier durability of response: synthetic cohort with a known median, and agreement with lifelines."""

from __future__ import annotations

import math
from datetime import timedelta

import numpy as np
import pytest
from lifelines import KaplanMeierFitter  # type: ignore[import-untyped, unused-ignore]

from ketaflow.domain.outcomes import (
    DurabilityRecord,
    durability,
    durability_by_group,
    durability_record,
)

from .trajectories import at

MEDIAN_DAYS = 60.0
CENSORED_SHARE = 0.30


def synthetic_cohort(n: int = 2000, seed: int = 20261125) -> list[DurabilityRecord]:
    """Exponential time to relapse with median 60 days; independent exponential censoring of ~30%."""
    rng = np.random.default_rng(seed)
    relapse_rate = math.log(2) / MEDIAN_DAYS
    # P(censor before relapse) = c / (c + r) = 0.3  →  c = 0.3 r / 0.7
    censor_rate = CENSORED_SHARE * relapse_rate / (1 - CENSORED_SHARE)
    relapse = rng.exponential(1 / relapse_rate, n)
    censor = rng.exponential(1 / censor_rate, n)
    groups = ("ketamine-iv", "esketamine")
    return [
        DurabilityRecord(
            subject_id=f"p{i}",
            days=float(min(r, c)),
            relapsed=bool(r <= c),
            group=groups[i % 2],
        )
        for i, (r, c) in enumerate(zip(relapse, censor, strict=True))
    ]


def test_median_of_synthetic_cohort_is_close_to_60_days() -> None:
    cohort = synthetic_cohort()
    summary = durability(cohort)
    assert summary.subjects == 2000
    assert summary.censored / summary.subjects == pytest.approx(CENSORED_SHARE, abs=0.03)
    assert summary.median_days is not None
    assert abs(summary.median_days - MEDIAN_DAYS) <= 0.10 * MEDIAN_DAYS
    assert summary.median_ci is not None
    lower, upper = summary.median_ci
    assert lower is not None and upper is not None
    assert lower <= summary.median_days <= upper


def test_curve_matches_lifelines_run_directly() -> None:
    cohort = synthetic_cohort()
    summary = durability(cohort)
    kmf = KaplanMeierFitter(alpha=0.05).fit([r.days for r in cohort], [r.relapsed for r in cohort])
    expected_times = kmf.survival_function_.index.to_numpy()
    assert np.allclose([p.days for p in summary.curve], expected_times)
    assert np.allclose([p.survival for p in summary.curve], kmf.survival_function_.iloc[:, 0].to_numpy())
    assert np.allclose([p.ci_lower for p in summary.curve], kmf.confidence_interval_.iloc[:, 0].to_numpy())
    assert np.allclose([p.ci_upper for p in summary.curve], kmf.confidence_interval_.iloc[:, 1].to_numpy())
    assert summary.median_days == pytest.approx(kmf.median_survival_time_)


def test_grouped_summaries_cover_every_group_and_the_whole() -> None:
    cohort = synthetic_cohort(n=600)
    summaries = durability_by_group(cohort)
    assert [s.group for s in summaries] == ["all", "esketamine", "ketamine-iv"]
    assert summaries[1].subjects + summaries[2].subjects == summaries[0].subjects == 600


def test_median_not_reached_is_reported_as_none() -> None:
    records = [DurabilityRecord(f"p{i}", days=30.0 + i, relapsed=i == 0) for i in range(10)]
    summary = durability(records)
    assert summary.median_days is None
    assert summary.relapses == 1


def test_empty_cohort_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        durability([])


def test_record_from_dates() -> None:
    record = durability_record("p1", induction_ended_at=at(14), relapsed_at=at(74), last_seen_at=at(90))
    assert record.days == 60 and record.relapsed
    censored = durability_record(
        "p2", induction_ended_at=at(14), relapsed_at=None, last_seen_at=at(14) + timedelta(hours=36)
    )
    assert censored.days == 1.5 and not censored.relapsed


def test_record_before_the_end_of_induction_is_refused() -> None:
    with pytest.raises(ValueError, match="before the end of induction"):
        durability_record("p1", induction_ended_at=at(14), relapsed_at=at(10), last_seen_at=at(20))
