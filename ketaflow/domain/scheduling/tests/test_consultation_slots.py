"""Consultation slot search: examples of each rule."""

import datetime as dt
from collections.abc import Callable
from zoneinfo import ZoneInfo

import pytest

from ketaflow.domain.scheduling import (
    AvailabilityException,
    AvailabilityTemplate,
    Booking,
    Closure,
    ConsultationType,
    Location,
    SchedulingError,
    Slot,
    SlotRules,
    WeeklyWindow,
    errors,
    find_consultation_slots,
    next_free_slots,
)

CHICAGO = ZoneInfo("America/Chicago")
WEEKDAYS_8_TO_5 = tuple(WeeklyWindow(day, dt.time(8), dt.time(17)) for day in range(5))
WDM = Location(id=1, time_zone="America/Chicago", opening_hours=WEEKDAYS_8_TO_5, room_ids=(101,))
DSM = Location(id=2, time_zone="America/Chicago", opening_hours=WEEKDAYS_8_TO_5, room_ids=(201,))
# Prescriber 7 works at WDM on Mondays 9-12; prescriber 8 at DSM on Mondays 8-17.
TEMPLATES = [
    AvailabilityTemplate(staff_id=7, location_id=1, weekday=0, start=dt.time(9), end=dt.time(12)),
    AvailabilityTemplate(staff_id=8, location_id=2, weekday=0, start=dt.time(8), end=dt.time(17)),
]
THIRTY = ConsultationType(duration_minutes=30)
GRID_30 = SlotRules(granularity_minutes=30, min_notice=dt.timedelta(0))
# Friday 2026-11-27 10:00 local; the next Monday is 2026-11-30.
NOW = dt.datetime(2026, 11, 27, 10, 0, tzinfo=CHICAGO)
MONDAY = dt.date(2026, 11, 30)


def local(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=CHICAGO)


def starts(slots: list[Slot], provider_id: int | None = None) -> list[str]:
    return [
        s.start.astimezone(CHICAGO).strftime("%m-%d %H:%M")
        for s in slots
        if provider_id is None or s.provider_id == provider_id
    ]


def search(**overrides: object) -> list[Slot]:
    arguments: dict[str, object] = {
        "consultation": THIRTY,
        "locations": [WDM, DSM],
        "availability": TEMPLATES,
        "now": NOW,
        "rules": GRID_30,
        "window_end": local(MONDAY + dt.timedelta(days=1), 0),
    }
    arguments.update(overrides)
    return find_consultation_slots(**arguments)  # type: ignore[arg-type]


def test_slots_fill_the_availability_window_on_the_grid() -> None:
    slots = search(provider_ids=[7])
    assert starts(slots) == [
        "11-30 09:00",
        "11-30 09:30",
        "11-30 10:00",
        "11-30 10:30",
        "11-30 11:00",
        "11-30 11:30",
    ]
    assert all(s.location_id == 1 and s.room_id == 101 for s in slots)
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)
    assert all(s.start.utcoffset() == dt.timedelta(0) for s in slots)


def test_results_are_sorted_by_start_then_location_then_provider() -> None:
    slots = search()
    keys = [(s.start, s.location_id, s.provider_id) for s in slots]
    assert keys == sorted(keys)
    assert len(slots) == 6 + 18


def test_a_booking_and_its_buffers_block_overlapping_slots() -> None:
    booking = Booking(
        starts_at=local(MONDAY, 10), ends_at=local(MONDAY, 10, 30), provider_id=7, buffer_after_minutes=10
    )
    slots = search(provider_ids=[7], bookings=[booking])
    assert starts(slots) == ["11-30 09:00", "11-30 09:30", "11-30 11:00", "11-30 11:30"]


def test_the_new_consultations_own_buffers_keep_distance_from_bookings() -> None:
    booking = Booking(starts_at=local(MONDAY, 10), ends_at=local(MONDAY, 10, 30), provider_id=7)
    buffered = ConsultationType(duration_minutes=30, buffer_before_minutes=5, buffer_after_minutes=5)
    slots = search(provider_ids=[7], bookings=[booking], consultation=buffered)
    assert starts(slots) == ["11-30 09:00", "11-30 11:00", "11-30 11:30"]


def test_a_provider_busy_at_another_location_is_not_offered() -> None:
    elsewhere = Booking(starts_at=local(MONDAY, 9), ends_at=local(MONDAY, 11), provider_id=7, room_id=201)
    assert starts(search(provider_ids=[7], bookings=[elsewhere])) == ["11-30 11:00", "11-30 11:30"]


def test_a_busy_room_blocks_every_provider_at_that_location() -> None:
    room = Booking(starts_at=local(MONDAY, 8), ends_at=local(MONDAY, 16), room_id=201)
    assert starts(search(provider_ids=[8], bookings=[room])) == ["11-30 16:00", "11-30 16:30"]


def test_the_first_free_room_is_assigned() -> None:
    two_rooms = Location(
        id=1, time_zone="America/Chicago", opening_hours=WEEKDAYS_8_TO_5, room_ids=(101, 102)
    )
    busy = Booking(starts_at=local(MONDAY, 9), ends_at=local(MONDAY, 10), room_id=101)
    slots = search(locations=[two_rooms], bookings=[busy])
    assert [s.room_id for s in slots] == [102, 102, 101, 101, 101, 101]


def test_a_location_without_rooms_offers_nothing_but_unmodelled_rooms_do_not_constrain() -> None:
    no_rooms = Location(id=1, time_zone="America/Chicago", opening_hours=WEEKDAYS_8_TO_5, room_ids=())
    unmodelled = Location(id=1, time_zone="America/Chicago", opening_hours=WEEKDAYS_8_TO_5)
    assert search(locations=[no_rooms]) == []
    assert [s.room_id for s in search(locations=[unmodelled])] == [None] * 6


def test_availability_outside_opening_hours_is_not_offered() -> None:
    early = [AvailabilityTemplate(staff_id=7, location_id=1, weekday=0, start=dt.time(6), end=dt.time(8))]
    assert search(availability=early) == []


def test_a_closure_removes_whole_days() -> None:
    closed = Location(
        id=2,
        time_zone="America/Chicago",
        opening_hours=WEEKDAYS_8_TO_5,
        closures=(Closure(MONDAY, MONDAY),),
        room_ids=(201,),
    )
    assert search(locations=[WDM, closed], provider_ids=[8]) == []


def test_unavailability_exceptions_remove_time_and_extra_availability_adds_it() -> None:
    exceptions = [
        AvailabilityException(staff_id=7, on=MONDAY, available=False, start=dt.time(9), end=dt.time(11)),
        AvailabilityException(
            staff_id=7, on=MONDAY, available=True, location_id=1, start=dt.time(14), end=dt.time(15)
        ),
        AvailabilityException(staff_id=8, on=MONDAY, available=False),
    ]
    slots = search(exceptions=exceptions)
    assert starts(slots, 7) == ["11-30 11:00", "11-30 11:30", "11-30 14:00", "11-30 14:30"]
    assert starts(slots, 8) == []


def test_template_validity_dates_are_honoured() -> None:
    expired = [
        AvailabilityTemplate(
            staff_id=7,
            location_id=1,
            weekday=0,
            start=dt.time(9),
            end=dt.time(12),
            valid_until=MONDAY - dt.timedelta(days=1),
        )
    ]
    assert search(availability=expired) == []


def test_minimum_notice_applies_unless_waived() -> None:
    now = local(MONDAY, 0)
    twelve_hours = SlotRules(granularity_minutes=30)
    assert starts(search(now=now, rules=twelve_hours, provider_ids=[8]))[0] == "11-30 12:00"
    waived = SlotRules(granularity_minutes=30, waive_min_notice=True)
    assert starts(search(now=local(MONDAY, 9, 10), rules=waived, provider_ids=[8]))[0] == "11-30 09:30"


def test_horizon_limits_the_latest_start() -> None:
    short = SlotRules(
        granularity_minutes=30, min_notice=dt.timedelta(0), horizon=dt.timedelta(days=3, hours=1)
    )
    # NOW + 3 days 1 hour = Monday 11:00 local: the 11:00 start is the last one (inclusive).
    assert starts(search(rules=short, provider_ids=[7]))[-1] == "11-30 11:00"


def test_a_fifteen_minute_grid_offers_quarter_hours() -> None:
    quarter = SlotRules(granularity_minutes=15, min_notice=dt.timedelta(0))
    assert len(search(rules=quarter, provider_ids=[7])) == 11


def test_dst_spring_forward_keeps_wall_clock_hours() -> None:
    # 2026-03-08 is the spring-forward Sunday; Monday 9:00 CDT is 14:00 UTC, the Friday before 9:00 CST is 15:00 UTC.
    now = dt.datetime(2026, 3, 5, 12, tzinfo=CHICAGO)
    slots = find_consultation_slots(
        consultation=THIRTY,
        locations=[WDM],
        availability=[AvailabilityTemplate(7, 1, day, dt.time(9), dt.time(10)) for day in range(5)],
        now=now,
        rules=GRID_30,
        window_end=dt.datetime(2026, 3, 10, tzinfo=CHICAGO),
    )
    assert [s.start.strftime("%m-%d %H:%M") for s in slots] == [
        "03-06 15:00",
        "03-06 15:30",
        "03-09 14:00",
        "03-09 14:30",
    ]


def test_dst_night_window_spans_the_real_elapsed_hours() -> None:
    overnight = Location(
        id=9, time_zone="America/Chicago", opening_hours=(WeeklyWindow(6, dt.time(0), dt.time(5)),)
    )
    sunday = [AvailabilityTemplate(7, 9, 6, dt.time(0), dt.time(5))]
    hourly = SlotRules(granularity_minutes=60, min_notice=dt.timedelta(0))
    for day, expected in ((dt.date(2026, 3, 8), 4), (dt.date(2026, 11, 1), 6), (dt.date(2026, 11, 8), 5)):
        slots = find_consultation_slots(
            consultation=ConsultationType(60),
            locations=[overnight],
            availability=sunday,
            now=local(day, 0) - dt.timedelta(hours=1),
            rules=hourly,
            window_end=local(day, 12),
        )
        assert len(slots) == expected, day
        assert len({s.start for s in slots}) == expected


def test_next_free_slots_after_a_slot_was_taken() -> None:
    taken = Booking(starts_at=local(MONDAY, 9), ends_at=local(MONDAY, 9, 30), provider_id=7)
    slots = next_free_slots(
        consultation=THIRTY,
        locations=[WDM, DSM],
        availability=TEMPLATES,
        bookings=[taken],
        now=NOW,
        rules=GRID_30,
        after=local(MONDAY, 9),
        provider_ids=[7],
    )
    assert starts(slots) == ["11-30 09:30", "11-30 10:00", "11-30 10:30"]


def test_limit_per_provider_keeps_the_first_n_of_each() -> None:
    slots = search(limit_per_provider=2)
    assert starts(slots, 7) == ["11-30 09:00", "11-30 09:30"]
    assert starts(slots, 8) == ["11-30 08:00", "11-30 08:30"]


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(SchedulingError) as error:
        search(now=dt.datetime(2026, 11, 27, 10))
    assert str(error.value) == errors.NAIVE_DATETIME
    with pytest.raises(SchedulingError) as error:
        Booking(starts_at=dt.datetime(2026, 11, 30, 9), ends_at=dt.datetime(2026, 11, 30, 10))
    assert str(error.value) == errors.NAIVE_DATETIME


@pytest.mark.parametrize("minutes", [0, 7, -15, 25])
def test_granularity_must_divide_a_day(minutes: int) -> None:
    with pytest.raises(SchedulingError) as error:
        SlotRules(granularity_minutes=minutes)
    assert str(error.value) == errors.INVALID_GRANULARITY


def test_invalid_inputs_have_clear_messages() -> None:
    cases: list[tuple[Callable[[], object], str]] = [
        (lambda: ConsultationType(0), errors.INVALID_DURATION),
        (lambda: WeeklyWindow(7, dt.time(8), dt.time(9)), errors.INVALID_WEEKDAY),
        (lambda: WeeklyWindow(0, dt.time(9), dt.time(9)), errors.WINDOW_END_NOT_AFTER_START),
        (lambda: Closure(MONDAY, MONDAY - dt.timedelta(days=1)), errors.CLOSURE_ENDS_BEFORE_START),
        (lambda: AvailabilityException(7, MONDAY, True), errors.EXTRA_AVAILABILITY_NEEDS_LOCATION),
        (
            lambda: AvailabilityException(7, MONDAY, False, start=dt.time(9)),
            errors.EXCEPTION_TIMES_INCOMPLETE,
        ),
        (
            lambda: search(locations=[Location(1, "Mars/Olympus", WEEKDAYS_8_TO_5)]),
            errors.UNKNOWN_TIME_ZONE.format(name="Mars/Olympus"),
        ),
        (lambda: search(limit_per_provider=0), errors.INVALID_LIMIT),
    ]
    for build, message in cases:
        with pytest.raises(SchedulingError) as error:
            build()
        assert str(error.value) == message


def test_a_booking_ending_mid_second_still_blocks_the_next_slot() -> None:
    booking = Booking(
        starts_at=local(MONDAY, 9, 30),
        ends_at=local(MONDAY, 10) + dt.timedelta(microseconds=500),
        provider_id=7,
    )
    assert (booking.busy_from, booking.busy_until) == (
        int(local(MONDAY, 9, 30).timestamp()),
        int(local(MONDAY, 10).timestamp()) + 1,
    )
    assert "11-30 10:00" not in starts(search(provider_ids=[7], bookings=[booking]))


def test_string_ids_work_as_well_as_integers() -> None:
    location = Location(
        id="wdm", time_zone="America/Chicago", opening_hours=WEEKDAYS_8_TO_5, room_ids=("room-a",)
    )
    template = AvailabilityTemplate(
        staff_id="paul", location_id="wdm", weekday=0, start=dt.time(9), end=dt.time(10)
    )
    slots = search(locations=[location], availability=[template])
    assert [(s.location_id, s.provider_id, s.room_id) for s in slots] == [("wdm", "paul", "room-a")] * 2
