"""Classify one instrument's trajectory within a treatment course: response, remission, relapse."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from .definitions import ScaleRule

# Scores such as the PEG (mean of three items) are not exact in binary floating point; 30% of 7.0 must count.
TOLERANCE = 1e-6


class Status(StrEnum):
    """Where the latest scored measure of a course stands."""

    NO_BASELINE = "no_baseline"
    NO_FOLLOW_UP = "no_follow_up"
    NON_RESPONSE = "non_response"
    PARTIAL_RESPONSE = "partial_response"
    RESPONSE = "response"
    REMISSION = "remission"
    RELAPSE = "relapse"


@dataclass(frozen=True)
class Measurement:
    """One administration of an instrument. ``score`` None = due but missed or left incomplete."""

    instrument_id: str
    taken_at: datetime
    score: float | None


@dataclass(frozen=True)
class Course:
    """A treatment course: ``started_at`` is the first infusion; the baseline is taken in the days before it."""

    course_id: str
    started_at: datetime
    induction_ended_at: datetime | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Classification:
    """Outcome of one instrument in one course.

    ``improvement_percent`` is (baseline − latest) / baseline × 100 (positive = better). ``relapsed_at`` is the
    measure that confirmed the latest relapse in the course (kept after response is regained);
    ``pending_relapse_measures`` counts measures towards a relapse not yet confirmed.
    """

    course_id: str
    instrument_id: str
    status: Status
    reasons: tuple[str, ...]
    baseline: float | None = None
    baseline_at: datetime | None = None
    latest: float | None = None
    latest_at: datetime | None = None
    improvement_percent: float | None = None
    responded_at: datetime | None = None
    relapsed_at: datetime | None = None
    pending_relapse_measures: int = 0
    missed_measures: int = 0


@dataclass(frozen=True)
class _Walk:
    classification: Classification
    scored: tuple[Measurement, ...]
    reference_reached_at: datetime | None
    best_gain: float


def improvement_percent(baseline: float, score: float) -> float:
    """Percent improvement from baseline (lower scores are better); baseline must be > 0."""
    return (baseline - score) / baseline * 100.0


def counts_towards_relapse(rule: ScaleRule, baseline: float, best_gain: float, score: float) -> bool:
    """True when ``score`` has lost the improvement ``rule.relapse`` protects (see RelapseRule)."""
    relapse = rule.relapse
    if improvement_percent(baseline, score) >= relapse.after_percent - TOLERANCE:
        return False
    gain = baseline - score
    lost_enough = (
        relapse.lost_fraction is not None
        and best_gain > 0
        and best_gain - gain >= relapse.lost_fraction * best_gain - TOLERANCE
    )
    too_high = relapse.score_at_least is not None and score >= relapse.score_at_least - TOLERANCE
    return lost_enough or too_high


def classify_course(
    measurements: Iterable[Measurement], course: Course, rule: ScaleRule, *, until: datetime | None = None
) -> Classification:
    """Classify ``rule.instrument_id`` in one course from its baseline to ``until`` (exclusive, or open-ended).

    Baseline: the latest score in the ``rule.baseline_window_days`` up to and including the course start.
    Follow-up: scores after the start. Missed measures (score None) are skipped and counted.
    """
    return _walk(measurements, course, rule, until).classification


def classify_courses(
    measurements: Iterable[Measurement], courses: Sequence[Course], rule: ScaleRule
) -> list[Classification]:
    """Classify each course separately: every course is re-baselined and response is earned again.

    A course's follow-up ends where the next course's baseline window opens, so a pre-course score belongs to
    the new course.
    """
    data = list(measurements)
    ordered = sorted(courses, key=lambda c: c.started_at)
    out = []
    for index, course in enumerate(ordered):
        until = None
        if index + 1 < len(ordered):
            until = ordered[index + 1].started_at - timedelta(days=rule.baseline_window_days)
        out.append(classify_course(data, course, rule, until=until))
    return out


def _fmt(value: float) -> str:
    return f"{value:g}"


def _walk(
    measurements: Iterable[Measurement], course: Course, rule: ScaleRule, until: datetime | None
) -> _Walk:
    label = rule.label
    mine = sorted(
        (m for m in measurements if m.instrument_id == rule.instrument_id), key=lambda m: m.taken_at
    )
    opens = course.started_at - timedelta(days=rule.baseline_window_days)
    candidates = [m for m in mine if opens <= m.taken_at <= course.started_at and m.score is not None]
    follow = [m for m in mine if m.taken_at > course.started_at and (until is None or m.taken_at < until)]
    scored = tuple(m for m in follow if m.score is not None)
    missed = len(follow) - len(scored)

    def result(
        status: Status, *reasons: str, baseline: float | None = None, baseline_at: datetime | None = None
    ) -> _Walk:
        made = Classification(
            course_id=course.course_id,
            instrument_id=rule.instrument_id,
            status=status,
            reasons=tuple(reasons),
            baseline=baseline,
            baseline_at=baseline_at,
            missed_measures=missed,
        )
        return _Walk(made, scored, None, 0.0)

    if not candidates:
        return result(
            Status.NO_BASELINE,
            f"No {label} score in the {rule.baseline_window_days} days up to the course start "
            f"({course.started_at.date()}): change cannot be measured.",
        )
    base = candidates[-1]
    assert base.score is not None
    baseline = float(base.score)
    if baseline < rule.min_baseline:
        return result(
            Status.NO_BASELINE,
            f"Baseline {label} {_fmt(baseline)} is below {_fmt(rule.min_baseline)}: too low to measure change.",
            baseline=baseline,
            baseline_at=base.taken_at,
        )
    base_reason = f"Baseline {label} {_fmt(baseline)} on {base.taken_at.date()}."
    if not scored:
        return result(
            Status.NO_FOLLOW_UP,
            base_reason,
            f"No {label} score since the course started" + (f" ({missed} missed)." if missed else "."),
            baseline=baseline,
            baseline_at=base.taken_at,
        )

    relapse = rule.relapse
    responded_at: datetime | None = None
    reference_at: datetime | None = None
    best_gain = 0.0
    run = 0
    active = False
    relapsed_at: datetime | None = None
    for m in scored:
        score = float(m.score or 0.0)
        pct = improvement_percent(baseline, score)
        if responded_at is None and pct >= rule.response_percent - TOLERANCE:
            responded_at = m.taken_at
        if pct >= relapse.after_percent - TOLERANCE:
            reference_at = reference_at or m.taken_at
            best_gain = max(best_gain, baseline - score)
            run, active = 0, False
        elif reference_at is not None and counts_towards_relapse(rule, baseline, best_gain, score):
            run += 1
            if run >= relapse.consecutive and not active:
                active, relapsed_at = True, m.taken_at
        else:
            run = 0

    last = scored[-1]
    latest = float(last.score or 0.0)
    pct = improvement_percent(baseline, latest)
    change = f"Latest {label} {_fmt(latest)} on {last.taken_at.date()}: {pct:.0f}% below baseline."
    reasons = [base_reason, change]
    if active:
        status = Status.RELAPSE
        reasons.append(
            f"Relapse: after improving by at least {_fmt(relapse.after_percent)}%, {relapse.consecutive} "
            f"consecutive scores lost that gain (confirmed {relapsed_at.date() if relapsed_at else ''})."
        )
    elif rule.remission_at_most is not None and latest <= rule.remission_at_most + TOLERANCE:
        status = Status.REMISSION
        reasons.append(f"Remission: {label} at or under {_fmt(rule.remission_at_most)}.")
    elif pct >= rule.response_percent - TOLERANCE:
        status = Status.RESPONSE
        reasons.append(f"Response: at least {_fmt(rule.response_percent)}% below baseline.")
    elif rule.partial_percent is not None and pct >= rule.partial_percent - TOLERANCE:
        status = Status.PARTIAL_RESPONSE
        reasons.append(
            f"Partial response: at least {_fmt(rule.partial_percent)}% but under "
            f"{_fmt(rule.response_percent)}% below baseline."
        )
    else:
        status = Status.NON_RESPONSE
        reasons.append(
            f"No response: under {_fmt(rule.partial_percent or rule.response_percent)}% below baseline."
        )
    pending = 0 if active else run
    if pending:
        reasons.append(
            f"{pending} of {relapse.consecutive} consecutive scores needed for relapse have lost the gain."
        )
    if relapsed_at is not None and not active:
        reasons.append(f"An earlier relapse (confirmed {relapsed_at.date()}) has since recovered.")
    if missed:
        reasons.append(f"{missed} {label} measure(s) missed in this course.")
    made = Classification(
        course_id=course.course_id,
        instrument_id=rule.instrument_id,
        status=status,
        reasons=tuple(reasons),
        baseline=baseline,
        baseline_at=base.taken_at,
        latest=latest,
        latest_at=last.taken_at,
        improvement_percent=pct,
        responded_at=responded_at,
        relapsed_at=relapsed_at,
        pending_relapse_measures=pending,
        missed_measures=missed,
    )
    return _Walk(made, scored, reference_at, best_gain)
