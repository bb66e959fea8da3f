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
    merged: list[Interval] = []
    current_start = current_end = 0
    for start, end in sorted(intervals):
        if end <= start:
            continue
        if merged and start <= current_end:
            if end > current_end:
                current_end = end
                merged[-1] = (current_start, end)
        else:
            current_start, current_end = start, end
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


def subtract(
    base: Sequence[Interval], holes: Sequence[Interval], hole_ends: Sequence[int] | None = None
) -> list[Interval]:
    """Parts of the normalised list ``base`` not covered by the normalised list ``holes``.

    ``hole_ends`` (the end of each hole, precomputed by the caller when the same holes are reused) lets
    each base interval jump to its first relevant hole by bisection, so holes far from ``base`` cost nothing.
    """
    if not holes:
        return list(base)
    if hole_ends is None:
        hole_ends = [end for _, end in holes]
    result: list[Interval] = []
    append = result.append
    n_holes = len(holes)
    for start, end in base:
        k = bisect_right(hole_ends, start)
        cursor = start
        while k < n_holes:
            hole_start, hole_end = holes[k]
            if hole_start >= end:
                break
            if hole_start > cursor:
                append((cursor, hole_start))
            if hole_end > cursor:
                cursor = hole_end
            if cursor >= end:
                break
            k += 1
        if cursor < end:
            append((cursor, end))
    return result


def clip(intervals: Sequence[Interval], start: int, end: int) -> list[Interval]:
    """Restrict a normalised list to ``[start, end)``."""
    return intersect(intervals, [(start, end)]) if start < end else []


def covers(intervals: Sequence[Interval], starts: Sequence[int], start: int, end: int) -> bool:
    """Whether ``[start, end)`` lies inside one interval of a normalised list (``starts`` = its starts)."""
    index = bisect_right(starts, start) - 1
    return index >= 0 and intervals[index][1] >= end
