"""Frozen input dataclasses shared by consultation slot search and infusion series search.

They mirror database rows one to one (plain ids, dates, wall-clock times, aware datetimes) so that a
Django service can build them with a list comprehension. Ids may be ints or strings but should be of one
kind within a call, because results are ordered by them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from math import ceil, floor

from ketaflow.domain.scheduling import errors

Id = int | str


def _check_window(start: dt.time, end: dt.time) -> None:
    if end <= start:
        raise errors.SchedulingError(errors.WINDOW_END_NOT_AFTER_START)


def check_aware(*values: dt.datetime) -> None:
    """Raise ``SchedulingError(NAIVE_DATETIME)`` unless every value is timezone-aware."""
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise errors.SchedulingError(errors.NAIVE_DATETIME)


@dataclass(frozen=True, slots=True)
class WeeklyWindow:
    """A recurring wall-clock window ``[start, end)`` on ``weekday`` (0 = Monday) in the location's zone."""

    weekday: int
    start: dt.time
    end: dt.time

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise errors.SchedulingError(errors.INVALID_WEEKDAY)
        _check_window(self.start, self.end)


@dataclass(frozen=True, slots=True)
class Closure:
    """The location takes no bookings from ``starts_on`` to ``ends_on``, both inclusive (local dates)."""

    starts_on: dt.date
    ends_on: dt.date

    def __post_init__(self) -> None:
        if self.ends_on < self.starts_on:
            raise errors.SchedulingError(errors.CLOSURE_ENDS_BEFORE_START)


@dataclass(frozen=True, slots=True)
class Location:
    """A clinic site.

    ``room_ids``: consultation rooms; ``None`` means rooms are not modelled (no room constraint), an empty
    tuple means the site has no usable room (no consultation slots). ``chair_ids``: infusion chairs.
    """

    id: Id
    time_zone: str
    opening_hours: tuple[WeeklyWindow, ...]
    closures: tuple[Closure, ...] = ()
    room_ids: tuple[Id, ...] | None = None
    chair_ids: tuple[Id, ...] = ()


@dataclass(frozen=True, slots=True)
class AvailabilityTemplate:
    """A weekly availability row: ``staff_id`` works at ``location_id`` on ``weekday`` from ``start`` to ``end``.

    Used for prescribers (consultations, on-site supervision) and nurses (infusion duty). ``valid_from`` and
    ``valid_until`` (inclusive, local dates) bound the template; ``None`` means open-ended.
    """

    staff_id: Id
    location_id: Id
    weekday: int
    start: dt.time
    end: dt.time
    valid_from: dt.date | None = None
    valid_until: dt.date | None = None

    def __post_init__(self) -> None:
        if self.weekday not in range(7):
            raise errors.SchedulingError(errors.INVALID_WEEKDAY)
        _check_window(self.start, self.end)


@dataclass(frozen=True, slots=True)
class AvailabilityException:
    """A one-day change to a staff member's availability, in the location's local time.

    ``available=True`` adds extra availability at ``location_id`` (required); ``available=False`` removes
    availability at ``location_id``, or everywhere when ``location_id`` is ``None``. ``start``/``end`` both
    ``None`` means the whole day. Unavailability wins over templates and extra availability.
    """

    staff_id: Id
    on: dt.date
    available: bool
    location_id: Id | None = None
    start: dt.time | None = None
    end: dt.time | None = None

    def __post_init__(self) -> None:
        if (self.start is None) != (self.end is None):
            raise errors.SchedulingError(errors.EXCEPTION_TIMES_INCOMPLETE)
        if self.start is not None and self.end is not None:
            _check_window(self.start, self.end)
        if self.available and self.location_id is None:
            raise errors.SchedulingError(errors.EXTRA_AVAILABILITY_NEEDS_LOCATION)


@dataclass(frozen=True, slots=True)
class Booking:
    """An existing consultation (or any appointment) that keeps a provider and/or a room busy.

    The provider is busy at every location; ``buffer_*_minutes`` extend the busy time around it.
    """

    starts_at: dt.datetime
    ends_at: dt.datetime
    provider_id: Id | None = None
    room_id: Id | None = None
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    # Busy span including buffers, in UTC epoch seconds, computed once here so that searches over
    # thousands of bookings only read integers.
    busy_from: int = field(init=False, repr=False, compare=False)
    busy_until: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # Kept lean: a search may be handed thousands of bookings.
        if self.starts_at.tzinfo is None or self.ends_at.tzinfo is None:
            raise errors.SchedulingError(errors.NAIVE_DATETIME)
        start = self.starts_at.timestamp()
        end = self.ends_at.timestamp()
        if end < start:
            raise errors.SchedulingError(errors.BOOKING_ENDS_BEFORE_START)
        if self.buffer_before_minutes < 0 or self.buffer_after_minutes < 0:
            raise errors.SchedulingError(errors.NEGATIVE_BUFFER)
        # Floor the start and ceil the end to whole seconds.
        object.__setattr__(self, "busy_from", floor(start) - self.buffer_before_minutes * 60)
        object.__setattr__(self, "busy_until", ceil(end) + self.buffer_after_minutes * 60)
