"""Chair-aware infusion scheduling (issue #6): single sessions, whole induction series, rebooking.

An infusion session at a location occupies, for ``infusion_minutes + recovery_minutes`` and entirely
within opening hours on a day that is not closed:

* one chair (capacity 1);
* one nurse on duty there, who covers at most ``chairs_per_nurse`` concurrent sessions;
* one prescriber on site (available there), who supervises at most ``infusions_per_prescriber``
  concurrent sessions.

Existing reservations use one unit of a resource's capacity each, or all of it when ``exclusive``
(a nurse's break, a prescriber's procedure elsewhere). Staff capacity is counted across locations.

A series of ``count`` sessions is planned at one location, on distinct local dates at least
``min_gap_days`` apart, the last at most ``max_span_days`` after the first. Per day, the preferred
wall-clock time is used when free; otherwise the nearest free time on the grid is used and a
:class:`SeriesConflict` records why and which alternatives existed. Days are chosen by a small dynamic
programme that minimises the number of such conflicts, then the total delay.
"""

from __future__ import annotations

import datetime as dt
from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from ketaflow.domain.scheduling import errors
from ketaflow.domain.scheduling.calendar import (
    EPOCH,
    LocalCalendar,
    StaffAvailability,
    iter_grid,
    opening_intervals,
    to_seconds,
    to_seconds_ceil,
    zone,
)
from ketaflow.domain.scheduling.intervals import Interval, covers
from ketaflow.domain.scheduling.model import (
    AvailabilityException,
    AvailabilityTemplate,
    Id,
    Location,
    check_aware,
)

_UNREACHABLE = 1 << 60
_CONFLICT_WEIGHT = 1 << 20  # one conflict outweighs any realistic sum of day offsets


class Resource(StrEnum):
    """Kinds of resource an infusion reserves."""

    CHAIR = "chair"
    NURSE = "nurse"
    PRESCRIBER = "prescriber"


@dataclass(frozen=True, slots=True)
class Reservation:
    """An existing hold on a chair, nurse or prescriber from ``starts_at`` to ``ends_at``.

    ``exclusive=True`` uses the resource's whole capacity (e.g. a nurse's break).
    """

    resource: Resource
    resource_id: Id
    starts_at: dt.datetime
    ends_at: dt.datetime
    exclusive: bool = False

    def __post_init__(self) -> None:
        check_aware(self.starts_at, self.ends_at)
        if self.ends_at < self.starts_at:
            raise errors.SchedulingError(errors.BOOKING_ENDS_BEFORE_START)


@dataclass(frozen=True, slots=True)
class InfusionType:
    """Chair time of one infusion: the infusion itself plus monitored recovery, in minutes."""

    infusion_minutes: int
    recovery_minutes: int = 0

    def __post_init__(self) -> None:
        if self.infusion_minutes <= 0 or self.recovery_minutes < 0:
            raise errors.SchedulingError(errors.INVALID_DURATION)

    @property
    def total_minutes(self) -> int:
        """Minutes the chair, nurse and prescriber are held."""
        return self.infusion_minutes + self.recovery_minutes


@dataclass(frozen=True, slots=True)
class CapacityRules:
    """Staffing ratios: concurrent sessions one nurse covers, and one prescriber supervises."""

    chairs_per_nurse: int = 2
    infusions_per_prescriber: int = 4

    def __post_init__(self) -> None:
        if self.chairs_per_nurse < 1:
            raise errors.SchedulingError(errors.INVALID_NURSE_RATIO)
        if self.infusions_per_prescriber < 1:
            raise errors.SchedulingError(errors.INVALID_PRESCRIBER_CAPACITY)


@dataclass(frozen=True, slots=True)
class SeriesRequest:
    """What the series must look like and what the patient prefers.

    ``earliest_start``: no session before it (aware). ``preferred_location_id``: tried first, other
    locations only if it cannot fit the series. ``preferred_time``: local wall-clock start; ``None`` =
    the earliest free time of the first day, kept for the rest. ``prescriber_id``: require this
    prescriber; ``None`` = any prescriber on site. ``search_days``: how many days after
    ``earliest_start`` the first session may be. ``consistency_days``: a later first day is accepted if
    it gives fewer conflicts, up to this many days after the earliest feasible first day.
    """

    earliest_start: dt.datetime
    count: int = 6
    min_gap_days: int = 1
    max_span_days: int = 21
    preferred_location_id: Id | None = None
    preferred_time: dt.time | None = None
    prescriber_id: Id | None = None
    granularity_minutes: int = 15
    search_days: int = 60
    consistency_days: int = 7
    alternatives_per_conflict: int = 3

    def __post_init__(self) -> None:
        check_aware(self.earliest_start)
        if self.count < 1:
            raise errors.SchedulingError(errors.INVALID_SERIES_COUNT)
        if self.min_gap_days < 1:
            raise errors.SchedulingError(errors.INVALID_SERIES_GAP)
        if self.max_span_days < (self.count - 1) * self.min_gap_days:
            raise errors.SchedulingError(errors.INVALID_SERIES_SPAN)
        if self.granularity_minutes <= 0 or 1440 % self.granularity_minutes:
            raise errors.SchedulingError(errors.INVALID_GRANULARITY)
        if self.alternatives_per_conflict < 0 or self.search_days < 0 or self.consistency_days < 0:
            raise errors.SchedulingError(errors.INVALID_LIMIT)


@dataclass(frozen=True, slots=True)
class InfusionSession:
    """One planned infusion: UTC-aware ``start``/``end`` (infusion + recovery) and the resources held."""

    start: dt.datetime
    end: dt.datetime
    location_id: Id
    chair_id: Id
    nurse_id: Id
    prescriber_id: Id


@dataclass(frozen=True, slots=True)
class SeriesConflict:
    """The preferred time was not free on the day of session ``session_index``.

    ``reason`` is one of the ``errors.CONFLICT_*`` constants; ``alternatives`` are free sessions that day,
    nearest to the preferred time first; the plan uses the first of them.
    """

    session_index: int
    day: dt.date
    preferred_start: dt.datetime
    reason: str
    alternatives: tuple[InfusionSession, ...]


@dataclass(frozen=True, slots=True)
class SeriesPlan:
    """A whole series at one location; ``conflicts`` lists the days not at ``preferred_time``."""

    location_id: Id
    preferred_time: dt.time
    sessions: tuple[InfusionSession, ...]
    conflicts: tuple[SeriesConflict, ...] = field(default=())


@dataclass(frozen=True, slots=True)
class InfusionResources:
    """Everything the infusion search reads; build it once per request from the database rows.

    Nurse and prescriber templates/exceptions use ``staff_id`` = nurse id / prescriber id.
    """

    locations: tuple[Location, ...]
    nurse_availability: tuple[AvailabilityTemplate, ...]
    prescriber_availability: tuple[AvailabilityTemplate, ...]
    nurse_exceptions: tuple[AvailabilityException, ...] = ()
    prescriber_exceptions: tuple[AvailabilityException, ...] = ()
    reservations: tuple[Reservation, ...] = ()
    capacity: CapacityRules = CapacityRules()  # noqa: RUF009 - frozen value object


def _id_key(value: Id) -> tuple[int, int | str]:
    return (0, value) if isinstance(value, int) else (1, value)


class _Load:
    """Reservations of one resource, sorted, answering "peak units used during [start, end)"."""

    def __init__(self, items: list[tuple[int, int, int]]) -> None:
        items.sort()
        self.items = items
        self.starts = [start for start, _, _ in items]
        self.longest = max((end - start for start, end, _ in items), default=0)

    def peak(self, start: int, end: int) -> int:
        low = bisect_left(self.starts, start - self.longest)
        high = bisect_left(self.starts, end)
        events: list[tuple[int, int]] = []
        for begin, finish, units in self.items[low:high]:
            if finish > start and begin < end:
                events.append((max(begin, start), units))
                events.append((finish, -units))
        if not events:
            return 0
        events.sort(key=lambda event: (event[0], event[1]))  # releases before holds at the same instant
        peak = current = 0
        for _, delta in events:
            current += delta
            peak = max(peak, current)
        return peak


@dataclass
class _Site:
    location: Location
    calendar: LocalCalendar
    opening: list[Interval]
    opening_starts: list[int]
    nurses: list[tuple[Id, list[Interval], list[int]]]
    prescribers: list[tuple[Id, list[Interval], list[int]]]


class _Planner:
    """Shared state of one search: loads per resource and per-location calendars."""

    def __init__(
        self,
        resources: InfusionResources,
        infusion: InfusionType,
        granularity_minutes: int,
        prescriber_id: Id | None,
        first: int,
        last: int,
    ) -> None:
        self.resources = resources
        self.duration = infusion.total_minutes * 60
        self.step = granularity_minutes * 60
        self.capacity = resources.capacity
        self.first = first
        self.last = last
        raw: dict[tuple[Resource, Id], list[tuple[int, int, int]]] = defaultdict(list)
        full = {
            Resource.CHAIR: 1,
            Resource.NURSE: self.capacity.chairs_per_nurse,
            Resource.PRESCRIBER: self.capacity.infusions_per_prescriber,
        }
        for reservation in resources.reservations:
            units = full[reservation.resource] if reservation.exclusive else 1
            raw[(reservation.resource, reservation.resource_id)].append(
                (to_seconds(reservation.starts_at), to_seconds_ceil(reservation.ends_at), units)
            )
        self.loads = {key: _Load(items) for key, items in raw.items()}
        self.empty = _Load([])
        self.nurse_staff = StaffAvailability(resources.nurse_availability, resources.nurse_exceptions)
        self.prescriber_staff = StaffAvailability(
            resources.prescriber_availability, resources.prescriber_exceptions
        )
        self.prescriber_id = prescriber_id
        self.sites: dict[Id, _Site] = {}
        self.options_cache: dict[tuple[Id, int], list[InfusionSession]] = {}

    def site(self, location: Location) -> _Site:
        cached = self.sites.get(location.id)
        if cached is not None:
            return cached
        tz = zone(location.time_zone)
        first_day = dt.datetime.fromtimestamp(self.first, tz).date() - dt.timedelta(days=1)
        last_day = dt.datetime.fromtimestamp(self.last, tz).date() + dt.timedelta(days=1)
        calendar = LocalCalendar(tz, first_day, last_day)
        opening = opening_intervals(location, calendar)

        def staff_windows(
            staff: StaffAvailability, only: Id | None
        ) -> list[tuple[Id, list[Interval], list[int]]]:
            ids = sorted(staff.staff_at(location.id), key=_id_key)
            if only is not None:
                ids = [staff_id for staff_id in ids if staff_id == only]
            result = []
            for staff_id in ids:
                windows = staff.intervals(staff_id, location.id, calendar)
                result.append((staff_id, windows, [start for start, _ in windows]))
            return result

        site = _Site(
            location=location,
            calendar=calendar,
            opening=opening,
            opening_starts=[start for start, _ in opening],
            nurses=staff_windows(self.nurse_staff, None),
            prescribers=staff_windows(self.prescriber_staff, self.prescriber_id),
        )
        self.sites[location.id] = site
        return site

    def _peak(self, kind: Resource, resource_id: Id, start: int, end: int) -> int:
        return self.loads.get((kind, resource_id), self.empty).peak(start, end)

    def fit(self, site: _Site, start: int) -> InfusionSession | str:
        """A session starting at ``start`` with the first free chair, nurse and prescriber, or the reason why not."""
        end = start + self.duration
        if start < self.first or not covers(site.opening, site.opening_starts, start, end):
            return errors.CONFLICT_BEFORE_EARLIEST if start < self.first else errors.CONFLICT_OUTSIDE_HOURS
        chair = next(
            (c for c in site.location.chair_ids if self._peak(Resource.CHAIR, c, start, end) < 1),
            None,
        )
        if chair is None:
            return errors.CONFLICT_NO_CHAIR
        nurse = next(
            (
                nurse_id
                for nurse_id, windows, window_starts in site.nurses
                if covers(windows, window_starts, start, end)
                and self._peak(Resource.NURSE, nurse_id, start, end) < self.capacity.chairs_per_nurse
            ),
            None,
        )
        if nurse is None:
            return errors.CONFLICT_NO_NURSE
        prescriber = next(
            (
                prescriber_id
                for prescriber_id, windows, window_starts in site.prescribers
                if covers(windows, window_starts, start, end)
                and self._peak(Resource.PRESCRIBER, prescriber_id, start, end)
                < self.capacity.infusions_per_prescriber
            ),
            None,
        )
        if prescriber is None:
            return errors.CONFLICT_NO_PRESCRIBER
        return InfusionSession(
            start=EPOCH + dt.timedelta(seconds=start),
            end=EPOCH + dt.timedelta(seconds=end),
            location_id=site.location.id,
            chair_id=chair,
            nurse_id=nurse,
            prescriber_id=prescriber,
        )

    def day_options(self, site: _Site, index: int) -> list[InfusionSession]:
        """Every session that fits on calendar day ``index``, earliest first (cached; do not mutate)."""
        key = (site.location.id, index)
        cached = self.options_cache.get(key)
        if cached is None:
            cached = self.options_cache[key] = self._day_options(site, index)
        return cached

    def _day_options(self, site: _Site, index: int) -> list[InfusionSession]:
        day_start, day_end = site.calendar.day_bounds(index)
        low = bisect_right(site.opening_starts, day_start) - 1
        options: list[InfusionSession] = []
        segments = site.calendar.offset_segments()
        for open_start, open_end in site.opening[max(low, 0) :]:
            if open_start >= day_end:
                break
            first = max(open_start, day_start, self.first)
            latest = min(open_end, day_end) - self.duration
            for grid in iter_grid(first, latest, self.step, *segments):
                for start in grid:
                    session = self.fit(site, start)
                    if isinstance(session, InfusionSession):
                        options.append(session)
        return options


@dataclass
class _Day:
    """What a day offers for a given preferred time: cost 0 (preferred free), 1 (other time), or none."""

    cost: int | None
    chosen: InfusionSession | None
    conflict: SeriesConflict | None


def _evaluate_day(planner: _Planner, site: _Site, index: int, preferred: dt.time, alternatives: int) -> _Day:
    preferred_start = site.calendar.wall_to_utc(index, preferred)
    exact = planner.fit(site, preferred_start)
    if isinstance(exact, InfusionSession):
        return _Day(0, exact, None)
    options = planner.day_options(site, index)
    if not options:
        return _Day(None, None, None)
    options = sorted(options, key=lambda s: (abs(to_seconds(s.start) - preferred_start), s.start))
    conflict = SeriesConflict(
        session_index=-1,
        day=site.calendar.day(index),
        preferred_start=EPOCH + dt.timedelta(seconds=preferred_start),
        reason=exact,
        alternatives=tuple(options[: max(1, alternatives)]),
    )
    return _Day(1, options[0], conflict)


def _best_days(
    cost: Callable[[int], int | None],
    *,
    first_low: int,
    first_high: int,
    last_day: int,
    count: int,
    gap: int,
    span: int,
    anchor: int | None,
    consistency: int,
) -> list[int] | None:
    """Day indexes d1 < ... < dn minimising (conflicts, sum of days); ``None`` when impossible.

    ``cost(day)`` is 0 (preferred time free), 1 (another time free) or ``None`` (nothing free). d1 is
    searched in ``[first_low, first_high]``; once some d1 works, later first days are still compared
    for ``consistency`` more days. The span is measured from ``anchor`` (a fixed earlier session) if
    given, else from d1; no day goes past ``last_day``.
    """
    best: tuple[int, list[int]] | None = None
    stop = first_high
    d1 = first_low
    while d1 <= stop:
        plan = _days_from(cost, d1, min(last_day, (anchor if anchor is not None else d1) + span), count, gap)
        if plan is not None:
            if best is None:
                stop = min(first_high, d1 + consistency)
            if best is None or plan[0] < best[0]:
                best = plan
        d1 += 1
    return None if best is None else best[1]


def _days_from(
    cost: Callable[[int], int | None], d1: int, limit: int, count: int, gap: int
) -> tuple[int, list[int]] | None:
    """Best sequence starting on ``d1`` with every day <= ``limit`` (dynamic programme over days)."""
    first_cost = cost(d1) if d1 <= limit else None
    if first_cost is None:
        return None
    days = range(d1, limit + 1)
    # value[k][d]: best score of sessions k..count-1 with session k on day d; nxt[k][d]: day of k+1.
    value: list[dict[int, int]] = [{} for _ in range(count)]
    nxt: list[dict[int, int]] = [{} for _ in range(count)]
    for k in range(count - 1, -1, -1):
        for d in reversed(days) if k else (d1,):
            day_cost = cost(d)
            if day_cost is None:
                continue
            own = day_cost * _CONFLICT_WEIGHT + (d - d1)
            if k == count - 1:
                value[k][d] = own
                continue
            following = [(value[k + 1][e], e) for e in range(d + gap, limit + 1) if e in value[k + 1]]
            if following:
                score, day = min(following)
                value[k][d] = own + score
                nxt[k][d] = day
    if d1 not in value[0]:
        return None
    sequence = [d1]
    for k in range(count - 1):
        sequence.append(nxt[k][sequence[-1]])
    # Score: conflicts first, then the sum of the (absolute) day indexes: earlier is better.
    return value[0][d1] + count * d1, sequence


def _plan_at(
    planner: _Planner,
    site: _Site,
    request: SeriesRequest,
    *,
    count: int,
    first_day: int,
    anchor: int | None,
    last_allowed: int | None,
    preferred: dt.time | None,
    index_offset: int,
) -> SeriesPlan | None:
    """Plan ``count`` sessions at one site, the first on or after day ``first_day``; ``None`` if impossible.

    ``anchor``: day of a kept earlier session from which the span is measured. ``last_allowed``: no
    session after this day. ``preferred``: wall-clock time; ``None`` = the earliest free time on the
    earliest day that has one.
    """
    calendar = site.calendar
    last_day = calendar.n_days - 2
    if last_allowed is not None:
        last_day = min(last_day, last_allowed)
    first_high = min(first_day + request.search_days, last_day)
    if anchor is not None:
        first_high = min(first_high, anchor + request.max_span_days)
    if preferred is None:
        first_option = next(
            (
                options[0]
                for i in range(first_day, first_high + 1)
                for options in [planner.day_options(site, i)]
                if options
            ),
            None,
        )
        if first_option is None:
            return None
        preferred = first_option.start.astimezone(calendar.tz).time()
    time_of_day = preferred
    memo: dict[int, _Day] = {}

    def day(index: int) -> _Day:
        if index not in memo:
            memo[index] = _evaluate_day(planner, site, index, time_of_day, request.alternatives_per_conflict)
        return memo[index]

    days = _best_days(
        lambda index: day(index).cost,
        first_low=first_day,
        first_high=first_high,
        last_day=last_day,
        count=count,
        gap=request.min_gap_days,
        span=request.max_span_days,
        anchor=anchor,
        consistency=request.consistency_days,
    )
    if days is None:
        return None
    sessions: list[InfusionSession] = []
    conflicts: list[SeriesConflict] = []
    for position, index in enumerate(days):
        chosen = day(index)
        assert chosen.chosen is not None
        sessions.append(chosen.chosen)
        if chosen.conflict is not None:
            conflicts.append(replace(chosen.conflict, session_index=index_offset + position))
    return SeriesPlan(
        location_id=site.location.id,
        preferred_time=time_of_day,
        sessions=tuple(sessions),
        conflicts=tuple(conflicts),
    )


def _ordered_locations(locations: Sequence[Location], preferred: Id | None) -> list[Location]:
    if preferred is not None and all(location.id != preferred for location in locations):
        raise errors.SchedulingError(errors.UNKNOWN_LOCATION.format(location_id=preferred))
    return sorted(locations, key=lambda location: (location.id != preferred, _id_key(location.id)))


def _window(request: SeriesRequest) -> tuple[int, int]:
    first = to_seconds_ceil(request.earliest_start)
    last = first + (request.search_days + request.max_span_days + 2) * 86_400
    return first, last


def plan_infusion_series(
    *, request: SeriesRequest, infusion: InfusionType, resources: InfusionResources
) -> SeriesPlan:
    """Propose a whole induction series (see the module docstring for the rules).

    Tries the preferred location first, then the others by id. Raises ``SchedulingError`` with
    ``errors.NO_SERIES_PLAN`` when no location can fit the series.
    """
    first, last = _window(request)
    planner = _Planner(resources, infusion, request.granularity_minutes, request.prescriber_id, first, last)
    for location in _ordered_locations(resources.locations, request.preferred_location_id):
        site = planner.site(location)
        first_day = site.calendar.day_index_at(first)
        plan = _plan_at(
            planner,
            site,
            request,
            count=request.count,
            first_day=first_day,
            anchor=None,
            last_allowed=None,
            preferred=request.preferred_time,
            index_offset=0,
        )
        if plan is not None:
            return plan
    raise errors.SchedulingError(errors.NO_SERIES_PLAN)


def rebook_series_session(
    *,
    sessions: Sequence[InfusionSession],
    missed_index: int,
    request: SeriesRequest,
    infusion: InfusionType,
    resources: InfusionResources,
) -> SeriesPlan:
    """Replace a missed or cancelled session while keeping the series valid.

    ``sessions`` is the current series in order; those before ``missed_index`` are kept as they are.
    ``resources.reservations`` must not contain this series' own sessions from ``missed_index`` on.
    ``request.earliest_start`` is the earliest new start (e.g. now + notice). First the missed session
    alone is moved to a day that keeps the gaps to its neighbours and the span; if no such day exists,
    it and every later session are re-planned (same location, same time of day preferred). Raises
    ``SchedulingError`` (``NO_REBOOK_POSSIBLE``) when neither works. Conflict indexes refer to the
    whole series.
    """
    if not 0 <= missed_index < len(sessions):
        raise errors.SchedulingError(errors.SESSION_INDEX_OUT_OF_RANGE)
    location = next((loc for loc in resources.locations if loc.id == sessions[0].location_id), None)
    if location is None:
        raise errors.SchedulingError(errors.UNKNOWN_LOCATION.format(location_id=sessions[0].location_id))
    first, last = _window(request)
    planner = _Planner(resources, infusion, request.granularity_minutes, request.prescriber_id, first, last)
    site = planner.site(location)
    calendar = site.calendar
    tz = calendar.tz

    def day_of(session: InfusionSession) -> int:
        return calendar.index_of(session.start.astimezone(tz).date())

    kept = list(sessions[:missed_index])
    later = list(sessions[missed_index + 1 :])
    preferred = sessions[missed_index].start.astimezone(tz).time()
    anchor = day_of(kept[0]) if kept else None
    low = calendar.day_index_at(first)
    if kept:
        low = max(low, day_of(kept[-1]) + request.min_gap_days)
    # 1. Move only the missed session, keeping the later ones where they are.
    if later:
        single_low = low if kept else max(low, day_of(later[-1]) - request.max_span_days)
        single = _plan_at(
            planner,
            site,
            request,
            count=1,
            first_day=single_low,
            anchor=anchor,
            last_allowed=day_of(later[0]) - request.min_gap_days,
            preferred=preferred,
            index_offset=missed_index,
        )
        if single is not None:
            return SeriesPlan(
                location_id=location.id,
                preferred_time=preferred,
                sessions=(*kept, *single.sessions, *later),
                conflicts=single.conflicts,
            )
    # 2. Re-plan the missed session and all later ones.
    tail = _plan_at(
        planner,
        site,
        request,
        count=len(sessions) - missed_index,
        first_day=low,
        anchor=anchor,
        last_allowed=None,
        preferred=preferred,
        index_offset=missed_index,
    )
    if tail is None:
        raise errors.SchedulingError(errors.NO_REBOOK_POSSIBLE)
    return SeriesPlan(
        location_id=location.id,
        preferred_time=preferred,
        sessions=(*kept, *tail.sessions),
        conflicts=tail.conflicts,
    )
