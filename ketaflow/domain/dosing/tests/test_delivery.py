"""Delivered dose from pump events and rate segments."""

import math
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.dosing import (
    DoseError,
    EventKind,
    InfusionEvent,
    RateSegment,
    delivered_mg,
    delivered_mg_from_events,
    errors,
    segments_from_events,
    split_segment,
)

T0 = datetime(2026, 3, 2, 14, 0, tzinfo=UTC)


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_standard_infusion_delivers_the_ordered_dose() -> None:
    events = [
        InfusionEvent(at(0), EventKind.START, rate_mg_per_h=60.0),
        InfusionEvent(at(40), EventKind.STOP),
    ]
    assert math.isclose(delivered_mg_from_events(events), 40.0)


def test_pause_resume_rate_change_and_bolus() -> None:
    events = [
        InfusionEvent(at(0), EventKind.START, rate_mg_per_h=60.0),  # 10 min -> 10 mg
        InfusionEvent(at(10), EventKind.PAUSE),  # paused 5 min -> 0
        InfusionEvent(at(15), EventKind.RESUME),  # resumes at 60 mg/h, 15 min -> 15 mg
        InfusionEvent(at(30), EventKind.RATE_CHANGE, rate_mg_per_h=30.0),  # 20 min -> 10 mg
        InfusionEvent(at(40), EventKind.BOLUS, bolus_mg=5.0),
        InfusionEvent(at(50), EventKind.STOP),
    ]
    assert math.isclose(delivered_mg_from_events(events), 10 + 15 + 10 + 5)
    segments = segments_from_events(events)
    assert [s.rate_mg_per_h for s in segments] == [60.0, 60.0, 30.0]


def test_running_infusion_is_counted_up_to_as_of() -> None:
    events = [InfusionEvent(at(0), EventKind.START, rate_mg_per_h=60.0)]
    assert math.isclose(delivered_mg_from_events(events, as_of=at(20)), 20.0)


def test_running_infusion_without_as_of_is_refused() -> None:
    with pytest.raises(DoseError) as excinfo:
        delivered_mg_from_events([InfusionEvent(at(0), EventKind.START, rate_mg_per_h=60.0)])
    assert errors.INFUSION_STILL_RUNNING in excinfo.value.messages


@pytest.mark.parametrize(
    ("events", "message"),
    [
        (
            [InfusionEvent(at(0), EventKind.PAUSE)],
            errors.EVENT_OUT_OF_ORDER.format(kind="pause", state="not started"),
        ),
        (
            [
                InfusionEvent(at(10), EventKind.START, rate_mg_per_h=60.0),
                InfusionEvent(at(5), EventKind.STOP),
            ],
            errors.EVENTS_NOT_IN_TIME_ORDER,
        ),
        ([InfusionEvent(at(0), EventKind.START)], errors.RATE_REQUIRED.format(kind="start")),
        (
            [InfusionEvent(at(0), EventKind.START, rate_mg_per_h=math.nan)],
            errors.RATE_NOT_A_NUMBER.format(kind="start"),
        ),
        (
            [InfusionEvent(at(0), EventKind.BOLUS, bolus_mg=0.0)],
            errors.BOLUS_REQUIRED,
        ),
        (
            [InfusionEvent(at(0), EventKind.START, rate_mg_per_h=-1.0)],
            errors.RATE_NEGATIVE.format(kind="start"),
        ),
        (
            [
                InfusionEvent(at(0), EventKind.START, rate_mg_per_h=60.0),
                InfusionEvent(at(5), EventKind.STOP),
                InfusionEvent(at(6), EventKind.RESUME),
            ],
            errors.EVENT_OUT_OF_ORDER.format(kind="resume", state="stopped"),
        ),
    ],
)
def test_impossible_event_sequences_are_refused(events: list[InfusionEvent], message: str) -> None:
    with pytest.raises(DoseError) as excinfo:
        segments_from_events(events)
    assert message in excinfo.value.messages


segment_strategy = st.builds(
    lambda start_min, length_min, rate: RateSegment(at(start_min), at(start_min + length_min), rate),
    st.floats(min_value=0, max_value=600, allow_nan=False),
    st.floats(min_value=0, max_value=600, allow_nan=False),
    st.floats(min_value=0, max_value=2000, allow_nan=False),
)


@given(
    segments=st.lists(segment_strategy, min_size=1, max_size=8),
    which=st.integers(min_value=0),
    fraction=st.floats(min_value=0, max_value=1),
)
def test_splitting_a_segment_never_changes_the_delivered_dose(
    segments: list[RateSegment], which: int, fraction: float
) -> None:
    index = which % len(segments)
    target = segments[index]
    cut = target.start + (target.end - target.start) * fraction
    first, second = split_segment(target, cut)
    split = [*segments[:index], first, second, *segments[index + 1 :]]
    assert math.isclose(delivered_mg(split), delivered_mg(segments), rel_tol=1e-9, abs_tol=1e-9)


@given(
    rate=st.floats(min_value=0, max_value=2000, allow_nan=False),
    cuts=st.lists(st.floats(min_value=0.5, max_value=239.5), max_size=10, unique=True),
)
def test_rate_changes_to_the_same_rate_never_change_the_delivered_dose(
    rate: float, cuts: list[float]
) -> None:
    events = [InfusionEvent(at(0), EventKind.START, rate_mg_per_h=rate)]
    events += [InfusionEvent(at(c), EventKind.RATE_CHANGE, rate_mg_per_h=rate) for c in sorted(cuts)]
    events.append(InfusionEvent(at(240), EventKind.STOP))
    assert math.isclose(delivered_mg_from_events(events), rate * 4, rel_tol=1e-9, abs_tol=1e-9)
