"""Measurement schedule anchored to a course: what is due when, and until when."""

from __future__ import annotations

from datetime import timedelta

from ketaflow.domain.outcomes import (
    Pathway,
    ScheduledCourse,
    Timepoint,
    default_plan,
    due_between,
    measurement_schedule,
)

from .trajectories import at

# Induction: six infusions over two weeks (Mon/Wed/Fri), maintenance every two weeks to day 70.
INDUCTION = tuple(at(d) for d in (0, 2, 4, 7, 9, 11))
COURSE = ScheduledCourse(
    course_id="c1",
    infusions=INDUCTION + (at(28), at(42), at(56)),
    induction_ends_at=at(14),
    ends_at=at(70),
    follow_up_until=at(70 + 92),
)


def of(items: list, instrument: str, timepoint: Timepoint | None = None) -> list:  # type: ignore[type-arg]
    return [
        d for d in items if d.instrument_id == instrument and (timepoint is None or timepoint in d.timepoints)
    ]


def test_baseline_is_due_the_week_before_the_first_infusion() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    baseline = [d for d in schedule if d.timepoint is Timepoint.BASELINE]
    assert {d.instrument_id for d in baseline} == {"phq9", "gad7", "madrs", "cssrs_screener"}
    assert all(d.due_at == at(-7) and d.expires_at == at(0) for d in baseline)


def test_phq9_before_and_24_hours_after_every_infusion() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    pre = of(schedule, "phq9", Timepoint.PRE_INFUSION)
    post = of(schedule, "phq9", Timepoint.POST_INFUSION)
    assert [d.expires_at for d in pre] == list(COURSE.infusions)
    assert [d.due_at for d in post] == [t + timedelta(hours=24) for t in COURSE.infusions]
    assert all(d.expires_at - d.due_at == timedelta(hours=24) for d in post)


def test_weekly_during_induction_biweekly_in_maintenance_monthly_after() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    weekly = of(schedule, "gad7", Timepoint.INDUCTION_WEEKLY)
    assert [d.due_at for d in weekly] == [at(7)]
    maintenance = of(schedule, "gad7", Timepoint.MAINTENANCE)
    assert [d.due_at for d in maintenance] == [at(28), at(42), at(56)]
    follow_up = of(schedule, "phq9", Timepoint.FOLLOW_UP)
    assert [d.due_at.date().isoformat() for d in follow_up] == ["2026-06-11", "2026-07-11", "2026-08-11"]


def test_madrs_at_set_points_only() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    assert [d.timepoint for d in of(schedule, "madrs")] == [
        Timepoint.BASELINE,
        Timepoint.INDUCTION_END,
        Timepoint.COURSE_END,
    ]


def test_qids_is_optional() -> None:
    without = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    with_qids = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION, include_qids=True))
    assert not of(without, "qids_sr16")
    assert of(with_qids, "qids_sr16", Timepoint.BASELINE)


def test_pain_pathway_uses_pain_instruments_and_the_cssrs() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.PAIN))
    instruments = {d.instrument_id for d in schedule}
    assert {"nrs", "peg3", "bpi_sf", "cssrs_screener"} <= instruments
    assert "phq9" not in instruments
    assert len(of(schedule, "nrs", Timepoint.PRE_INFUSION)) == len(COURSE.infusions)


def test_baseline_doubles_as_the_first_pre_infusion_measure() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    (first,) = [d for d in of(schedule, "phq9") if d.expires_at == at(0)]
    assert first.timepoints == (Timepoint.BASELINE, Timepoint.PRE_INFUSION)


def test_overlapping_windows_merge_into_one_measure_serving_both() -> None:
    # Monday's 24-hour measure and Wednesday's pre-infusion measure fall in the same window.
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    (tuesday,) = [d for d in of(schedule, "phq9") if d.due_at == at(1)]
    assert set(tuesday.timepoints) == {Timepoint.POST_INFUSION, Timepoint.PRE_INFUSION}
    assert tuesday.expires_at == at(2)


def test_schedule_is_sorted_and_windows_of_one_instrument_do_not_overlap() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    assert schedule == sorted(schedule, key=lambda d: (d.due_at, d.instrument_id))
    by_instrument: dict[str, list] = {}  # type: ignore[type-arg]
    for d in schedule:
        by_instrument.setdefault(d.instrument_id, []).append(d)
    for items in by_instrument.values():
        for earlier, later in zip(items, items[1:], strict=False):
            assert later.due_at >= earlier.expires_at


def test_due_between_lists_open_windows() -> None:
    schedule = measurement_schedule(COURSE, default_plan(Pathway.DEPRESSION))
    open_now = due_between(schedule, at(7) + timedelta(hours=1))
    assert {(d.instrument_id, d.timepoint) for d in open_now} >= {("gad7", Timepoint.INDUCTION_WEEKLY)}
    assert all(d.due_at <= at(7) + timedelta(hours=1) < d.expires_at for d in open_now)


def test_course_without_follow_up_has_no_monthly_measures() -> None:
    course = ScheduledCourse("c2", INDUCTION, induction_ends_at=at(14), ends_at=at(14), follow_up_until=None)
    schedule = measurement_schedule(course, default_plan(Pathway.DEPRESSION))
    assert not [d for d in schedule if d.timepoint in (Timepoint.FOLLOW_UP, Timepoint.MAINTENANCE)]
