"""Infusion series search and rebooking: examples of each rule."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from ketaflow.domain.scheduling import (
    AvailabilityException,
    AvailabilityTemplate,
    CapacityRules,
    Closure,
    InfusionResources,
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

CHICAGO = ZoneInfo("America/Chicago")
HOURS = tuple(WeeklyWindow(day, dt.time(8), dt.time(17)) for day in range(5))
WDM = Location(id=1, time_zone="America/Chicago", opening_hours=HOURS, chair_ids=(11, 12))
DSM = Location(id=2, time_zone="America/Chicago", opening_hours=HOURS, chair_ids=(21, 22))
NURSES = tuple(
    AvailabilityTemplate(staff_id=31, location_id=1, weekday=d, start=dt.time(8), end=dt.time(17))
    for d in range(5)
) + tuple(
    AvailabilityTemplate(staff_id=32, location_id=2, weekday=d, start=dt.time(8), end=dt.time(17))
    for d in range(5)
)
PRESCRIBERS = tuple(
    AvailabilityTemplate(staff_id=41, location_id=1, weekday=d, start=dt.time(8), end=dt.time(17))
    for d in range(5)
) + tuple(
    AvailabilityTemplate(staff_id=42, location_id=2, weekday=d, start=dt.time(8), end=dt.time(17))
    for d in range(5)
)
KETAMINE = InfusionType(infusion_minutes=40, recovery_minutes=60)
MONDAY = dt.date(2026, 11, 30)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def resources(*reservations: Reservation, **overrides: object) -> InfusionResources:
    arguments: dict[str, object] = {
        "locations": (WDM, DSM),
        "nurse_availability": NURSES,
        "prescriber_availability": PRESCRIBERS,
        "reservations": reservations,
    }
    arguments.update(overrides)
    return InfusionResources(**arguments)  # type: ignore[arg-type]


def request(**overrides: object) -> SeriesRequest:
    arguments: dict[str, object] = {
        "earliest_start": local(MONDAY, 0),
        "count": 6,
        "min_gap_days": 1,
        "max_span_days": 21,
        "preferred_location_id": 1,
        "preferred_time": dt.time(10),
    }
    arguments.update(overrides)
    return SeriesRequest(**arguments)  # type: ignore[arg-type]


def days(plan: SeriesPlan) -> list[str]:
    return [s.start.astimezone(CHICAGO).strftime("%a %m-%d %H:%M") for s in plan.sessions]


def test_a_free_clinic_gives_six_weekday_sessions_at_the_preferred_time() -> None:
    plan = plan_infusion_series(request=request(), infusion=KETAMINE, resources=resources())
    assert days(plan) == [
        "Mon 11-30 10:00",
        "Tue 12-01 10:00",
        "Wed 12-02 10:00",
        "Thu 12-03 10:00",
        "Fri 12-04 10:00",
        "Mon 12-07 10:00",
    ]
    assert plan.conflicts == ()
    assert plan.location_id == 1
    first = plan.sessions[0]
    assert (first.chair_id, first.nurse_id, first.prescriber_id) == (11, 31, 41)
    assert first.end - first.start == dt.timedelta(minutes=100)


def test_min_gap_days_spaces_the_sessions() -> None:
    plan = plan_infusion_series(
        request=request(min_gap_days=2, count=3), infusion=KETAMINE, resources=resources()
    )
    assert days(plan) == ["Mon 11-30 10:00", "Wed 12-02 10:00", "Fri 12-04 10:00"]


def test_a_busy_preferred_time_is_a_conflict_with_the_nearest_alternatives() -> None:
    # Both chairs are taken on Tuesday 10:00-11:00; the series must run Monday and Tuesday.
    blocked = [
        Reservation(
            Resource.CHAIR,
            chair,
            local(MONDAY + dt.timedelta(days=1), 10),
            local(MONDAY + dt.timedelta(days=1), 11),
        )
        for chair in (11, 12)
    ]
    plan = plan_infusion_series(
        request=request(count=2, max_span_days=1, consistency_days=0),
        infusion=KETAMINE,
        resources=resources(*blocked),
    )
    assert days(plan) == ["Mon 11-30 10:00", "Tue 12-01 11:00"]
    (conflict,) = plan.conflicts
    assert conflict.session_index == 1
    assert conflict.reason == errors.CONFLICT_NO_CHAIR
    assert conflict.preferred_start == local(MONDAY + dt.timedelta(days=1), 10)
    assert [a.start.astimezone(CHICAGO).strftime("%H:%M") for a in conflict.alternatives] == [
        "11:00",
        "11:15",
        "11:30",
    ]


def test_the_search_prefers_other_days_to_a_conflict_when_the_rules_allow() -> None:
    blocked = [
        Reservation(
            Resource.CHAIR,
            chair,
            local(MONDAY + dt.timedelta(days=1), 10),
            local(MONDAY + dt.timedelta(days=1), 11),
        )
        for chair in (11, 12)
    ]
    plan = plan_infusion_series(request=request(count=3), infusion=KETAMINE, resources=resources(*blocked))
    assert days(plan) == ["Mon 11-30 10:00", "Wed 12-02 10:00", "Thu 12-03 10:00"]
    assert plan.conflicts == ()


def test_a_nurse_covers_at_most_the_configured_number_of_chairs() -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    busy_nurse = [Reservation(Resource.NURSE, 31, local(tuesday, 9), local(tuesday, 12)) for _ in range(2)]
    strict = request(count=2, max_span_days=1, consistency_days=0)
    plan = plan_infusion_series(request=strict, infusion=KETAMINE, resources=resources(*busy_nurse))
    assert plan.conflicts[0].reason == errors.CONFLICT_NO_NURSE
    three_chairs = resources(*busy_nurse, capacity=CapacityRules(chairs_per_nurse=3))
    assert plan_infusion_series(request=strict, infusion=KETAMINE, resources=three_chairs).conflicts == ()


def test_an_exclusive_reservation_takes_the_whole_nurse() -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    on_break = Reservation(Resource.NURSE, 31, local(tuesday, 10), local(tuesday, 10, 30), exclusive=True)
    plan = plan_infusion_series(
        request=request(count=2, max_span_days=1, consistency_days=0),
        infusion=KETAMINE,
        resources=resources(on_break),
    )
    assert plan.conflicts[0].reason == errors.CONFLICT_NO_NURSE
    assert days(plan)[1] == "Tue 12-01 10:30"


def test_the_prescriber_must_be_on_site_and_free_to_supervise() -> None:
    tuesday = MONDAY + dt.timedelta(days=1)
    away = AvailabilityException(staff_id=41, on=tuesday, available=False, start=dt.time(9), end=dt.time(13))
    plan = plan_infusion_series(
        request=request(count=2, max_span_days=1, consistency_days=0),
        infusion=KETAMINE,
        resources=resources(prescriber_exceptions=(away,)),
    )
    assert plan.conflicts[0].reason == errors.CONFLICT_NO_PRESCRIBER
    assert days(plan)[1] == "Tue 12-01 13:00"


def test_a_required_prescriber_is_honoured() -> None:
    plan = plan_infusion_series(
        request=request(count=1, prescriber_id=42), infusion=KETAMINE, resources=resources()
    )
    assert plan.location_id == 2
    assert plan.sessions[0].prescriber_id == 42


def test_closures_are_skipped() -> None:
    closed = Location(
        id=1,
        time_zone="America/Chicago",
        opening_hours=HOURS,
        chair_ids=(11,),
        closures=(Closure(MONDAY, MONDAY),),
    )
    plan = plan_infusion_series(
        request=request(count=2), infusion=KETAMINE, resources=resources(locations=(closed, DSM))
    )
    assert days(plan) == ["Tue 12-01 10:00", "Wed 12-02 10:00"]


def test_sessions_end_before_closing_time() -> None:
    plan = plan_infusion_series(
        request=request(count=1, preferred_time=dt.time(16)), infusion=KETAMINE, resources=resources()
    )
    assert days(plan) == ["Mon 11-30 15:15"]
    assert plan.conflicts[0].reason == errors.CONFLICT_OUTSIDE_HOURS


def test_without_a_preferred_time_the_earliest_free_time_is_kept() -> None:
    plan = plan_infusion_series(
        request=request(count=2, preferred_time=None, earliest_start=local(MONDAY, 9, 7)),
        infusion=KETAMINE,
        resources=resources(),
    )
    assert days(plan) == ["Mon 11-30 09:15", "Tue 12-01 09:15"]
    assert plan.preferred_time == dt.time(9, 15)


def test_another_location_is_used_when_the_preferred_one_cannot_fit_the_series() -> None:
    no_chairs = Location(id=1, time_zone="America/Chicago", opening_hours=HOURS, chair_ids=())
    plan = plan_infusion_series(
        request=request(count=2), infusion=KETAMINE, resources=resources(locations=(no_chairs, DSM))
    )
    assert plan.location_id == 2
    assert {s.chair_id for s in plan.sessions} == {21}


def test_no_plan_at_all_is_an_error() -> None:
    nobody = resources(nurse_availability=())
    with pytest.raises(SchedulingError) as error:
        plan_infusion_series(request=request(), infusion=KETAMINE, resources=nobody)
    assert str(error.value) == errors.NO_SERIES_PLAN


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"count": 0}, errors.INVALID_SERIES_COUNT),
        ({"min_gap_days": 0}, errors.INVALID_SERIES_GAP),
        ({"count": 6, "min_gap_days": 5, "max_span_days": 21}, errors.INVALID_SERIES_SPAN),
        ({"granularity_minutes": 7}, errors.INVALID_GRANULARITY),
        ({"earliest_start": dt.datetime(2026, 11, 30)}, errors.NAIVE_DATETIME),
    ],
)
def test_invalid_requests_are_refused(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(SchedulingError) as error:
        request(**overrides)
    assert str(error.value) == message


def test_invalid_capacity_and_unknown_location_are_refused() -> None:
    with pytest.raises(SchedulingError, match="nurse"):
        CapacityRules(chairs_per_nurse=0)
    with pytest.raises(SchedulingError) as error:
        plan_infusion_series(
            request=request(preferred_location_id=99), infusion=KETAMINE, resources=resources()
        )
    assert str(error.value) == errors.UNKNOWN_LOCATION.format(location_id=99)


def _plan() -> tuple[SeriesRequest, SeriesPlan]:
    series_request = request(min_gap_days=2, max_span_days=14)
    return series_request, plan_infusion_series(
        request=series_request, infusion=KETAMINE, resources=resources()
    )


def test_rebook_replans_later_sessions_when_the_missed_one_cannot_fit_before_the_next() -> None:
    series_request, plan = _plan()
    assert days(plan) == [
        "Mon 11-30 10:00",
        "Wed 12-02 10:00",
        "Fri 12-04 10:00",
        "Mon 12-07 10:00",
        "Wed 12-09 10:00",
        "Fri 12-11 10:00",
    ]
    # Session 2 (Fri 12-04) was missed; it is now Friday evening.
    after_miss = SeriesRequest(
        earliest_start=local(MONDAY + dt.timedelta(days=4), 18),
        count=6,
        min_gap_days=2,
        max_span_days=14,
        preferred_time=dt.time(10),
    )
    # Between Friday evening and Saturday (the next session is Monday, 2 days gap) nothing is open, so the
    # missed session and the later ones are re-planned; the span still counts from Monday 11-30.
    rebooked = rebook_series_session(
        sessions=plan.sessions, missed_index=2, request=after_miss, infusion=KETAMINE, resources=resources()
    )
    assert days(rebooked)[:2] == days(plan)[:2]
    assert days(rebooked)[2:] == ["Mon 12-07 10:00", "Wed 12-09 10:00", "Fri 12-11 10:00", "Mon 12-14 10:00"]
    assert series_request.count == len(rebooked.sessions)


def test_rebook_moves_only_the_missed_session_when_it_fits_between_its_neighbours() -> None:
    _, plan = _plan()
    # Session 3 (Mon 12-07) was missed; it is Monday evening; the rules now allow 1-day gaps.
    rebooked = rebook_series_session(
        sessions=plan.sessions,
        missed_index=3,
        request=request(
            earliest_start=local(MONDAY + dt.timedelta(days=7), 18), min_gap_days=1, max_span_days=14
        ),
        infusion=KETAMINE,
        resources=resources(),
    )
    assert rebooked.sessions[:3] == plan.sessions[:3]
    assert rebooked.sessions[4:] == plan.sessions[4:]
    assert days(rebooked)[3] == "Tue 12-08 10:00"
    assert rebooked.conflicts == ()


def test_rebook_that_cannot_keep_the_span_is_refused() -> None:
    series_request, plan = _plan()
    too_late = SeriesRequest(
        earliest_start=local(MONDAY + dt.timedelta(days=14), 18), count=6, min_gap_days=2, max_span_days=14
    )
    with pytest.raises(SchedulingError) as error:
        rebook_series_session(
            sessions=plan.sessions, missed_index=2, request=too_late, infusion=KETAMINE, resources=resources()
        )
    assert str(error.value) == errors.NO_REBOOK_POSSIBLE
    with pytest.raises(SchedulingError) as error:
        rebook_series_session(
            sessions=plan.sessions,
            missed_index=6,
            request=series_request,
            infusion=KETAMINE,
            resources=resources(),
        )
    assert str(error.value) == errors.SESSION_INDEX_OUT_OF_RANGE
