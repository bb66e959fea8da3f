"""Interval arithmetic agrees with plain sets of integer points."""

from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.scheduling.intervals import Interval, clip, covers, intersect, normalise, subtract

raw_intervals = st.lists(
    st.tuples(st.integers(0, 60), st.integers(0, 12)).map(lambda pair: (pair[0], pair[0] + pair[1])),
    max_size=8,
)


def points(intervals: list[Interval]) -> set[int]:
    return {t for start, end in intervals for t in range(start, end)}


def is_normalised(intervals: list[Interval]) -> bool:
    return all(start < end for start, end in intervals) and all(
        a[1] < b[0] for a, b in zip(intervals, intervals[1:], strict=False)
    )


@given(raw_intervals)
def test_normalise_keeps_the_same_points_sorted_and_disjoint(raw: list[Interval]) -> None:
    result = normalise(raw)
    assert is_normalised(result)
    assert points(result) == points(raw)


@given(raw_intervals, raw_intervals)
def test_intersect_and_subtract_match_set_operations(
    left_raw: list[Interval], right_raw: list[Interval]
) -> None:
    left, right = normalise(left_raw), normalise(right_raw)
    both = intersect(left, right)
    rest = subtract(left, right)
    assert is_normalised(both)
    assert is_normalised(rest)
    assert points(both) == points(left) & points(right)
    assert points(rest) == points(left) - points(right)
    assert subtract(left, right, [end for _, end in right]) == rest


@given(raw_intervals, st.integers(0, 70), st.integers(0, 20))
def test_clip_and_covers(raw: list[Interval], start: int, length: int) -> None:
    base = normalise(raw)
    assert points(clip(base, start, start + length)) == points(base) & set(range(start, start + length))
    if length:
        expected = set(range(start, start + length)) <= points(base)
        assert covers(base, [s for s, _ in base], start, start + length) == expected
