"""Which instruments are due when, anchored to a treatment course."""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Pathway(StrEnum):
    """Clinical pathway of a course: decides the default instruments."""

    DEPRESSION = "depression"
    PAIN = "pain"


class Timepoint(StrEnum):
    """Why a measure is due. Ordered as they occur in a course."""

    BASELINE = "baseline"
    PRE_INFUSION = "pre_infusion"
    POST_INFUSION = "post_infusion_24h"
    INDUCTION_WEEKLY = "induction_weekly"
    INDUCTION_END = "induction_end"
    MAINTENANCE = "maintenance"
    COURSE_END = "course_end"
    FOLLOW_UP = "follow_up"


@dataclass(frozen=True)
class ScheduledCourse:
    """A course's calendar: infusion start times, end of induction, end of course, follow-up horizon."""

    course_id: str
    infusions: tuple[datetime, ...]
    induction_ends_at: datetime
    ends_at: datetime
    follow_up_until: datetime | None = None


@dataclass(frozen=True)
class SchedulePlan:
    """Instruments per timepoint and the timing of each window (all configurable per clinic)."""

    instruments: Mapping[Timepoint, tuple[str, ...]]
    baseline_lead: timedelta = timedelta(days=7)
    pre_infusion_lead: timedelta = timedelta(hours=24)
    post_infusion_delay: timedelta = timedelta(hours=24)
    post_infusion_window: timedelta = timedelta(hours=24)
    induction_every: timedelta = timedelta(days=7)
    maintenance_every: timedelta = timedelta(days=14)
    follow_up_every_months: int = 1
    periodic_window: timedelta = timedelta(days=3)
    milestone_window: timedelta = timedelta(days=7)


@dataclass(frozen=True)
class DueMeasurement:
    """One measure to collect between ``due_at`` and ``expires_at`` (exclusive).

    ``timepoints`` lists every reason it is due: overlapping windows of one instrument are merged.
    """

    course_id: str
    instrument_id: str
    due_at: datetime
    expires_at: datetime
    timepoints: tuple[Timepoint, ...] = field(default=())

    @property
    def timepoint(self) -> Timepoint:
        """The first reason this measure is due."""
        return self.timepoints[0]


CSSRS = "cssrs_screener"

# Default instruments (clinical.md §5): PHQ-9 and GAD-7 throughout, QIDS-SR16 optional, MADRS at milestones;
# pain: NRS, PEG-3, BPI; the C-SSRS screener at baseline and every periodic or milestone visit.
_DEPRESSION: dict[Timepoint, tuple[str, ...]] = {
    Timepoint.BASELINE: ("phq9", "gad7", "madrs", CSSRS),
    Timepoint.PRE_INFUSION: ("phq9",),
    Timepoint.POST_INFUSION: ("phq9",),
    Timepoint.INDUCTION_WEEKLY: ("gad7", CSSRS),
    Timepoint.INDUCTION_END: ("madrs",),
    Timepoint.MAINTENANCE: ("phq9", "gad7", CSSRS),
    Timepoint.COURSE_END: ("phq9", "gad7", "madrs", CSSRS),
    Timepoint.FOLLOW_UP: ("phq9", "gad7", CSSRS),
}
_PAIN: dict[Timepoint, tuple[str, ...]] = {
    Timepoint.BASELINE: ("nrs", "peg3", "bpi_sf", CSSRS),
    Timepoint.PRE_INFUSION: ("nrs",),
    Timepoint.POST_INFUSION: ("nrs",),
    Timepoint.INDUCTION_WEEKLY: ("peg3", CSSRS),
    Timepoint.INDUCTION_END: ("bpi_sf",),
    Timepoint.MAINTENANCE: ("nrs", "peg3", CSSRS),
    Timepoint.COURSE_END: ("bpi_sf", "peg3", CSSRS),
    Timepoint.FOLLOW_UP: ("nrs", "peg3", CSSRS),
}
_QIDS_POINTS = (Timepoint.BASELINE, Timepoint.POST_INFUSION, Timepoint.COURSE_END, Timepoint.FOLLOW_UP)


def default_plan(pathway: Pathway, *, include_qids: bool = False) -> SchedulePlan:
    """The default plan for a pathway; ``include_qids`` adds QIDS-SR16 to depression milestones."""
    if pathway is Pathway.PAIN:
        return SchedulePlan(instruments=dict(_PAIN))
    instruments = dict(_DEPRESSION)
    if include_qids:
        for point in _QIDS_POINTS:
            instruments[point] = (*instruments[point], "qids_sr16")
    return SchedulePlan(instruments=instruments)


def add_months(moment: datetime, months: int) -> datetime:
    """Same day and time ``months`` later, clamped to the month's last day."""
    index = moment.month - 1 + months
    year, month = moment.year + index // 12, index % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))


def _every(start: datetime, step: timedelta, before: datetime) -> Iterable[datetime]:
    moment = start
    while moment < before:
        yield moment
        moment += step


def measurement_schedule(course: ScheduledCourse, plan: SchedulePlan) -> list[DueMeasurement]:
    """Every measure due for a course, sorted by due time then instrument.

    - baseline: from ``baseline_lead`` before the first infusion until it starts (it also serves as the first
      pre-infusion measure);
    - before each infusion: from ``pre_infusion_lead`` before until the infusion starts;
    - 24 h after each infusion: for ``post_infusion_window``;
    - weekly during induction, every two weeks in maintenance (``periodic_window`` each);
    - end of induction and end of course (``milestone_window``);
    - monthly after the course until ``follow_up_until`` (inclusive).
    Overlapping windows of one instrument merge into their intersection, listing both timepoints.
    """
    if not course.infusions:
        return []
    items: list[DueMeasurement] = []

    def add(point: Timepoint, due: datetime, expires: datetime) -> None:
        for instrument in plan.instruments.get(point, ()):
            items.append(DueMeasurement(course.course_id, instrument, due, expires, (point,)))

    infusions = sorted(course.infusions)
    first = infusions[0]
    for instrument in plan.instruments.get(Timepoint.BASELINE, ()):
        points: tuple[Timepoint, ...] = (Timepoint.BASELINE,)
        if instrument in plan.instruments.get(Timepoint.PRE_INFUSION, ()):
            points = (Timepoint.BASELINE, Timepoint.PRE_INFUSION)
        items.append(DueMeasurement(course.course_id, instrument, first - plan.baseline_lead, first, points))
    baseline_ids = set(plan.instruments.get(Timepoint.BASELINE, ()))
    for index, start in enumerate(infusions):
        for instrument in plan.instruments.get(Timepoint.PRE_INFUSION, ()):
            if index == 0 and instrument in baseline_ids:
                continue
            items.append(
                DueMeasurement(
                    course.course_id,
                    instrument,
                    start - plan.pre_infusion_lead,
                    start,
                    (Timepoint.PRE_INFUSION,),
                )
            )
        due = start + plan.post_infusion_delay
        add(Timepoint.POST_INFUSION, due, due + plan.post_infusion_window)
    for due in _every(first + plan.induction_every, plan.induction_every, course.induction_ends_at):
        add(Timepoint.INDUCTION_WEEKLY, due, due + plan.periodic_window)
    add(Timepoint.INDUCTION_END, course.induction_ends_at, course.induction_ends_at + plan.milestone_window)
    maintenance_start = course.induction_ends_at + plan.maintenance_every
    for due in _every(maintenance_start, plan.maintenance_every, course.ends_at):
        add(Timepoint.MAINTENANCE, due, due + plan.periodic_window)
    add(Timepoint.COURSE_END, course.ends_at, course.ends_at + plan.milestone_window)
    if course.follow_up_until is not None:
        month = 1
        due = add_months(course.ends_at, plan.follow_up_every_months)
        while due <= course.follow_up_until:
            add(Timepoint.FOLLOW_UP, due, due + plan.milestone_window)
            month += 1
            due = add_months(course.ends_at, plan.follow_up_every_months * month)
    return _merge(items)


def _merge(items: list[DueMeasurement]) -> list[DueMeasurement]:
    order = list(Timepoint)
    by_instrument: dict[str, list[DueMeasurement]] = {}
    for item in sorted(items, key=lambda d: (d.due_at, order.index(d.timepoints[0]))):
        kept = by_instrument.setdefault(item.instrument_id, [])
        if kept and item.due_at < kept[-1].expires_at:
            previous = kept[-1]
            points = previous.timepoints + tuple(p for p in item.timepoints if p not in previous.timepoints)
            kept[-1] = replace(
                previous,
                due_at=item.due_at,
                expires_at=min(previous.expires_at, item.expires_at),
                timepoints=points,
            )
        else:
            kept.append(item)
    merged = [d for group in by_instrument.values() for d in group]
    return sorted(merged, key=lambda d: (d.due_at, d.instrument_id))


def due_between(schedule: Iterable[DueMeasurement], at: datetime) -> list[DueMeasurement]:
    """Measures whose window is open at ``at`` (due_at ≤ at < expires_at)."""
    return [d for d in schedule if d.due_at <= at < d.expires_at]
