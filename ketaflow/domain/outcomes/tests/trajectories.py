"""Compact builders for trajectories: day offsets from a course start, scores or None for a missed measure."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from ketaflow.domain.outcomes import Course, Measurement

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def at(day: float) -> datetime:
    return START + timedelta(days=day)


def course(course_id: str = "c1", start_day: float = 0, induction_days: float = 14) -> Course:
    return Course(
        course_id=course_id,
        started_at=at(start_day),
        induction_ended_at=at(start_day + induction_days),
    )


def series(
    instrument: str, points: Sequence[tuple[float, float | None]], baseline: float | None = None
) -> list[Measurement]:
    """Measurements at ``(day, score)``; ``baseline`` adds a score three days before day 0."""
    out = [Measurement(instrument, at(-3), baseline)] if baseline is not None else []
    out.extend(Measurement(instrument, at(day), score) for day, score in points)
    return out


def weekly(instrument: str, baseline: float | None, scores: Sequence[float | None]) -> list[Measurement]:
    """Baseline three days before the course, then one measure a week from day 7."""
    return series(instrument, [(7 * (i + 1), s) for i, s in enumerate(scores)], baseline)
