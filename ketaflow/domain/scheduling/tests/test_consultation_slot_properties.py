"""Slot search is sound, sorted and complete: compared with a minute-by-minute brute-force oracle.

The oracle shares no arithmetic with the implementation: it marks every open/available minute in sets,
walks every UTC minute to find wall-clock grid points, and checks each booking overlap directly.
"""

import datetime as dt
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from ketaflow.domain.scheduling import (
    AvailabilityException,
    AvailabilityTemplate,
    Booking,
    Closure,
    ConsultationType,
    Location,
    SlotRules,
    WeeklyWindow,
    find_consultation_slots,
)

# Chicago (DST), Lord Howe (30-minute DST shift), Kolkata (+05:30), UTC.
ZONES = ["America/Chicago", "Australia/Lord_Howe", "Asia/Kolkata", "UTC"]
# Days just before DST changes in Chicago (Mar 8, Nov 1) and Lord Howe (Apr 5, Oct 4), and a plain week.
FIRST_DAYS = [
    dt.date(2026, 3, 7),
    dt.date(2026, 10, 31),
    dt.date(2026, 4, 4),
    dt.date(2026, 10, 3),
    dt.date(2026, 6, 1),
]
PROVIDERS = [1, 2]
MINUTE = 60


@st.composite
def windows(draw: st.DrawFn) -> tuple[dt.time, dt.time]:
    # Mostly daytime windows (so they overlap), sometimes night ones that cross a DST change.
    start = draw(st.one_of(st.integers(6 * 4, 10 * 4), st.integers(0, 20 * 4))) * 15
    length = draw(st.one_of(st.integers(16, 48), st.integers(2, 48))) * 15 + draw(st.sampled_from([0, 0, 5]))
    end = min(start + length, 23 * 60 + 59)
    return dt.time(start // 60, start % 60), dt.time(end // 60, end % 60)


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, object]:
    # One or two locations, possibly in different zones; the providers may work at both.
    zone_names = [draw(st.sampled_from(ZONES)) for _ in range(draw(st.integers(1, 2)))]
    tz = ZoneInfo(zone_names[0])
    first_day = draw(st.sampled_from(FIRST_DAYS))
    days = [first_day + dt.timedelta(days=i) for i in range(3)]
    locations = []
    for location_id, tz_name in enumerate(zone_names, start=1):
        opening = tuple(
            WeeklyWindow(day.weekday(), *draw(windows()))
            for day in days
            for _ in range(draw(st.sampled_from([0, 1, 1, 2])))
        )
        closures = tuple(Closure(day, day) for day in days if draw(st.sampled_from([False] * 5 + [True])))
        rooms = draw(st.sampled_from([None, (1,), (1, 2), (1,), ()]))
        room_ids = None if rooms is None else tuple(location_id * 10 + r for r in rooms)
        locations.append(Location(location_id, tz_name, opening, closures, room_ids=room_ids))
    location_ids = [location.id for location in locations]
    templates = [
        AvailabilityTemplate(provider, draw(st.sampled_from(location_ids)), day.weekday(), *draw(windows()))
        for provider in PROVIDERS
        for day in days
        if draw(st.integers(0, 3))
    ]
    exceptions = []
    for _ in range(draw(st.integers(0, 3))):
        available = draw(st.booleans())
        whole_day = draw(st.booleans()) and not available
        start, end = (None, None) if whole_day else draw(windows())
        exceptions.append(
            AvailabilityException(
                staff_id=draw(st.sampled_from(PROVIDERS)),
                on=draw(st.sampled_from(days)),
                available=available,
                location_id=draw(st.sampled_from(location_ids)) if available or draw(st.booleans()) else None,
                start=start,
                end=end,
            )
        )
    base = dt.datetime.combine(first_day, dt.time(0), tzinfo=tz)
    bookings = []
    for _ in range(draw(st.integers(0, 6))):
        start_at = base + dt.timedelta(minutes=draw(st.integers(0, 3 * 1440 // 5)) * 5)
        bookings.append(
            Booking(
                starts_at=start_at,
                ends_at=start_at + dt.timedelta(minutes=draw(st.sampled_from([10, 30, 45, 60]))),
                provider_id=draw(st.sampled_from([None, *PROVIDERS])),
                room_id=draw(st.sampled_from([None, 11, 12, 21, 22])),
                buffer_before_minutes=draw(st.sampled_from([0, 5])),
                buffer_after_minutes=draw(st.sampled_from([0, 10])),
            )
        )
    consultation = ConsultationType(
        duration_minutes=draw(st.sampled_from([15, 30, 50, 60])),
        buffer_before_minutes=draw(st.sampled_from([0, 5])),
        buffer_after_minutes=draw(st.sampled_from([0, 15])),
    )
    rules = SlotRules(
        granularity_minutes=draw(st.sampled_from([15, 30, 60])),
        min_notice=dt.timedelta(minutes=draw(st.sampled_from([0, 90, 720]))),
        horizon=dt.timedelta(hours=draw(st.integers(24, 72))),
        waive_min_notice=draw(st.booleans()),
    )
    now = base + dt.timedelta(
        minutes=draw(st.integers(-120, 1440)), seconds=draw(st.sampled_from([0, 0, 17]))
    )
    return {
        "consultation": consultation,
        "locations": locations,
        "availability": templates,
        "exceptions": exceptions,
        "bookings": bookings,
        "now": now,
        "rules": rules,
    }


def _utc(day: dt.date, t: dt.time, tz: ZoneInfo) -> int:
    return int(dt.datetime.combine(day, t, tzinfo=tz).timestamp())


def _minutes(start: int, end: int) -> set[int]:
    return set(range(start, end, MINUTE))


def oracle(scenario: dict[str, object]) -> set[tuple[int, int, object, object, object]]:
    """Every valid slot (start, end, location, provider, room), found minute by minute."""
    consultation = scenario["consultation"]
    rules = scenario["rules"]
    now = scenario["now"]
    locations = scenario["locations"]
    templates = scenario["availability"]
    exceptions = scenario["exceptions"]
    bookings = scenario["bookings"]
    assert isinstance(consultation, ConsultationType) and isinstance(rules, SlotRules)
    assert isinstance(now, dt.datetime)
    assert isinstance(locations, list) and isinstance(templates, list)
    assert isinstance(exceptions, list) and isinstance(bookings, list)
    now_s = -int(-now.timestamp() // 1)
    earliest = now_s if rules.waive_min_notice else now_s + int(rules.min_notice.total_seconds())
    latest = int((now + rules.horizon).timestamp())
    duration = consultation.duration_minutes * MINUTE

    def clashes(booking: Booking, start: int) -> bool:
        new_start = start - consultation.buffer_before_minutes * MINUTE
        new_end = start + duration + consultation.buffer_after_minutes * MINUTE
        old_start = int(booking.starts_at.timestamp()) - booking.buffer_before_minutes * MINUTE
        old_end = int(booking.ends_at.timestamp()) + booking.buffer_after_minutes * MINUTE
        return new_start < old_end and old_start < new_end

    results: set[tuple[int, int, object, object, object]] = set()
    for location in locations:
        tz = ZoneInfo(location.time_zone)
        first_day = now.astimezone(tz).date() - dt.timedelta(days=2)
        all_days = [first_day + dt.timedelta(days=i) for i in range(10)]
        open_minutes: set[int] = set()
        for day in all_days:
            if any(c.starts_on <= day <= c.ends_on for c in location.closures):
                continue
            for window in location.opening_hours:
                if window.weekday == day.weekday():
                    open_minutes |= _minutes(_utc(day, window.start, tz), _utc(day, window.end, tz))
        grid = [
            t
            for t in range(earliest - earliest % MINUTE, latest + 1, MINUTE)
            if t >= earliest
            and (lambda local: (local.hour * 60 + local.minute) % rules.granularity_minutes == 0)(
                dt.datetime.fromtimestamp(t, tz)
            )
        ]
        for provider in PROVIDERS:
            available: set[int] = set()
            away: set[int] = set()
            for day in all_days:
                for template in templates:
                    if (
                        template.staff_id == provider
                        and template.location_id == location.id
                        and template.weekday == day.weekday()
                    ):
                        available |= _minutes(_utc(day, template.start, tz), _utc(day, template.end, tz))
                for exception in exceptions:
                    if exception.staff_id != provider or exception.on != day:
                        continue
                    if exception.location_id not in (None, location.id):
                        continue
                    if exception.start is None:
                        span = _minutes(
                            _utc(day, dt.time(0), tz), _utc(day + dt.timedelta(days=1), dt.time(0), tz)
                        )
                    else:
                        span = _minutes(_utc(day, exception.start, tz), _utc(day, exception.end, tz))
                    if exception.available:
                        available |= span
                    else:
                        away |= span
            usable = (open_minutes & available) - away
            for start in grid:
                if not _minutes(start, start + duration) <= usable:
                    continue
                if any(b.provider_id == provider and clashes(b, start) for b in bookings):
                    continue
                if location.room_ids is None:
                    results.add((start, start + duration, location.id, provider, None))
                    continue
                for room in location.room_ids:
                    if not any(b.room_id == room and clashes(b, start) for b in bookings):
                        results.add((start, start + duration, location.id, provider, room))
                        break
    return results


@settings(max_examples=40)
@given(scenarios())
def test_slot_search_matches_the_brute_force_oracle(scenario: dict[str, object]) -> None:
    slots = find_consultation_slots(**scenario)  # type: ignore[arg-type]
    keys = [(s.start, s.location_id, s.provider_id) for s in slots]
    assert keys == sorted(keys)
    assert len(set(keys)) == len(keys)
    found = {
        (int(s.start.timestamp()), int(s.end.timestamp()), s.location_id, s.provider_id, s.room_id)
        for s in slots
    }
    assert found == oracle(scenario)
