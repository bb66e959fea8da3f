"""Reads for the booking engine: fetch rows once, convert them to domain dataclasses, call the domain."""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Role
from ketaflow.clinics.models import Closure, Location, OpeningHours, Room
from ketaflow.domain import scheduling as domain
from ketaflow.scheduling.models import (
    Appointment,
    AvailabilityException,
    ConsultationType,
    ProviderAvailability,
    ScheduleVersion,
)

HOLD_MINUTES = 10
ONLINE_MIN_NOTICE = dt.timedelta(hours=12)
HORIZON = dt.timedelta(days=60)


def consultation_types(*, online_only: bool = False) -> QuerySet[ConsultationType]:
    qs = ConsultationType.objects.filter(is_active=True)
    return qs.filter(bookable_online=True) if online_only else qs


def prescribers() -> QuerySet[User]:
    return User.objects.filter(role=Role.PRESCRIBER, is_active=True).order_by("last_name", "first_name")


def _domain_locations(*, today: dt.date) -> list[domain.Location]:
    """Active locations with their hours, closures from ``today`` on and consultation rooms."""
    qs = Location.objects.filter(is_active=True).prefetch_related(
        Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")),
        Prefetch("closures", queryset=Closure.objects.filter(ends_on__gte=today - dt.timedelta(days=1))),
        Prefetch(
            "rooms", queryset=Room.objects.filter(is_active=True, purpose="consultation").order_by("label")
        ),
    )
    return [
        domain.Location(
            id=loc.pk,
            time_zone=loc.time_zone,
            opening_hours=tuple(
                domain.WeeklyWindow(h.weekday, h.opens_at, h.closes_at) for h in loc.opening_hours.all()
            ),
            closures=tuple(domain.Closure(c.starts_on, c.ends_on) for c in loc.closures.all()),
            room_ids=tuple(r.pk for r in loc.rooms.all()),
        )
        for loc in qs.order_by("name")
    ]


@dataclass(frozen=True)
class _Inputs:
    """Everything slot search reads from the database, for one window."""

    locations: list[domain.Location]
    availability: list[domain.AvailabilityTemplate]
    exceptions: list[domain.AvailabilityException]
    busy: list[tuple[domain.Booking, dt.datetime | None]]


def _fetch_inputs(*, start: dt.datetime, end: dt.datetime, today: dt.date) -> _Inputs:
    return _Inputs(
        locations=_domain_locations(today=today),
        availability=[
            domain.AvailabilityTemplate(
                a.provider_id, a.location_id, a.weekday, a.starts_at, a.ends_at, a.valid_from, a.valid_until
            )
            for a in ProviderAvailability.objects.filter(provider__is_active=True)
        ],
        exceptions=[
            domain.AvailabilityException(
                e.provider_id, e.on, e.available, e.location_id, e.starts_at, e.ends_at
            )
            for e in AvailabilityException.objects.filter(
                on__gte=start.date() - dt.timedelta(days=1), on__lte=end.date() + dt.timedelta(days=1)
            )
        ],
        busy=_fetch_busy(start=start, end=end),
    )


# Per-process cache of slot-search inputs: {(db alias, schedule version, date): _Inputs over the horizon}.
_INPUT_CACHE: dict[tuple[str, int, dt.date], _Inputs] = {}
_CACHE_SLACK = dt.timedelta(days=2)


def _inputs(*, start: dt.datetime, end: dt.datetime, now: dt.datetime, fresh: bool) -> _Inputs:
    """Slot-search inputs covering ``[start, end)``.

    ``fresh=True`` (used under the booking lock) always reads the database. Otherwise the whole horizon is
    read once per schedule version and day and reused. The version is read first, so cached inputs are never
    older than their version; every write to appointments, availability, hours, closures or rooms bumps it.
    """
    today = timezone.localdate(now)
    if fresh:
        return _fetch_inputs(start=start, end=end, today=today)
    horizon_start, horizon_end = now - _CACHE_SLACK, now + HORIZON + _CACHE_SLACK
    if start < horizon_start or end > horizon_end:
        return _fetch_inputs(start=start, end=end, today=today)
    version = schedule_version()
    if version is None:
        return _fetch_inputs(start=start, end=end, today=today)
    key = (Appointment.objects.db, version, now.date())
    cached = _INPUT_CACHE.get(key)
    if cached is None:
        cached = _fetch_inputs(start=horizon_start, end=horizon_end, today=today)
        _INPUT_CACHE.clear()
        _INPUT_CACHE[key] = cached
    return cached


def slot_search(
    *,
    consultation_type: ConsultationType,
    now: dt.datetime | None = None,
    location_ids: Iterable[int] | None = None,
    provider_ids: Iterable[int] | None = None,
    waive_min_notice: bool = False,
    window_start: dt.datetime | None = None,
    window_end: dt.datetime | None = None,
    limit_per_provider: int | None = None,
    next_after: dt.datetime | None = None,
    limit: int | None = None,
    fresh: bool = False,
) -> list[domain.Slot]:
    """Free consultation slots: one query when the inputs are cached, eight on a fresh read (pinned in tests)."""
    now = now or timezone.now()
    rules = domain.SlotRules(
        granularity_minutes=15,
        min_notice=ONLINE_MIN_NOTICE,
        horizon=HORIZON,
        waive_min_notice=waive_min_notice,
    )
    search_start = window_start or now
    search_end = window_end or now + HORIZON + dt.timedelta(days=1)
    inputs = _inputs(
        start=search_start - dt.timedelta(hours=2),
        end=search_end + dt.timedelta(hours=2),
        now=now,
        fresh=fresh,
    )
    locations = (
        inputs.locations
        if consultation_type.needs_room
        else [replace(location, room_ids=None) for location in inputs.locations]
    )
    consultation = domain.ConsultationType(
        consultation_type.duration_minutes,
        consultation_type.buffer_before_minutes,
        consultation_type.buffer_after_minutes,
    )
    common: dict[str, Any] = {
        "consultation": consultation,
        "locations": locations,
        "availability": inputs.availability,
        "exceptions": inputs.exceptions,
        "bookings": [booking for booking, expires in inputs.busy if expires is None or expires > now],
        "now": now,
        "rules": rules,
        "location_ids": location_ids,
        "provider_ids": provider_ids,
    }
    if next_after is not None:
        return domain.next_free_slots(**common, after=next_after, limit=limit or 3)
    slots = domain.find_consultation_slots(
        **common, window_start=window_start, window_end=window_end, limit_per_provider=limit_per_provider
    )
    return slots[:limit] if limit else slots


def _as_utc(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    # SQLite returns the stored text; fromisoformat (C) is ~30x faster than Django's converter.
    return dt.datetime.fromisoformat(value).replace(tzinfo=dt.UTC)


def _raw_rows(queryset: Any) -> list[tuple[Any, ...]]:
    """Rows straight from the cursor, without Django's per-value converters (datetimes fixed by _as_utc)."""
    from django.db.models.sql.constants import MULTI

    compiler = queryset.query.get_compiler(queryset.db)
    rows: list[tuple[Any, ...]] = []
    for chunk in compiler.execute_sql(MULTI) or []:
        for starts_at, ends_at, *rest in chunk:
            rows.append((_as_utc(starts_at), _as_utc(ends_at), *rest))
    return rows


def schedule_version() -> int | None:
    """The current schedule stamp, or None before the first change (then nothing is cached)."""
    return ScheduleVersion.objects.filter(pk=1).values_list("version", flat=True).first()


def schedule_changed() -> None:
    """Call inside every transaction that writes what slot search reads (services and signals do).

    The stamp is random rather than a counter: a rolled-back change or a database restored from a backup
    could otherwise bring back a number that a process has already cached other data under.
    """
    stamp = secrets.randbits(62)
    if not ScheduleVersion.objects.filter(pk=1).update(version=stamp):
        ScheduleVersion.objects.update_or_create(pk=1, defaults={"version": stamp})


def _fetch_busy(*, start: dt.datetime, end: dt.datetime) -> list[tuple[domain.Booking, dt.datetime | None]]:
    """Booked and held appointments as domain bookings, with the hold's expiry (None when booked)."""
    buffers = {
        ct.pk: (ct.buffer_before_minutes, ct.buffer_after_minutes) for ct in ConsultationType.objects.all()
    }
    rows = _raw_rows(
        Appointment.objects.filter(
            starts_at__lt=end, ends_at__gt=start, status__in=Appointment.ACTIVE
        ).values_list(
            "starts_at", "ends_at", "provider_id", "room_id", "consultation_type_id", "hold_expires_at"
        )
    )
    return [
        (
            domain.Booking(
                starts_at=starts_at,
                ends_at=ends_at,
                provider_id=provider_id,
                room_id=room_id,
                buffer_before_minutes=buffers[type_id][0],
                buffer_after_minutes=buffers[type_id][1],
            ),
            _as_utc(expires) if expires is not None else None,
        )
        for starts_at, ends_at, provider_id, room_id, type_id, expires in rows
    ]


def appointments_for_day(*, location: Location, day: dt.date, days: int = 1) -> QuerySet[Appointment]:
    tz = location.tz
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=days)
    return (
        Appointment.objects.filter(location=location, starts_at__gte=start, starts_at__lt=end)
        .exclude(status__in=[Appointment.Status.EXPIRED])
        .exclude(status=Appointment.Status.HELD, hold_expires_at__lte=timezone.now())
        .select_related("patient", "provider", "consultation_type", "room")
        .order_by("starts_at", "provider__last_name")
    )


def inbox_appointments(*, user: Any, status: str | None = None) -> QuerySet[Appointment]:
    qs = (
        Appointment.objects.filter(
            status__in=[Appointment.Status.BOOKED, Appointment.Status.CANCELLED],
            channel=Appointment.Channel.ONLINE,
        )
        .select_related("patient", "location", "consultation_type", "provider")
        .order_by("-booked_at", "-id")
    )
    if not user.is_superuser:
        qs = qs.filter(location_id__in=user.location_ids())
    if status:
        qs = qs.filter(inbox_status=status)
    return qs


def inbox_screenings(*, status: str | None = None) -> Any:
    """Self-screenings people chose to share, newest first, with the appointment they led to (if any)."""
    from django.db.models import OuterRef, Subquery

    from ketaflow.public.models import ScreeningResult

    booked = Appointment.objects.filter(screening_uuid=OuterRef("uuid"), status=Appointment.Status.BOOKED)
    qs = ScreeningResult.objects.annotate(appointment_uuid=Subquery(booked.values("uuid")[:1])).order_by(
        "-created_at"
    )
    return qs.filter(status=status) if status else qs
