"""Series search and rebooking never return a plan that breaks a rule.

An independent checker re-derives every rule from the inputs: count, gaps, span, grid, opening hours,
closures, staff on duty, chair overlap and nurse / prescriber concurrency (counting the plan itself).
"""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.domain.scheduling import (
    AvailabilityException,
    AvailabilityTemplate,
    CapacityRules,
    Closure,
    InfusionResources,
    InfusionSession,
    InfusionType,
    Location,
    Reservation,
    Resource,
    SchedulingError,
    SeriesPlan,
    SeriesRequest,
    WeeklyWindow,
    errors,
    plan_infusion_series,
    rebook_series_session,
)

FIRST_DAY = dt.date(2026, 10, 26)  # a Monday; Chicago falls back on Sunday 2026-11-01
ZONES = ["America/Chicago", "UTC"]


@st.composite
def scenarios(draw: st.DrawFn) -> tuple[SeriesRequest, InfusionType, InfusionResources]:
    tz_name = draw(st.sampled_from(ZONES))
    tz = ZoneInfo(tz_name)
    locations = []
    nurse_templates = []
    prescriber_templates = []
    for location_id in (1, 2)[: draw(st.integers(1, 2))]:
        opens = draw(st.integers(7, 9))
        closes = draw(st.integers(14, 18))
        weekdays = draw(st.sets(st.integers(0, 6), min_size=3))
        hours = tuple(WeeklyWindow(day, dt.time(opens), dt.time(closes)) for day in sorted(weekdays))
        closures = tuple(
            Closure(
                FIRST_DAY + dt.timedelta(days=d), FIRST_DAY + dt.timedelta(days=d + draw(st.integers(0, 2)))
            )
            for d in draw(st.lists(st.integers(0, 20), max_size=2))
        )
        chairs = tuple(location_id * 10 + c for c in range(draw(st.integers(1, 3))))
        locations.append(Location(location_id, tz_name, hours, closures, chair_ids=chairs))
        for nurse in (100 + location_id, 200 + location_id)[: draw(st.integers(1, 2))]:
            on_duty_from = draw(st.integers(opens, 12))
            nurse_templates += [
                AvailabilityTemplate(
                    nurse, location_id, day, dt.time(on_duty_from), dt.time(draw(st.integers(13, 18)))
                )
                for day in range(7)
            ]
        for prescriber in (300, 301)[: draw(st.integers(1, 2))]:
            prescriber_templates += [
                AvailabilityTemplate(prescriber, location_id, day, dt.time(opens), dt.time(closes))
                for day in range(7)
                if draw(st.integers(0, 3))
            ]
    staff: list[tuple[Resource, int | str]] = [
        (Resource.CHAIR, c) for loc in locations for c in loc.chair_ids
    ]
    staff += [(Resource.NURSE, t.staff_id) for t in nurse_templates[:1]] + [
        (Resource.NURSE, 102),
        (Resource.NURSE, 201),
    ]
    staff += [(Resource.PRESCRIBER, 300), (Resource.PRESCRIBER, 301)]
    reservations = []
    for _ in range(draw(st.integers(0, 25))):
        kind, resource_id = draw(st.sampled_from(staff))
        start = dt.datetime.combine(
            FIRST_DAY + dt.timedelta(days=draw(st.integers(0, 20))),
            dt.time(draw(st.integers(7, 16))),
            tzinfo=tz,
        ) + dt.timedelta(minutes=draw(st.sampled_from([0, 15, 40])))
        reservations.append(
            Reservation(
                kind,
                resource_id,
                start,
                start + dt.timedelta(minutes=draw(st.sampled_from([30, 60, 100, 180]))),
                exclusive=draw(st.booleans()),
            )
        )
    nurse_exceptions = [
        AvailabilityException(draw(st.sampled_from([101, 102, 201])), FIRST_DAY + dt.timedelta(days=d), False)
        for d in draw(st.lists(st.integers(0, 20), max_size=3))
    ]
    resources = InfusionResources(
        locations=tuple(locations),
        nurse_availability=tuple(nurse_templates),
        prescriber_availability=tuple(prescriber_templates),
        nurse_exceptions=tuple(nurse_exceptions),
        reservations=tuple(reservations),
        capacity=CapacityRules(draw(st.integers(1, 3)), draw(st.integers(1, 4))),
    )
    count = draw(st.integers(1, 6))
    gap = draw(st.integers(1, 3))
    span = draw(st.integers((count - 1) * gap, (count - 1) * gap + 10))
    request = SeriesRequest(
        earliest_start=dt.datetime.combine(FIRST_DAY, dt.time(draw(st.integers(0, 23))), tzinfo=tz),
        count=count,
        min_gap_days=gap,
        max_span_days=span,
        preferred_location_id=draw(st.sampled_from([None, 1])),
        preferred_time=draw(st.sampled_from([None, dt.time(8), dt.time(10, 30), dt.time(13)])),
        prescriber_id=draw(st.sampled_from([None, None, 300])),
        granularity_minutes=draw(st.sampled_from([15, 30, 60])),
        search_days=draw(st.integers(0, 14)),
        consistency_days=draw(st.integers(0, 7)),
    )
    infusion = InfusionType(draw(st.sampled_from([40, 60])), draw(st.sampled_from([0, 30, 60])))
    return request, infusion, resources


def _utc(day: dt.date, t: dt.time, tz: ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=tz)


def _on_duty(
    templates: tuple[AvailabilityTemplate, ...],
    exceptions: tuple[AvailabilityException, ...],
    staff_id: object,
    location_id: object,
    session: InfusionSession,
    tz: ZoneInfo,
) -> bool:
    day = session.start.astimezone(tz).date()
    if any(e.staff_id == staff_id and e.on == day and not e.available for e in exceptions):
        return False
    return any(
        t.staff_id == staff_id
        and t.location_id == location_id
        and t.weekday == day.weekday()
        and _utc(day, t.start, tz) <= session.start
        and session.end <= _utc(day, t.end, tz)
        for t in templates
    )


def _peak_units(
    holds: list[tuple[dt.datetime, dt.datetime, int]], start: dt.datetime, end: dt.datetime
) -> int:
    """Peak of units held at any instant of [start, end), checked at every boundary inside it."""
    instants = {start} | {s for s, _, _ in holds if start <= s < end}
    return max(sum(units for s, e, units in holds if s <= t < e) for t in instants)


def check_plan(
    plan: SeriesPlan,
    request: SeriesRequest,
    infusion: InfusionType,
    resources: InfusionResources,
    earliest: dt.datetime,
    count: int,
    original_preferred: dt.time | None = None,
) -> None:
    """Every rule of a series plan. Sessions kept from an earlier plan may sit at that plan's preferred time."""
    sessions = plan.sessions
    assert len(sessions) == count
    location = next(loc for loc in resources.locations if loc.id == plan.location_id)
    tz = ZoneInfo(location.time_zone)
    days = [s.start.astimezone(tz).date() for s in sessions]
    assert all(s.location_id == location.id for s in sessions)
    assert all((b - a).days >= request.min_gap_days for a, b in zip(days, days[1:], strict=False))
    assert (days[-1] - days[0]).days <= request.max_span_days
    capacity = resources.capacity
    full = {
        Resource.CHAIR: 1,
        Resource.NURSE: capacity.chairs_per_nurse,
        Resource.PRESCRIBER: capacity.infusions_per_prescriber,
    }
    for index, session in enumerate(sessions):
        local_start = session.start.astimezone(tz)
        # On the grid, unless it is exactly the preferred wall-clock time (which is honoured as given).
        if local_start.time() not in {plan.preferred_time, original_preferred}:
            assert (local_start.hour * 60 + local_start.minute) % request.granularity_minutes == 0
        assert session.end - session.start == dt.timedelta(minutes=infusion.total_minutes)
        day = local_start.date()
        assert not any(c.starts_on <= day <= c.ends_on for c in location.closures)
        assert any(
            w.weekday == day.weekday()
            and _utc(day, w.start, tz) <= session.start
            and session.end <= _utc(day, w.end, tz)
            for w in location.opening_hours
        )
        assert session.chair_id in location.chair_ids
        assert _on_duty(
            resources.nurse_availability,
            resources.nurse_exceptions,
            session.nurse_id,
            location.id,
            session,
            tz,
        )
        assert _on_duty(
            resources.prescriber_availability,
            resources.prescriber_exceptions,
            session.prescriber_id,
            location.id,
            session,
            tz,
        )
        if request.prescriber_id is not None:
            assert session.prescriber_id == request.prescriber_id
        others = [o for j, o in enumerate(sessions) if j != index]
        for kind, resource_id in (
            (Resource.CHAIR, session.chair_id),
            (Resource.NURSE, session.nurse_id),
            (Resource.PRESCRIBER, session.prescriber_id),
        ):
            holds = [
                (r.starts_at, r.ends_at, full[kind] if r.exclusive else 1)
                for r in resources.reservations
                if r.resource == kind and r.resource_id == resource_id
            ]
            holds += [
                (o.start, o.end, 1)
                for o in others
                if {
                    Resource.CHAIR: o.chair_id,
                    Resource.NURSE: o.nurse_id,
                    Resource.PRESCRIBER: o.prescriber_id,
                }[kind]
                == resource_id
            ]
            holds.append((session.start, session.end, 1))
            assert _peak_units(holds, session.start, session.end) <= full[kind], (kind, resource_id)
    for conflict in plan.conflicts:
        assert conflict.reason in {
            errors.CONFLICT_OUTSIDE_HOURS,
            errors.CONFLICT_NO_CHAIR,
            errors.CONFLICT_NO_NURSE,
            errors.CONFLICT_NO_PRESCRIBER,
            errors.CONFLICT_BEFORE_EARLIEST,
        }
        assert sessions[conflict.session_index] == conflict.alternatives[0]


@settings(max_examples=40)
@given(scenarios(), st.integers(0, 5))
def test_series_and_rebooked_series_keep_every_rule(
    scenario: tuple[SeriesRequest, InfusionType, InfusionResources], missed: int
) -> None:
    request, infusion, resources = scenario
    try:
        plan = plan_infusion_series(request=request, infusion=infusion, resources=resources)
    except SchedulingError as error:
        assert str(error) == errors.NO_SERIES_PLAN
        return
    assert plan.sessions[0].start >= request.earliest_start
    check_plan(plan, request, infusion, resources, request.earliest_start, request.count)
    if plan.preferred_time is not None and request.preferred_time is not None:
        assert plan.preferred_time == request.preferred_time

    missed_index = missed % len(plan.sessions)
    rebook_request = SeriesRequest(
        earliest_start=plan.sessions[missed_index].end,
        count=request.count,
        min_gap_days=request.min_gap_days,
        max_span_days=request.max_span_days,
        prescriber_id=request.prescriber_id,
        granularity_minutes=request.granularity_minutes,
        search_days=request.search_days,
    )
    # The series' own sessions from the missed one on are not reservations; earlier ones are (past).
    kept = plan.sessions[:missed_index]
    with_kept = InfusionResources(
        locations=resources.locations,
        nurse_availability=resources.nurse_availability,
        prescriber_availability=resources.prescriber_availability,
        nurse_exceptions=resources.nurse_exceptions,
        prescriber_exceptions=resources.prescriber_exceptions,
        reservations=resources.reservations,
        capacity=resources.capacity,
    )
    try:
        rebooked = rebook_series_session(
            sessions=plan.sessions,
            missed_index=missed_index,
            request=rebook_request,
            infusion=infusion,
            resources=with_kept,
        )
    except SchedulingError as error:
        assert str(error) == errors.NO_REBOOK_POSSIBLE
        return
    assert rebooked.sessions[:missed_index] == kept
    assert rebooked.sessions[missed_index] != plan.sessions[missed_index]
    assert rebooked.sessions[missed_index].start >= rebook_request.earliest_start
    check_plan(
        rebooked,
        rebook_request,
        infusion,
        resources,
        rebook_request.earliest_start,
        request.count,
        original_preferred=plan.preferred_time,
    )
