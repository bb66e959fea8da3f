"""Half-open interval arithmetic on integer seconds since the Unix epoch (UTC).

Every list handled here is *normalised*: sorted by start, non-empty intervals, pairwise disjoint and not
touching. All operations are linear merges over two normalised lists, so the scheduling code never scans
minute by minute.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence

Interval = tuple[int, int]
"""``(start, end)`` in integer seconds since the epoch, half-open: ``start <= t < end``."""


def normalise(intervals: Iterable[Interval]) -> list[Interval]:
    """Sort, drop empty intervals and merge overlapping or touching ones."""
    ordered = sorted(iv for iv in intervals if iv[1] > iv[0])
    merged: list[Interval] = []
    for start, end in ordered:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def intersect(left: Sequence[Interval], right: Sequence[Interval]) -> list[Interval]:
    """Intersection of two normalised lists (result normalised)."""
    result: list[Interval] = []
    i = j = 0
    while i < len(left) and j < len(right):
        start = max(left[i][0], right[j][0])
        end = min(left[i][1], right[j][1])
        if start < end:
            result.append((start, end))
        if left[i][1] < right[j][1]:
            i += 1
        else:
            j += 1
    return result


def subtract(base: Sequence[Interval], holes: Sequence[Interval]) -> list[Interval]:
    """Parts of the normalised list ``base`` not covered by the normalised list ``holes``."""
    result: list[Interval] = []
    j = 0
    n_holes = len(holes)
    for start, end in base:
        # Skip holes entirely before this interval.
        while j < n_holes and holes[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < n_holes and holes[k][0] < end:
            if holes[k][0] > cursor:
                result.append((cursor, holes[k][0]))
            cursor = max(cursor, holes[k][1])
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            result.append((cursor, end))
    return result


def clip(intervals: Sequence[Interval], start: int, end: int) -> list[Interval]:
    """Restrict a normalised list to ``[start, end)``."""
    return intersect(intervals, [(start, end)]) if start < end else []


def covers(intervals: Sequence[Interval], starts: Sequence[int], start: int, end: int) -> bool:
    """Whether ``[start, end)`` lies inside one interval of a normalised list (``starts`` = its starts)."""
    index = bisect_right(starts, start) - 1
    return index >= 0 and intervals[index][1] >= end
