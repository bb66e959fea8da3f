"""Delivered dose from what the pump actually did: start, pause, resume, rate change, stop, bolus.

Events are turned into constant-rate segments; the delivered dose is the sum of rate × duration over the
segments plus the boluses. Times are timezone-aware datetimes; rates are mg/h; doses are mg (floats,
unrounded). Splitting a segment in two never changes the total (tested with hypothesis).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ketaflow.domain.dosing import errors
from ketaflow.domain.dosing.errors import DoseError

SECONDS_PER_HOUR = 3600.0


class EventKind(StrEnum):
    START = "start"
    PAUSE = "pause"
    RESUME = "resume"
    RATE_CHANGE = "rate_change"
    STOP = "stop"
    BOLUS = "bolus"


class PumpState(StrEnum):
    NOT_STARTED = "not started"
    RUNNING = "running"
    PAUSED = "paused"
    STOPPED = "stopped"


@dataclass(frozen=True)
class InfusionEvent:
    """One pump event. START and RATE_CHANGE need ``rate_mg_per_h``; RESUME may give a new one;
    BOLUS needs ``bolus_mg``."""

    at: datetime
    kind: EventKind
    rate_mg_per_h: float | None = None
    bolus_mg: float | None = None


@dataclass(frozen=True)
class RateSegment:
    """A stretch of time at a constant rate (mg/h)."""

    start: datetime
    end: datetime
    rate_mg_per_h: float

    def __post_init__(self) -> None:
        if self.end < self.start:
            raise DoseError([errors.SEGMENT_ENDS_BEFORE_START])

    @property
    def hours(self) -> float:
        return (self.end - self.start).total_seconds() / SECONDS_PER_HOUR

    @property
    def mg(self) -> float:
        """Drug delivered in this segment, in mg."""
        return self.rate_mg_per_h * self.hours


@dataclass(frozen=True)
class Bolus:
    at: datetime
    mg: float


def split_segment(segment: RateSegment, at: datetime) -> tuple[RateSegment, RateSegment]:
    """Cut ``segment`` at time ``at`` into two segments at the same rate."""
    if not segment.start <= at <= segment.end:
        raise DoseError([errors.SPLIT_OUTSIDE_SEGMENT])
    return (
        RateSegment(segment.start, at, segment.rate_mg_per_h),
        RateSegment(at, segment.end, segment.rate_mg_per_h),
    )


def delivered_mg(segments: Iterable[RateSegment], boluses: Iterable[Bolus] = ()) -> float:
    """Total drug delivered in mg: Σ rate (mg/h) × duration (h) over segments, plus boluses (mg)."""
    return sum(s.mg for s in segments) + sum(b.mg for b in boluses)


def _required_rate(event: InfusionEvent) -> float:
    if event.rate_mg_per_h is None:
        raise DoseError([errors.RATE_REQUIRED.format(kind=event.kind.value)])
    if not math.isfinite(event.rate_mg_per_h):
        raise DoseError([errors.RATE_NOT_A_NUMBER.format(kind=event.kind.value)])
    if event.rate_mg_per_h < 0:
        raise DoseError([errors.RATE_NEGATIVE.format(kind=event.kind.value)])
    return event.rate_mg_per_h


_ALLOWED_FROM: dict[EventKind, tuple[PumpState, ...]] = {
    EventKind.START: (PumpState.NOT_STARTED,),
    EventKind.PAUSE: (PumpState.RUNNING,),
    EventKind.RESUME: (PumpState.PAUSED,),
    EventKind.RATE_CHANGE: (PumpState.RUNNING, PumpState.PAUSED),
    EventKind.STOP: (PumpState.RUNNING, PumpState.PAUSED),
    EventKind.BOLUS: (PumpState.NOT_STARTED, PumpState.RUNNING, PumpState.PAUSED, PumpState.STOPPED),
}


def _walk(events: Sequence[InfusionEvent], as_of: datetime | None) -> tuple[list[RateSegment], list[Bolus]]:
    segments: list[RateSegment] = []
    boluses: list[Bolus] = []
    state = PumpState.NOT_STARTED
    rate = 0.0
    running_since: datetime | None = None
    previous: datetime | None = None

    def close(at: datetime) -> None:
        assert running_since is not None
        if at > running_since:
            segments.append(RateSegment(running_since, at, rate))

    for event in events:
        if previous is not None and event.at < previous:
            raise DoseError([errors.EVENTS_NOT_IN_TIME_ORDER])
        previous = event.at
        if state not in _ALLOWED_FROM[event.kind]:
            raise DoseError([errors.EVENT_OUT_OF_ORDER.format(kind=event.kind.value, state=state.value)])
        if event.kind is EventKind.START:
            rate, running_since, state = _required_rate(event), event.at, PumpState.RUNNING
        elif event.kind is EventKind.PAUSE:
            close(event.at)
            state = PumpState.PAUSED
        elif event.kind is EventKind.RESUME:
            if event.rate_mg_per_h is not None:
                rate = _required_rate(event)
            running_since, state = event.at, PumpState.RUNNING
        elif event.kind is EventKind.RATE_CHANGE:
            new_rate = _required_rate(event)
            if state is PumpState.RUNNING:
                close(event.at)
                running_since = event.at
            rate = new_rate
        elif event.kind is EventKind.STOP:
            if state is PumpState.RUNNING:
                close(event.at)
            state = PumpState.STOPPED
        else:  # BOLUS
            if event.bolus_mg is None or not (event.bolus_mg > 0 and math.isfinite(event.bolus_mg)):
                raise DoseError([errors.BOLUS_REQUIRED])
            boluses.append(Bolus(event.at, event.bolus_mg))

    if state is PumpState.RUNNING:
        if as_of is None:
            raise DoseError([errors.INFUSION_STILL_RUNNING])
        if previous is not None and as_of < previous:
            raise DoseError([errors.EVENTS_NOT_IN_TIME_ORDER])
        close(as_of)
    return segments, boluses


def segments_from_events(
    events: Sequence[InfusionEvent], *, as_of: datetime | None = None
) -> tuple[RateSegment, ...]:
    """Constant-rate segments from pump events in time order; raises ``DoseError`` on an impossible
    sequence (e.g. resume after stop). A still-running infusion is counted up to ``as_of``."""
    segments, _ = _walk(events, as_of)
    return tuple(segments)


def delivered_mg_from_events(events: Sequence[InfusionEvent], *, as_of: datetime | None = None) -> float:
    """Drug delivered in mg by the pump events (infusion segments plus boluses), up to ``as_of`` if running."""
    segments, boluses = _walk(events, as_of)
    return delivered_mg(segments, boluses)
