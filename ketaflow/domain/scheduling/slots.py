"""Consultation slot search (issue #4): free (start, end, location, provider, room) slots on a time grid.

How it works, per location and provider, entirely in integer UTC seconds:

1. opening hours of each local date that is not closed → intervals;
2. ∩ the provider's availability there (weekly templates + extra availability − unavailability);
3. − the provider's bookings anywhere, each widened by its own buffers and by the new consultation's
   buffers (so neither booking's buffer time is overlapped);
4. ∩ a free room (each room: opening hours − its bookings, widened the same way), room by room;
5. keep starts ``s`` with ``[s, s + duration]`` inside one free interval, ``s`` on the local wall-clock grid
   (a multiple of the granularity after local midnight), ``now + notice <= s <= now + horizon``.

Each step is a linear merge of sorted interval lists, so the cost grows with the number of intervals,
not with the number of minutes.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import attrgetter

from ketaflow.domain.scheduling import errors
from ketaflow.domain.scheduling.calendar import (
    EPOCH,
    StaffAvailability,
    calendar_for,
    iter_grid,
    opening_intervals,
    to_seconds,
    to_seconds_ceil,
)
from ketaflow.domain.scheduling.intervals import Interval, clip, intersect, normalise, subtract
from ketaflow.domain.scheduling.model import (
    AvailabilityException,
    AvailabilityTemplate,
    Booking,
    Id,
    Location,
)


@dataclass(frozen=True, slots=True)
class ConsultationType:
    """What is being booked: ``duration_minutes`` long, with buffer minutes kept free before and after."""

    duration_minutes: int
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0

    def __post_init__(self) -> None:
        if self.duration_minutes <= 0:
            raise errors.SchedulingError(errors.INVALID_DURATION)
        if self.buffer_before_minutes < 0 or self.buffer_after_minutes < 0:
            raise errors.SchedulingError(errors.NEGATIVE_BUFFER)


@dataclass(frozen=True, slots=True)
class SlotRules:
    """Booking policy.

    ``min_notice``: earliest start after ``now`` (12 h for online self-booking); ``waive_min_notice`` lets
    staff book sooner (still never in the past). ``horizon``: latest start after ``now`` (inclusive).
    ``granularity_minutes``: slots start at local wall-clock multiples of it after midnight; must divide 1440.
    """

    granularity_minutes: int = 15
    min_notice: dt.timedelta = dt.timedelta(hours=12)
    horizon: dt.timedelta = dt.timedelta(days=60)
    waive_min_notice: bool = False

    def __post_init__(self) -> None:
        if self.granularity_minutes <= 0 or 1440 % self.granularity_minutes:
            raise errors.SchedulingError(errors.INVALID_GRANULARITY)


@dataclass(frozen=True, slots=True)
class Slot:
    """A free consultation slot. ``start``/``end`` are UTC-aware; show them in the location's zone.

    ``room_id`` is the first free room in the location's order, or ``None`` when rooms are not modelled.
    """

    start: dt.datetime
    end: dt.datetime
    location_id: Id
    provider_id: Id
    room_id: Id | None


def _id_key(value: Id) -> tuple[int, int | str]:
    return (0, value) if isinstance(value, int) else (1, value)


def _widened_busy(
    bookings: Iterable[Booking], consultation: ConsultationType
) -> tuple[dict[Id, list[Interval]], dict[Id, list[Interval]]]:
    """Busy intervals per provider and per room, widened so that a slot [s, e) is free iff it avoids them."""
    before = consultation.buffer_before_minutes * 60
    after = consultation.buffer_after_minutes * 60
    by_provider: dict[Id, list[Interval]] = defaultdict(list)
    by_room: dict[Id, list[Interval]] = defaultdict(list)
    for booking in bookings:
        interval = (booking.busy_from - after, booking.busy_until + before)
        if booking.provider_id is not None:
            by_provider[booking.provider_id].append(interval)
        if booking.room_id is not None:
            by_room[booking.room_id].append(interval)
    return (
        {key: normalise(value) for key, value in by_provider.items()},
        {key: normalise(value) for key, value in by_room.items()},
    )


def _with_ends(intervals: list[Interval]) -> tuple[list[Interval], list[int]]:
    return intervals, [end for _, end in intervals]


def _starts_in(
    free: Sequence[Interval],
    duration: int,
    earliest: int,
    latest: int,
    step: int,
    segments: tuple[list[int], list[int]],
    limit: int | None,
) -> list[int]:
    starts: list[int] = []
    for start, end in free:
        low = max(start, earliest)
        high = min(end - duration, latest)
        if low > high:
            continue
        for grid in iter_grid(low, high, step, segments[0], segments[1]):
            starts.extend(grid)
        if limit is not None and len(starts) >= limit:
            return starts[:limit]
    return starts


def find_consultation_slots(
    *,
    consultation: ConsultationType,
    locations: Sequence[Location],
    availability: Iterable[AvailabilityTemplate],
    exceptions: Iterable[AvailabilityException] = (),
    bookings: Iterable[Booking] = (),
    now: dt.datetime,
    rules: SlotRules = SlotRules(),  # noqa: B008 - frozen, so a shared default is safe
    location_ids: Iterable[Id] | None = None,
    provider_ids: Iterable[Id] | None = None,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    limit_per_provider: int | None = None,
) -> list[Slot]:
    """Every free consultation slot, sorted by (start, location id, provider id).

    ``availability``/``exceptions`` describe prescribers (``staff_id`` = provider id). ``bookings`` keep
    providers (anywhere) and rooms busy. Starts lie in ``[now + min_notice, now + horizon]`` (notice waived:
    ``now``), further narrowed to ``[window_start, window_end)`` when given. ``location_ids`` and
    ``provider_ids`` filter the search; ``limit_per_provider`` keeps the first N per (location, provider).
    Raises ``SchedulingError`` on invalid input.
    """
    if limit_per_provider is not None and limit_per_provider < 1:
        raise errors.SchedulingError(errors.INVALID_LIMIT)
    now_s = to_seconds_ceil(now)
    earliest = now_s if rules.waive_min_notice else now_s + to_seconds_ceil(EPOCH + rules.min_notice)
    latest = to_seconds(now + rules.horizon)
    if window_start is not None:
        earliest = max(earliest, to_seconds_ceil(window_start))
    if window_end is not None:
        latest = min(latest, to_seconds_ceil(window_end) - 1)
    duration = consultation.duration_minutes * 60
    step = rules.granularity_minutes * 60
    if earliest > latest:
        return []

    wanted_locations = set(location_ids) if location_ids is not None else None
    wanted_providers = set(provider_ids) if provider_ids is not None else None
    staff = StaffAvailability(availability, exceptions)
    provider_busy_raw, room_busy = _widened_busy(bookings, consultation)
    provider_busy = {provider: _with_ends(intervals) for provider, intervals in provider_busy_raw.items()}
    no_busy: tuple[list[Interval], list[int]] = ([], [])

    # Per (location, provider): sorted slot starts and the room for each.
    found: list[tuple[Id, Id, list[int], list[Id | None]]] = []
    for location in locations:
        if wanted_locations is not None and location.id not in wanted_locations:
            continue
        if location.room_ids is not None and not location.room_ids:
            continue
        calendar = calendar_for(location, earliest, latest + duration)
        segments = calendar.offset_segments()
        opening = clip(opening_intervals(location, calendar), earliest, latest + duration)
        if not opening:
            continue
        rooms = [(room_id, *_with_ends(room_busy.get(room_id, []))) for room_id in location.room_ids or ()]
        for provider_id in staff.staff_at(location.id):
            if wanted_providers is not None and provider_id not in wanted_providers:
                continue
            free = intersect(opening, staff.intervals(provider_id, location.id, calendar))
            free = subtract(free, *provider_busy.get(provider_id, no_busy))
            if not free:
                continue
            if location.room_ids is None:
                starts = _starts_in(free, duration, earliest, latest, step, segments, limit_per_provider)
                found.append((location.id, provider_id, starts, [None] * len(starts)))
                continue
            if len(rooms) == 1:
                room_id, busy, busy_ends = rooms[0]
                starts = _starts_in(
                    subtract(free, busy, busy_ends),
                    duration,
                    earliest,
                    latest,
                    step,
                    segments,
                    limit_per_provider,
                )
                found.append((location.id, provider_id, starts, [room_id] * len(starts)))
                continue
            room_of: dict[int, Id | None] = {}
            for room_id, busy, busy_ends in rooms:
                room_starts = _starts_in(
                    subtract(free, busy, busy_ends),
                    duration,
                    earliest,
                    latest,
                    step,
                    segments,
                    limit_per_provider,
                )
                for start in room_starts:
                    room_of.setdefault(start, room_id)
            starts = sorted(room_of)
            if limit_per_provider is not None:
                starts = starts[:limit_per_provider]
            found.append((location.id, provider_id, starts, [room_of[s] for s in starts]))

    return _materialise(found, duration)


def _materialise(found: list[tuple[Id, Id, list[int], list[Id | None]]], duration: int) -> list[Slot]:
    """Merge the per-pair lists into one list of ``Slot`` sorted by (start, location id, provider id)."""
    found.sort(key=lambda item: (_id_key(item[0]), _id_key(item[1])))
    distinct = {start for _, _, starts, _ in found for start in starts}
    distinct.update([start + duration for start in distinct])
    moments = {second: dt.datetime.fromtimestamp(second, dt.UTC) for second in distinct}
    slots: list[Slot] = []
    for location_id, provider_id, starts, rooms in found:
        slots.extend(
            [
                Slot(moments[start], moments[start + duration], location_id, provider_id, room_id)
                for start, room_id in zip(starts, rooms, strict=True)
            ]
        )
    # Stable sort: pairs were laid out in (location, provider) order, so ties keep that order.
    slots.sort(key=_start_of)
    return slots


_start_of = attrgetter("start")


def next_free_slots(
    *,
    consultation: ConsultationType,
    locations: Sequence[Location],
    availability: Iterable[AvailabilityTemplate],
    exceptions: Iterable[AvailabilityException] = (),
    bookings: Iterable[Booking] = (),
    now: dt.datetime,
    after: dt.datetime,
    limit: int = 3,
    rules: SlotRules = SlotRules(),  # noqa: B008 - frozen, so a shared default is safe
    location_ids: Iterable[Id] | None = None,
    provider_ids: Iterable[Id] | None = None,
) -> list[Slot]:
    """The first ``limit`` free slots starting at or after ``after`` (e.g. "just taken, here are the next 3").

    Same rules as :func:`find_consultation_slots`; pass ``location_ids``/``provider_ids`` to stay with the
    location or provider the patient chose.
    """
    if limit < 1:
        raise errors.SchedulingError(errors.INVALID_LIMIT)
    slots = find_consultation_slots(
        consultation=consultation,
        locations=locations,
        availability=availability,
        exceptions=exceptions,
        bookings=bookings,
        now=now,
        rules=rules,
        location_ids=location_ids,
        provider_ids=provider_ids,
        window_start=after,
        limit_per_provider=limit,
    )
    return slots[:limit]
