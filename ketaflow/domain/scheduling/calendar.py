"""Local calendar arithmetic: wall-clock windows on local dates → UTC intervals (integer seconds).

A :class:`LocalCalendar` covers a run of local dates in one time zone. On ordinary days a wall-clock time
is local midnight (as a UTC instant) plus seconds since midnight; on the few days with a DST transition
it falls back to ``zoneinfo`` for each conversion, so windows are exact on 23- and 25-hour days.
Nonexistent wall times (the spring-forward gap) resolve as ``zoneinfo`` does with ``fold=0``.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_right
from collections import defaultdict
from collections.abc import Iterable, Sequence
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ketaflow.domain.scheduling import errors
from ketaflow.domain.scheduling.intervals import Interval, normalise, subtract
from ketaflow.domain.scheduling.model import (
    AvailabilityException,
    AvailabilityTemplate,
    Closure,
    Id,
    Location,
    WeeklyWindow,
)

EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
ONE_SECOND = dt.timedelta(seconds=1)
DAY_SECONDS = 86_400


def zone(name: str) -> ZoneInfo:
    """The ``ZoneInfo`` for ``name``; raises ``SchedulingError`` for an unknown zone."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise errors.SchedulingError(errors.UNKNOWN_TIME_ZONE.format(name=name)) from exc


def to_seconds(value: dt.datetime) -> int:
    """Whole seconds since the epoch, rounded down (exact integer arithmetic)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise errors.SchedulingError(errors.NAIVE_DATETIME)
    return (value - EPOCH) // ONE_SECOND


def to_seconds_ceil(value: dt.datetime) -> int:
    """Whole seconds since the epoch, rounded up."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise errors.SchedulingError(errors.NAIVE_DATETIME)
    return -((EPOCH - value) // ONE_SECOND)


def _seconds_of(t: dt.time) -> int:
    return t.hour * 3600 + t.minute * 60 + t.second


class LocalCalendar:
    """Local dates ``first_day..last_day`` (inclusive) of one time zone, with UTC conversions and offsets."""

    def __init__(self, tz: ZoneInfo, first_day: dt.date, last_day: dt.date) -> None:
        self.tz = tz
        self.first_day = first_day
        self.n_days = max(0, (last_day - first_day).days + 1)
        self.midnights: list[int] = []
        for i in range(self.n_days + 1):
            day = first_day + dt.timedelta(days=i)
            self.midnights.append(to_seconds(dt.datetime.combine(day, dt.time(0), tzinfo=tz)))
        # Offset segments: (UTC start, offset seconds); the first one starts before the calendar.
        self.segment_starts: list[int] = [self.midnights[0] - 2 * DAY_SECONDS]
        self.segment_offsets: list[int] = [self._offset_at(self.midnights[0])]
        self.transition_days: set[int] = set()
        for i in range(self.n_days):
            low, high = self.midnights[i], self.midnights[i + 1]
            if high - low != DAY_SECONDS or self._offset_at(high) != self.segment_offsets[-1]:
                self.transition_days.add(i)
                self._add_transition(low, high)

    def _offset_at(self, seconds: int) -> int:
        offset = dt.datetime.fromtimestamp(seconds, self.tz).utcoffset()
        assert offset is not None
        return int(offset.total_seconds())

    def _add_transition(self, low: int, high: int) -> None:
        """Record the offset change in ``(low, high]`` (one per day at most), found by bisection."""
        current = self._offset_at(low)
        if self._offset_at(high) == current:
            return
        while high - low > 1:
            middle = (low + high) // 2
            if self._offset_at(middle) == current:
                low = middle
            else:
                high = middle
        self.segment_starts.append(high)
        self.segment_offsets.append(self._offset_at(high))

    def day(self, index: int) -> dt.date:
        """The local date of day ``index``."""
        return self.first_day + dt.timedelta(days=index)

    def index_of(self, day: dt.date) -> int:
        """Day index of a local date (may fall outside ``0..n_days-1``)."""
        return (day - self.first_day).days

    def day_bounds(self, index: int) -> Interval:
        """``[local midnight, next local midnight)`` of day ``index`` in UTC seconds."""
        return self.midnights[index], self.midnights[index + 1]

    def wall_to_utc(self, index: int, t: dt.time) -> int:
        """UTC seconds of wall-clock time ``t`` on day ``index``."""
        if index not in self.transition_days:
            return self.midnights[index] + _seconds_of(t)
        return to_seconds(dt.datetime.combine(self.day(index), t, tzinfo=self.tz))

    def window(self, index: int, start: dt.time, end: dt.time) -> Interval:
        """A wall-clock window on day ``index`` as UTC seconds."""
        return self.wall_to_utc(index, start), self.wall_to_utc(index, end)

    def offset_segments(self) -> tuple[list[int], list[int]]:
        """Sorted UTC instants where the UTC offset changes, and the offset (seconds) from each."""
        return self.segment_starts, self.segment_offsets

    def day_index_at(self, seconds: int) -> int:
        """Index of the local day containing the UTC instant ``seconds``."""
        return bisect_right(self.midnights, seconds) - 1


def calendar_for(location: Location, start: int, end: int) -> LocalCalendar:
    """A calendar covering every local date touched by UTC seconds ``[start, end]`` at ``location``."""
    tz = zone(location.time_zone)
    first = dt.datetime.fromtimestamp(start, tz).date() - dt.timedelta(days=1)
    last = dt.datetime.fromtimestamp(end, tz).date() + dt.timedelta(days=1)
    return LocalCalendar(tz, first, last)


def iter_grid(
    low: int, high: int, step: int, segment_starts: Sequence[int], offsets: Sequence[int]
) -> list[range]:
    """Instants ``t`` in ``[low, high]`` whose local wall-clock time is a multiple of ``step`` seconds.

    Returned as one ``range`` per UTC-offset segment crossed (almost always exactly one).
    """
    ranges: list[range] = []
    index = max(bisect_right(segment_starts, low) - 1, 0)
    n_segments = len(segment_starts)
    while low <= high:
        segment_end = segment_starts[index + 1] if index + 1 < n_segments else high + 1
        top = min(high, segment_end - 1)
        offset = offsets[index]
        first = low + (-(low + offset)) % step
        if first <= top:
            ranges.append(range(first, top + 1, step))
        low = segment_end
        index += 1
    return ranges


def opening_intervals(location: Location, calendar: LocalCalendar) -> list[Interval]:
    """Opening hours of every calendar day that is not closed, as a normalised list of UTC intervals."""
    by_weekday: dict[int, list[WeeklyWindow]] = defaultdict(list)
    for window in location.opening_hours:
        by_weekday[window.weekday].append(window)
    closed = closed_day_indexes(location.closures, calendar)
    intervals: list[Interval] = []
    for index in range(calendar.n_days):
        if index in closed:
            continue
        for window in by_weekday.get(calendar.day(index).weekday(), ()):
            intervals.append(calendar.window(index, window.start, window.end))
    return normalise(intervals)


def closed_day_indexes(closures: Iterable[Closure], calendar: LocalCalendar) -> set[int]:
    """Indexes of calendar days covered by any closure."""
    closed: set[int] = set()
    for closure in closures:
        first = max(calendar.index_of(closure.starts_on), 0)
        last = min(calendar.index_of(closure.ends_on), calendar.n_days - 1)
        closed.update(range(first, last + 1))
    return closed


class StaffAvailability:
    """Templates and exceptions indexed by staff member, resolved per location calendar."""

    def __init__(
        self, templates: Iterable[AvailabilityTemplate], exceptions: Iterable[AvailabilityException]
    ) -> None:
        self.templates: dict[tuple[Id, Id], list[AvailabilityTemplate]] = defaultdict(list)
        for template in templates:
            self.templates[(template.staff_id, template.location_id)].append(template)
        self.extra: dict[tuple[Id, Id], list[AvailabilityException]] = defaultdict(list)
        self.away: dict[Id, list[AvailabilityException]] = defaultdict(list)
        for exception in exceptions:
            if exception.available:
                assert exception.location_id is not None
                self.extra[(exception.staff_id, exception.location_id)].append(exception)
            else:
                self.away[exception.staff_id].append(exception)

    def staff_at(self, location_id: Id) -> list[Id]:
        """Staff with any template or extra availability at ``location_id``, in first-seen order."""
        seen: dict[Id, None] = {}
        for staff_id, loc in list(self.templates) + list(self.extra):
            if loc == location_id:
                seen[staff_id] = None
        return list(seen)

    def intervals(self, staff_id: Id, location_id: Id, calendar: LocalCalendar) -> list[Interval]:
        """Normalised UTC intervals when ``staff_id`` is available at ``location_id`` over the calendar."""
        by_weekday: dict[int, list[AvailabilityTemplate]] = defaultdict(list)
        for template in self.templates.get((staff_id, location_id), ()):
            by_weekday[template.weekday].append(template)
        intervals: list[Interval] = []
        if by_weekday:
            for index in range(calendar.n_days):
                day = calendar.day(index)
                for template in by_weekday.get(day.weekday(), ()):
                    if template.valid_from is not None and day < template.valid_from:
                        continue
                    if template.valid_until is not None and day > template.valid_until:
                        continue
                    intervals.append(calendar.window(index, template.start, template.end))
        for exception in self.extra.get((staff_id, location_id), ()):
            window = _exception_window(exception, calendar)
            if window is not None:
                intervals.append(window)
        result = normalise(intervals)
        holes = [
            window
            for exception in self.away.get(staff_id, ())
            if exception.location_id is None or exception.location_id == location_id
            for window in [_exception_window(exception, calendar)]
            if window is not None
        ]
        return subtract(result, normalise(holes)) if holes else result


def _exception_window(exception: AvailabilityException, calendar: LocalCalendar) -> Interval | None:
    index = calendar.index_of(exception.on)
    if not 0 <= index < calendar.n_days:
        return None
    if exception.start is None or exception.end is None:
        return calendar.day_bounds(index)
    return calendar.window(index, exception.start, exception.end)
