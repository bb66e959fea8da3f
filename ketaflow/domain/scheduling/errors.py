"""Errors raised by the scheduling core; messages are module constants so tests can assert them exactly."""

from __future__ import annotations

NAIVE_DATETIME = "Datetimes passed to the scheduling core must be timezone-aware."
UNKNOWN_TIME_ZONE = "Unknown time zone: {name!r}."
INVALID_WEEKDAY = "Weekday must be an integer from 0 (Monday) to 6 (Sunday)."
WINDOW_END_NOT_AFTER_START = "A time window must end after it starts (same day)."
EXCEPTION_TIMES_INCOMPLETE = "An availability exception needs both a start and an end time, or neither."
EXTRA_AVAILABILITY_NEEDS_LOCATION = "Extra availability must name the location where it applies."
CLOSURE_ENDS_BEFORE_START = "A closure must not end before it starts."
BOOKING_ENDS_BEFORE_START = "A booking or reservation must not end before it starts."
INVALID_DURATION = "Duration must be a positive number of minutes."
NEGATIVE_BUFFER = "Buffers must be zero or more minutes."
INVALID_GRANULARITY = "Slot granularity must be a positive number of minutes that divides 1440 (a day)."
INVALID_LIMIT = "The number of slots asked for must be at least 1."
UNKNOWN_LOCATION = "Unknown location id: {location_id!r}."
INVALID_NURSE_RATIO = "A nurse must be able to cover at least one chair."
INVALID_PRESCRIBER_CAPACITY = "A prescriber must be able to supervise at least one infusion."
INVALID_SERIES_COUNT = "A series needs at least one session."
INVALID_SERIES_GAP = "Sessions of a series must be at least one day apart (min_gap_days >= 1)."
INVALID_RESERVATION_UNITS = "A reservation must use at least one unit of capacity."
INVALID_SERIES_SPAN = "The series span is too short for the number of sessions and the minimum gap."
NO_SERIES_PLAN = "No location can fit the whole series within the search horizon."
SESSION_INDEX_OUT_OF_RANGE = "There is no session with that index in the series."
SESSION_ALREADY_DONE = "Only a session that has not happened yet can be rebooked."
NO_REBOOK_POSSIBLE = "The missed session cannot be rebooked without breaking the series rules."


class SchedulingError(ValueError):
    """Invalid scheduling input or an impossible request; ``str(error)`` is one of the constants above."""


# Reasons recorded on a series conflict (why the preferred time was not free that day).
CONFLICT_OUTSIDE_HOURS = "The location is closed at the preferred time."
CONFLICT_NO_CHAIR = "No chair is free at the preferred time."
CONFLICT_NO_NURSE = "No nurse on duty has a free chair slot at the preferred time."
CONFLICT_NO_PRESCRIBER = "No prescriber is on site and free to supervise at the preferred time."
CONFLICT_BEFORE_EARLIEST = "The preferred time is earlier than the earliest allowed start."
