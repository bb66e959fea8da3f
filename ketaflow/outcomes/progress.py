"""Progress reads: questionnaire scores → domain measurements, sessions → course phases, classifications, charts.

``patient_progress`` loads everything the progress page and the progress report PDF show in a fixed number of
queries whatever the number of scores and sessions: courses, sessions, scores, missed measures, open booster
reviews. The clinical arithmetic is ``ketaflow.domain.outcomes`` (docs/outcomes.md); this module only converts
rows into its dataclasses and back into what the page draws (docs/outcomes-progress.md).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from ketaflow.domain import instruments
from ketaflow.domain import outcomes as domain
from ketaflow.outcomes import charts
from ketaflow.outcomes.models import BoosterReview, MeasurementRequest
from ketaflow.treatment.models import Course, InfusionSession

# Every instrument with a response rule and a total that can be charted (C-SSRS has no total).
SCORED_INSTRUMENTS: tuple[str, ...] = tuple(domain.DEFAULT_RULES)
# Sessions that happened or will happen; cancelled and missed ones are not infusions.
NOT_GIVEN = (InfusionSession.Status.CANCELLED, InfusionSession.Status.MISSED)
GIVEN = (InfusionSession.Status.DISCHARGED, InfusionSession.Status.READY, InfusionSession.Status.RECOVERING)
# Courses whose scores the booster engine reads: treatment started (planned ones have no baseline anchor yet).
ASSESSED_STATUSES = (
    Course.Status.INDUCTION,
    Course.Status.MAINTENANCE,
    Course.Status.PAUSED,
    Course.Status.COMPLETED,
)
ENDED_STATUSES = (Course.Status.COMPLETED, Course.Status.STOPPED)


def score_from_result(instrument_id: str, result: dict[str, Any] | None) -> float | None:
    """The number outcomes reads from a stored ``ScoreResult.as_dict()``.

    The total for every scale, except the BPI (no total): its severity score (mean of the 4 severity items), as
    ``domain.outcomes`` expects. None when the answers could not be scored.
    """
    if not result:
        return None
    if instrument_id == "bpi_sf":
        value = (result.get("details") or {}).get("severity")
    else:
        value = result.get("total")
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def measurements_from_rows(
    scored: Iterable[tuple[str, dt.datetime, dict[str, Any]]],
    missed: Iterable[tuple[str, dt.datetime]] = (),
) -> dict[str, list[domain.Measurement]]:
    """Scores ``(instrument, completed_at, result)`` and missed measures ``(instrument, due_at)`` as domain
    measurements per instrument, oldest first. Instruments without a response rule are left out."""
    out: dict[str, list[domain.Measurement]] = {}
    for instrument_id, taken_at, result in scored:
        if instrument_id in domain.DEFAULT_RULES:
            score = score_from_result(instrument_id, result)
            out.setdefault(instrument_id, []).append(domain.Measurement(instrument_id, taken_at, score))
    for instrument_id, due_at in missed:
        if instrument_id in domain.DEFAULT_RULES:
            out.setdefault(instrument_id, []).append(domain.Measurement(instrument_id, due_at, None))
    for rows in out.values():
        rows.sort(key=lambda m: m.taken_at)
    return out


@dataclass(frozen=True)
class Phase:
    kind: str  # induction | maintenance | follow_up
    starts_at: dt.datetime
    ends_at: dt.datetime | None

    @property
    def label(self) -> str:
        return charts.PHASE_LABEL[self.kind]


@dataclass(frozen=True)
class CourseTimeline:
    """One course as the outcomes engine sees it: its sessions, its phases and its domain ``Course``.

    ``domain_course`` is None while no session is booked (there is no start to anchor a baseline to).
    """

    course: Course
    sessions: tuple[InfusionSession, ...]
    phases: tuple[Phase, ...]
    domain_course: domain.Course | None

    @property
    def key(self) -> str:
        return str(self.course.uuid)

    @property
    def given(self) -> int:
        return sum(1 for s in self.sessions if s.status in GIVEN)


def course_timeline(
    course: Course,
    sessions: Sequence[InfusionSession],
    *,
    next_start: dt.datetime | None = None,
    booster: bool = False,
) -> CourseTimeline:
    """Phases of ``course`` from its sessions (cancelled and missed ones left out).

    Induction: the first ``protocol.induction_sessions`` sessions (all of them while fewer are booked, unless
    the course has moved on to maintenance or ended). Maintenance: sessions after induction, open-ended while
    the course is in maintenance. Follow-up: after the last session of a completed or stopped course, until
    ``next_start`` (the next course's first infusion) or open-ended. A booster course (booked from an accepted
    booster review) has no induction: its sessions are maintenance.
    """
    kept = tuple(sorted((s for s in sessions if s.status not in NOT_GIVEN), key=lambda s: s.starts_at))
    if not kept:
        return CourseTimeline(course, (), (), None)
    started_at = kept[0].starts_at
    induction_count = max(1, course.protocol.induction_sessions)
    induction_end: dt.datetime | None
    if booster:
        induction_end = started_at
    elif len(kept) >= induction_count:
        induction_end = kept[induction_count - 1].ends_at
    elif course.status in (Course.Status.MAINTENANCE, *ENDED_STATUSES):
        induction_end = kept[-1].ends_at
    else:
        induction_end = None
    ended_at = kept[-1].ends_at if course.status in ENDED_STATUSES else None
    phases = [] if booster else [Phase("induction", started_at, induction_end or kept[-1].ends_at)]
    after = [s for s in kept if induction_end is not None and s.starts_at >= induction_end]
    if induction_end is not None and (after or course.status == Course.Status.MAINTENANCE):
        if ended_at is not None:
            maintenance_end: dt.datetime | None = ended_at
        elif course.status == Course.Status.MAINTENANCE:
            maintenance_end = next_start  # still going: open to the right edge
        else:
            maintenance_end = after[-1].ends_at
        phases.append(Phase("maintenance", induction_end, maintenance_end))
    if ended_at is not None:
        phases.append(Phase("follow_up", ended_at, next_start))
    return CourseTimeline(
        course,
        kept,
        tuple(phases),
        domain.Course(
            course_id=str(course.uuid),
            started_at=started_at,
            induction_ended_at=induction_end,
            ended_at=ended_at,
        ),
    )


def course_windows(
    timelines: Sequence[CourseTimeline], rule: domain.ScaleRule
) -> list[tuple[CourseTimeline, dt.datetime | None]]:
    """Each started course with the end of its follow-up for ``rule`` (as ``domain.classify_courses`` cuts it:
    where the next course's baseline window opens)."""
    started = sorted(
        (t for t in timelines if t.domain_course is not None),
        key=lambda t: t.domain_course.started_at,  # type: ignore[union-attr]
    )
    out: list[tuple[CourseTimeline, dt.datetime | None]] = []
    for index, timeline in enumerate(started):
        until = None
        if index + 1 < len(started):
            nxt = started[index + 1].domain_course
            assert nxt is not None
            until = nxt.started_at - dt.timedelta(days=rule.baseline_window_days)
        out.append((timeline, until))
    return out


@dataclass
class CourseResult:
    timeline: CourseTimeline
    classification: domain.Classification

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.classification.status]

    @property
    def change_text(self) -> str:
        """The latest score against the baseline in words ("45% lower")."""
        pct = self.classification.improvement_percent
        if pct is None:
            return ""
        if abs(pct) < 0.5:
            return "no change"
        return f"{abs(pct):.0f}% {'lower' if pct > 0 else 'higher'}"


@dataclass
class InstrumentProgress:
    instrument_id: str
    rule: domain.ScaleRule
    measurements: list[domain.Measurement]
    results: list[CourseResult]
    chart: charts.TrajectoryChart
    svg: str = ""

    @property
    def label(self) -> str:
        return self.rule.label

    @property
    def description(self) -> str:
        """The chart in words (its SVG ``<desc>``, repeated under the chart in the report)."""
        return charts.describe(self.chart)

    @property
    def rule_text(self) -> str:
        """The definitions applied to this instrument, in plain words (page and report)."""
        return rule_text(self.rule)


@dataclass
class Progress:
    patient: Any
    timelines: list[CourseTimeline]
    instruments: list[InstrumentProgress]
    open_reviews: list[BoosterReview]
    now: dt.datetime
    tz: Any


STATUS_LABELS = {
    domain.Status.NO_BASELINE: "No baseline",
    domain.Status.NO_FOLLOW_UP: "No follow-up yet",
    domain.Status.NON_RESPONSE: "No response",
    domain.Status.PARTIAL_RESPONSE: "Partial response",
    domain.Status.RESPONSE: "Response",
    domain.Status.REMISSION: "Remission",
    domain.Status.RELAPSE: "Relapse",
}


def rule_text(rule: domain.ScaleRule) -> str:
    """Response, remission and relapse for ``rule`` in plain words, from the same numbers the engine uses."""
    label = rule.label
    parts = [f"Response: {label} at least {rule.response_percent:g}% below the course's baseline."]
    if rule.partial_percent is not None:
        parts.append(f"Partial response: at least {rule.partial_percent:g}% below.")
    if rule.remission_at_most is not None:
        parts.append(f"Remission: {label} of {rule.remission_at_most:g} or less.")
    relapse = rule.relapse
    lost = []
    if relapse.lost_fraction is not None:
        lost.append(f"at least {relapse.lost_fraction * 100:g}% of the best improvement is lost")
    if relapse.score_at_least is not None:
        lost.append(f"the score is {relapse.score_at_least:g} or more")
    parts.append(
        f"Relapse: after improving by {relapse.after_percent:g}%, {relapse.consecutive} scores in a row no "
        f"longer show that improvement and {' or '.join(lost)}."
    )
    return " ".join(parts)


def y_max_for(instrument_id: str) -> float:
    """Top of the chart's score axis: the instrument's highest total (BPI severity: 10)."""
    total_range = instruments.get_instrument(instrument_id).total_range
    return float(total_range[1]) if total_range else 10.0


def chart_for(
    rule: domain.ScaleRule,
    measurements: Sequence[domain.Measurement],
    results: Sequence[CourseResult],
    timelines: Sequence[CourseTimeline],
    *,
    tz: Any,
    now: dt.datetime,
) -> charts.TrajectoryChart:
    """The chart data for one instrument: scores, every infusion, every phase, each course's baseline and
    response threshold (baseline × (1 − response %)), and the scale's remission line."""
    started = [t for t in timelines if t.domain_course is not None]
    numbers = {t.key: index + 1 for index, t in enumerate(started)}

    def course_label(moment: dt.datetime) -> str:
        # A score belongs to the latest course whose baseline window has opened by then.
        owner = ""
        for t in started:
            opens = t.domain_course.started_at - dt.timedelta(days=rule.baseline_window_days)  # type: ignore[union-attr]
            if moment >= opens:
                owner = f"Course {numbers[t.key]}"
        return owner

    points = tuple(
        charts.ChartPoint(m.taken_at, float(m.score), course_label(m.taken_at))
        for m in measurements
        if m.score is not None
    )
    markers = tuple(
        charts.ChartMarker(
            s.starts_at,
            f"Infusion {s.sequence} ({t.course.protocol.name})",
            done=s.status in GIVEN or s.starts_at <= now,  # a past session still "booked" was not closed
        )
        for t in timelines
        for s in t.sessions
    )
    phases = tuple(charts.ChartPhase(p.kind, p.starts_at, p.ends_at) for t in timelines for p in t.phases)
    lines: list[charts.ChartLine] = []
    windows = {t.key: until for t, until in course_windows(timelines, rule)}
    for result in results:
        c = result.classification
        if c.baseline is None or c.baseline < rule.min_baseline:
            continue
        start = c.baseline_at
        end = windows.get(result.timeline.key)
        lines.append(charts.ChartLine("baseline", c.baseline, start, end))
        lines.append(
            charts.ChartLine("response", c.baseline * (1 - rule.response_percent / 100.0), start, end)
        )
        if rule.partial_percent is not None:
            lines.append(
                charts.ChartLine("partial", c.baseline * (1 - rule.partial_percent / 100.0), start, end)
            )
    if rule.remission_at_most is not None:
        lines.append(charts.ChartLine("remission", rule.remission_at_most))
    latest = results[-1].classification if results else None
    summary = ""
    if latest is not None:
        summary = f"Latest course: {STATUS_LABELS[latest.status].lower()}."
    return charts.TrajectoryChart(
        instrument_id=rule.instrument_id,
        label=rule.label,
        y_max=y_max_for(rule.instrument_id),
        tz=tz,
        points=points,
        markers=markers,
        phases=phases,
        lines=tuple(lines),
        missed=tuple(m.taken_at for m in measurements if m.score is None),
        until=now,
        summary=summary,
    )


def load_timelines(patient: Any) -> list[CourseTimeline]:
    courses = list(
        Course.objects.current()
        .filter(patient=patient)
        .select_related("protocol", "location")
        .order_by("created_at", "id")
    )
    by_course: dict[int, list[InfusionSession]] = {c.pk: [] for c in courses}
    for session in (
        InfusionSession.objects.current()
        .filter(patient=patient)
        .only("id", "uuid", "course_id", "sequence", "starts_at", "ends_at", "status")
        .order_by("starts_at", "id")
    ):
        if session.course_id in by_course:
            by_course[session.course_id].append(session)
    booster_courses = set(
        BoosterReview.objects.filter(patient=patient, status=BoosterReview.Status.ACCEPTED).values_list(
            "booked_course_id", flat=True
        )
    )
    first_start = {
        c.pk: min((s.starts_at for s in by_course[c.pk] if s.status not in NOT_GIVEN), default=None)
        for c in courses
    }
    ordered = sorted(courses, key=lambda c: (first_start[c.pk] is None, first_start[c.pk] or c.created_at))
    timelines = []
    for index, course in enumerate(ordered):
        next_start = next(
            (first_start[c.pk] for c in ordered[index + 1 :] if first_start[c.pk] is not None), None
        )
        timelines.append(
            course_timeline(
                course, by_course[course.pk], next_start=next_start, booster=course.pk in booster_courses
            )
        )
    return timelines


def patient_measurements(patient: Any) -> dict[str, list[domain.Measurement]]:
    """Every current score of the patient (intake and scheduled measures) and every expired request."""
    from ketaflow.intake.models import QuestionnaireResponse

    scored = (
        QuestionnaireResponse.objects.current()
        .filter(patient=patient, instrument__in=SCORED_INSTRUMENTS)
        .values_list("instrument", "completed_at", "result")
    )
    missed = MeasurementRequest.objects.filter(
        patient=patient, instrument__in=SCORED_INSTRUMENTS, status=MeasurementRequest.Status.EXPIRED
    ).values_list("instrument", "due_at")
    return measurements_from_rows(scored, missed)


def classify(
    measurements: dict[str, list[domain.Measurement]], timelines: Sequence[CourseTimeline]
) -> dict[str, list[CourseResult]]:
    """``domain.classify_courses`` per instrument over the started courses, paired back with the courses."""
    started = [t for t in timelines if t.domain_course is not None]
    by_key = {t.key: t for t in started}
    out: dict[str, list[CourseResult]] = {}
    for instrument_id, rows in measurements.items():
        rule = domain.DEFAULT_RULES[instrument_id]
        made = domain.classify_courses(rows, [t.domain_course for t in started], rule)  # type: ignore[misc]
        out[instrument_id] = [CourseResult(by_key[c.course_id], c) for c in made]
    return out


def patient_progress(*, patient: Any, now: dt.datetime | None = None, with_svg: bool = True) -> Progress:
    """Everything the progress page and report show, in 6 queries whatever the number of rows: courses (with
    protocol and location), sessions, booster courses, scores, missed measures, open booster reviews."""
    now = now or timezone.now()
    location = patient.preferred_location
    tz = location.tz if location is not None else timezone.get_current_timezone()
    timelines = load_timelines(patient)
    measurements = patient_measurements(patient)
    results = classify(measurements, timelines)
    progress_rows = []
    for instrument_id in SCORED_INSTRUMENTS:
        if instrument_id not in measurements:
            continue
        rule = domain.DEFAULT_RULES[instrument_id]
        rows = measurements[instrument_id]
        course_results = results.get(instrument_id, [])
        chart = chart_for(rule, rows, course_results, timelines, tz=tz, now=now)
        item = InstrumentProgress(instrument_id, rule, rows, course_results, chart)
        if with_svg:
            item.svg = charts.trajectory_svg(chart)
        progress_rows.append(item)
    reviews = list(
        BoosterReview.objects.filter(patient=patient, status=BoosterReview.Status.OPEN)
        .select_related("course__protocol")
        .order_by("created_at", "id")
    )
    return Progress(
        patient=patient,
        timelines=timelines,
        instruments=progress_rows,
        open_reviews=reviews,
        now=now,
        tz=tz,
    )
