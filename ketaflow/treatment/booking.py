"""Chair-aware infusion booking: fetch rows → domain dataclasses → ``domain.scheduling`` → persist.

Writes lock the location row (``SELECT ... FOR UPDATE``; SQLite serialises writers with ``BEGIN IMMEDIATE``),
re-check each session with a fresh read, then insert one ``ChairClaim`` and one ``NurseClaim`` per 15-minute
slot. The unique constraints on the claims refuse any double use that slips past the check, and the whole
series is one transaction: all sessions are booked or none (docs/adr/0005-chair-booking-concurrency.md).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Prefetch
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Perm, Role
from ketaflow.clinics.models import Chair, Closure, Location, OpeningHours
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.domain import pk
from ketaflow.domain import scheduling as domain
from ketaflow.patients.models import BodyMeasurement, Patient
from ketaflow.scheduling.models import Appointment, AvailabilityException, ProviderAvailability
from ketaflow.treatment.models import (
    SLOT_MINUTES,
    ChairClaim,
    Course,
    InfusionSession,
    LocationCapacity,
    NurseClaim,
    Pathway,
    Protocol,
)

SLOT_TAKEN = "That chair time was just taken by someone else. Choose another time."
SERIES_CHANGED = (
    "Session {index} ({when}) is no longer free: {reason} Nothing was booked; review the new proposal."
)
NO_PLAN = "No location can fit the whole series in the next 60 days."
NO_REBOOK = "This session cannot be moved without breaking the series rules (gaps and span)."
DEFAULT_WEIGHT_KG = 70.0  # used for the recovery forecast at booking time when no weight is on file

GATE_NO_CONSULTATION = "The patient has not had a consultation yet."
GATE_NO_CANDIDACY = "The prescriber has not approved the patient for {pathway}."
GATE_NO_CONSENT = "No signed, counter-signed consent for {pathway} is on file."
GATE_NO_REMS = "The patient is not enrolled in the SPRAVATO REMS programme."


class BookingError(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def booking_gate(patient: Patient, pathway: str) -> list[str]:
    """Why infusion booking is blocked for ``patient`` on ``pathway`` (empty = allowed).

    Order: consultation done → candidacy approved → consent signed and counter-signed (→ REMS for esketamine).
    """
    from ketaflow.intake.selectors import candidacy_approved, consent_current, rems_enrolled

    label = Pathway(pathway).label
    reasons: list[str] = []
    had_consultation = Appointment.objects.filter(
        patient=patient,
        status__in=[Appointment.Status.BOOKED, Appointment.Status.COMPLETED],
        starts_at__lte=timezone.now(),
    ).exists()
    if not had_consultation:
        reasons.append(GATE_NO_CONSULTATION)
    if not candidacy_approved(patient, pathway):
        reasons.append(GATE_NO_CANDIDACY.format(pathway=label))
    if consent_current(patient, pathway) is None:
        reasons.append(GATE_NO_CONSENT.format(pathway=label))
    if pathway == Pathway.ESKETAMINE_NASAL and not rems_enrolled(patient):
        reasons.append(GATE_NO_REMS)
    return reasons


def latest_weight_kg(patient: Patient) -> float | None:
    row = BodyMeasurement.objects.current().filter(patient=patient).order_by("-measured_on", "-id").first()
    return row.weight_kg if row else None


def recovery_forecast(protocol: Protocol, weight_kg: float) -> pk.RecoveryForecast | None:
    """PK-predicted wait after the planned dose (population prior); None for esketamine (label minimum rules)."""
    minutes = float(protocol.infusion_minutes)
    if protocol.kind == Protocol.Kind.IV_DOSE and protocol.mg_per_kg:
        rate_mg_per_min = protocol.mg_per_kg * weight_kg / minutes
    elif protocol.kind == Protocol.Kind.IV_RATE and protocol.mg_per_kg_per_h:
        rate_mg_per_min = protocol.mg_per_kg_per_h * weight_kg / 60.0
    else:
        return None
    model = pk.get_model(pk.DEFAULT_MODEL_ID)
    schedule = pk.Schedule(infusions=(pk.Infusion(0.0, minutes, rate_mg_per_min),))
    return pk.forecast_recovery(model, pk.Covariates(weight_kg=weight_kg), schedule)


def chair_minutes(protocol: Protocol, weight_kg: float | None) -> domain.InfusionType:
    """Infusion time + recovery: the protocol minimum, or the PK central forecast if longer (15-min grid)."""
    recovery = protocol.min_recovery_minutes
    forecast = recovery_forecast(protocol, weight_kg or DEFAULT_WEIGHT_KG)
    if forecast is not None:
        predicted = int(math.ceil(forecast.ready_after_stop_min / SLOT_MINUTES) * SLOT_MINUTES)
        recovery = max(recovery, predicted)
    return domain.InfusionType(infusion_minutes=protocol.infusion_minutes, recovery_minutes=recovery)


def _capacity(location_id: int) -> domain.CapacityRules:
    row = LocationCapacity.objects.filter(location_id=location_id).first()
    if row is None:
        return domain.CapacityRules()
    return domain.CapacityRules(
        chairs_per_nurse=row.chairs_per_nurse, infusions_per_prescriber=row.infusions_per_prescriber
    )


def build_resources(
    *,
    location_ids: list[int],
    start: dt.datetime,
    end: dt.datetime,
    exclude_session_ids: tuple[int, ...] = (),
) -> domain.InfusionResources:
    """Every row the series search reads, fetched once: locations (hours, closures, chairs), nurses on duty
    (nurses of the location, during opening hours: no nurse roster yet), prescriber availability and
    exceptions, and live infusion sessions as reservations."""
    locations = list(
        Location.objects.filter(pk__in=location_ids, is_active=True)
        .prefetch_related(
            Prefetch("opening_hours", queryset=OpeningHours.objects.order_by("weekday", "opens_at")),
            Prefetch(
                "closures", queryset=Closure.objects.filter(ends_on__gte=start.date() - dt.timedelta(days=1))
            ),
            Prefetch("chairs", queryset=Chair.objects.filter(is_active=True).order_by("id")),
        )
        .order_by("id")
    )
    domain_locations = tuple(
        domain.Location(
            id=loc.pk,
            time_zone=loc.time_zone,
            opening_hours=tuple(
                domain.WeeklyWindow(h.weekday, h.opens_at, h.closes_at) for h in loc.opening_hours.all()
            ),
            closures=tuple(domain.Closure(c.starts_on, c.ends_on) for c in loc.closures.all()),
            chair_ids=tuple(c.pk for c in loc.chairs.all()),
        )
        for loc in locations
    )
    nurse_templates = []
    for nurse_id, location_id in User.objects.filter(
        role=Role.NURSE, is_active=True, locations__in=location_ids
    ).values_list("id", "locations"):
        for loc in locations:
            if loc.pk == location_id:
                for h in loc.opening_hours.all():
                    nurse_templates.append(
                        domain.AvailabilityTemplate(nurse_id, location_id, h.weekday, h.opens_at, h.closes_at)
                    )
    prescriber_templates = tuple(
        domain.AvailabilityTemplate(
            a.provider_id, a.location_id, a.weekday, a.starts_at, a.ends_at, a.valid_from, a.valid_until
        )
        for a in ProviderAvailability.objects.filter(
            location_id__in=location_ids, provider__role=Role.PRESCRIBER, provider__is_active=True
        )
    )
    prescriber_exceptions = tuple(
        domain.AvailabilityException(e.provider_id, e.on, e.available, e.location_id, e.starts_at, e.ends_at)
        for e in AvailabilityException.objects.filter(
            on__gte=start.date() - dt.timedelta(days=1), on__lte=end.date()
        )
    )
    reservations: list[domain.Reservation] = []
    rows = (
        InfusionSession.objects.current()
        .filter(status__in=InfusionSession.LIVE, starts_at__lt=end, ends_at__gt=start)
        .exclude(pk__in=exclude_session_ids)
        .values_list("starts_at", "ends_at", "chair_id", "nurse_id", "prescriber_id")
    )
    for starts_at, ends_at, chair_id, nurse_id, prescriber_id in rows:
        reservations.append(domain.Reservation(domain.Resource.CHAIR, chair_id, starts_at, ends_at))
        reservations.append(domain.Reservation(domain.Resource.NURSE, nurse_id, starts_at, ends_at))
        reservations.append(domain.Reservation(domain.Resource.PRESCRIBER, prescriber_id, starts_at, ends_at))
    return domain.InfusionResources(
        locations=domain_locations,
        nurse_availability=tuple(nurse_templates),
        prescriber_availability=prescriber_templates,
        prescriber_exceptions=prescriber_exceptions,
        reservations=tuple(reservations),
        capacity=_capacity(location_ids[0]),
    )


@dataclass(frozen=True)
class Proposal:
    plan: domain.SeriesPlan
    infusion: domain.InfusionType
    request: domain.SeriesRequest


def series_propose(
    *,
    course: Course,
    earliest_start: dt.datetime,
    preferred_time: dt.time | None,
    count: int | None = None,
    location_ids: list[int] | None = None,
) -> Proposal:
    """The whole induction series for ``course`` (6 within 21 days by default), with conflicts and alternatives."""
    protocol = course.protocol
    infusion = chair_minutes(protocol, latest_weight_kg(course.patient))
    request = domain.SeriesRequest(
        earliest_start=earliest_start,
        count=count or course.planned_sessions,
        min_gap_days=protocol.min_gap_days,
        max_span_days=max(
            protocol.induction_max_span_days, ((count or course.planned_sessions) - 1) * protocol.min_gap_days
        ),
        preferred_location_id=course.location_id,
        preferred_time=preferred_time,
        granularity_minutes=SLOT_MINUTES,
    )
    ids = location_ids or [course.location_id]
    resources = build_resources(
        location_ids=ids,
        start=earliest_start,
        end=earliest_start + dt.timedelta(days=request.search_days + request.max_span_days + 1),
    )
    try:
        plan = domain.plan_infusion_series(request=request, infusion=infusion, resources=resources)
    except domain.SchedulingError as exc:
        raise BookingError(NO_PLAN) from exc
    return Proposal(plan=plan, infusion=infusion, request=request)


def _slots(start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    step = dt.timedelta(minutes=SLOT_MINUTES)
    epoch = start.replace(minute=(start.minute // SLOT_MINUTES) * SLOT_MINUTES, second=0, microsecond=0)
    slots = []
    current = epoch
    while current < end:
        slots.append(current)
        current += step
    return slots


def _claim(session: InfusionSession, capacity: domain.CapacityRules) -> None:
    """Insert chair and nurse claims for every slot; IntegrityError when the database refuses one."""
    slots = _slots(session.starts_at, session.ends_at)
    ChairClaim.objects.bulk_create(
        [ChairClaim(chair_id=session.chair_id, slot_start=s, session=session) for s in slots]
    )
    used: dict[dt.datetime, set[int]] = {}
    for slot, seat in NurseClaim.objects.filter(nurse_id=session.nurse_id, slot_start__in=slots).values_list(
        "slot_start", "seat"
    ):
        used.setdefault(slot, set()).add(seat)
    claims = []
    for slot in slots:
        free = [seat for seat in range(capacity.chairs_per_nurse) if seat not in used.get(slot, set())]
        if not free:
            raise IntegrityError("nurse over capacity")
        claims.append(NurseClaim(nurse_id=session.nurse_id, slot_start=slot, seat=free[0], session=session))
    NurseClaim.objects.bulk_create(claims)


def _verify_one(
    *,
    location_id: int,
    start: dt.datetime,
    infusion: domain.InfusionType,
    resources: domain.InfusionResources,
) -> domain.InfusionSession | str:
    """Re-check one session at exactly ``start`` against fresh resources: the session, or the reason it is not free."""
    tz = next(loc.time_zone for loc in resources.locations if loc.id == location_id)
    local = start.astimezone(__import__("zoneinfo").ZoneInfo(tz))
    request = domain.SeriesRequest(
        earliest_start=start,
        count=1,
        max_span_days=0,
        preferred_location_id=location_id,
        preferred_time=local.time(),
        granularity_minutes=SLOT_MINUTES,
        search_days=0,
        consistency_days=0,
    )
    try:
        plan = domain.plan_infusion_series(request=request, infusion=infusion, resources=resources)
    except domain.SchedulingError:
        return domain.errors.CONFLICT_NO_CHAIR
    if plan.location_id != location_id or not plan.sessions or plan.sessions[0].start != start:
        return plan.conflicts[0].reason if plan.conflicts else domain.errors.CONFLICT_NO_CHAIR
    return plan.sessions[0]


def series_book(
    *, course: Course, starts: list[dt.datetime], booked_by: Any, first_sequence: int = 1
) -> list[InfusionSession]:
    """Book sessions at ``starts`` (the accepted proposal) at the course's location, all or nothing."""
    ensure_perm(booked_by, Perm.MANAGE_SCHEDULE)
    ensure_location(booked_by, course.location_id)
    reasons = booking_gate(course.patient, course.pathway)
    if reasons:
        raise BookingError(" ".join(reasons))
    infusion = chair_minutes(course.protocol, latest_weight_kg(course.patient))
    try:
        with transaction.atomic():
            Location.objects.select_for_update().get(pk=course.location_id)
            starts = sorted(starts)
            resources = build_resources(
                location_ids=[course.location_id],
                start=starts[0] - dt.timedelta(days=1),
                end=starts[-1] + dt.timedelta(days=1),
            )
            capacity = resources.capacity
            booked: list[InfusionSession] = []
            for index, start in enumerate(starts):
                found = _verify_one(
                    location_id=course.location_id, start=start, infusion=infusion, resources=resources
                )
                if isinstance(found, str):
                    local = timezone.localtime(start, course.location.tz)
                    raise BookingError(
                        SERIES_CHANGED.format(index=index + 1, when=f"{local:%a %d %b %H:%M}", reason=found)
                    )
                session = InfusionSession.objects.create(
                    course=course,
                    patient_id=course.patient_id,
                    location_id=course.location_id,
                    chair_id=found.chair_id,
                    nurse_id=found.nurse_id,
                    prescriber_id=found.prescriber_id,
                    sequence=first_sequence + index,
                    starts_at=found.start,
                    ends_at=found.end,
                    infusion_minutes=infusion.infusion_minutes,
                    recovery_minutes=infusion.recovery_minutes,
                    booked_by=booked_by,
                    created_by=booked_by,
                )
                _claim(session, capacity)
                booked.append(session)
                resources = domain.InfusionResources(
                    locations=resources.locations,
                    nurse_availability=resources.nurse_availability,
                    prescriber_availability=resources.prescriber_availability,
                    prescriber_exceptions=resources.prescriber_exceptions,
                    reservations=(
                        *resources.reservations,
                        domain.Reservation(domain.Resource.CHAIR, found.chair_id, found.start, found.end),
                        domain.Reservation(domain.Resource.NURSE, found.nurse_id, found.start, found.end),
                        domain.Reservation(
                            domain.Resource.PRESCRIBER, found.prescriber_id, found.start, found.end
                        ),
                    ),
                    capacity=capacity,
                )
            if course.status == Course.Status.PLANNED:
                course.status = Course.Status.INDUCTION
                course.save(update_fields=["status", "updated_at"])
            audit(
                Action.CREATE,
                actor=booked_by,
                obj=course,
                patient_uuid=course.patient.uuid,
                location=course.location,
                detail=f"booked {len(booked)} infusion session(s)",
            )
    except IntegrityError as exc:
        raise BookingError(SLOT_TAKEN) from exc
    return booked


def session_book_single(*, course: Course, start: dt.datetime, booked_by: Any) -> InfusionSession:
    """One session (a booster, or a concurrency test's last free chair)."""
    sequence = (course.sessions.count() or 0) + 1
    return series_book(course=course, starts=[start], booked_by=booked_by, first_sequence=sequence)[0]


def _release(session: InfusionSession) -> None:
    ChairClaim.objects.filter(session=session).delete()
    NurseClaim.objects.filter(session=session).delete()


def session_cancel(
    *, session: InfusionSession, cancelled_by: Any, reason: str, missed: bool = False
) -> InfusionSession:
    ensure_perm(cancelled_by, Perm.MANAGE_SCHEDULE)
    ensure_location(cancelled_by, session.location_id)
    if not reason.strip():
        raise BookingError("Give a reason.")
    with transaction.atomic():
        session = InfusionSession.objects.select_for_update().get(pk=session.pk)
        if session.status not in (InfusionSession.Status.BOOKED, InfusionSession.Status.ARRIVED):
            raise BookingError("Only a session that has not started can be cancelled.")
        session.status = InfusionSession.Status.MISSED if missed else InfusionSession.Status.CANCELLED
        session.cancel_reason = reason.strip()
        session.updated_by = cancelled_by
        session.save()
        _release(session)
        audit(
            Action.UPDATE,
            actor=cancelled_by,
            obj=session,
            patient_uuid=session.patient.uuid,
            detail=session.status,
        )
    return session


def rebook_suggestion(*, session: InfusionSession) -> list[domain.InfusionSession]:
    """Replacement(s) for a missed or cancelled session that keep the series valid (domain rebook)."""
    course = session.course
    series = list(course.sessions.current().order_by("sequence"))
    missed_index = next(i for i, s in enumerate(series) if s.pk == session.pk)
    infusion = chair_minutes(course.protocol, latest_weight_kg(course.patient))
    now = timezone.now()
    later_ids = tuple(s.pk for s in series[missed_index:])
    resources = build_resources(
        location_ids=[course.location_id],
        start=now - dt.timedelta(days=1),
        end=now + dt.timedelta(days=90),
        exclude_session_ids=later_ids,
    )
    request = domain.SeriesRequest(
        earliest_start=max(now + dt.timedelta(hours=12), series[0].starts_at),
        count=len(series),
        min_gap_days=course.protocol.min_gap_days,
        max_span_days=max(
            course.protocol.induction_max_span_days, (len(series) - 1) * course.protocol.min_gap_days
        ),
        preferred_location_id=course.location_id,
        granularity_minutes=SLOT_MINUTES,
    )
    domain_sessions = [
        domain.InfusionSession(s.starts_at, s.ends_at, s.location_id, s.chair_id, s.nurse_id, s.prescriber_id)
        for s in series
    ]
    try:
        plan = domain.rebook_series_session(
            sessions=domain_sessions,
            missed_index=missed_index,
            request=request,
            infusion=infusion,
            resources=resources,
        )
    except domain.SchedulingError as exc:
        raise BookingError(NO_REBOOK) from exc
    return list(plan.sessions[missed_index:])


def session_move(*, session: InfusionSession, chair: Chair, moved_by: Any) -> InfusionSession:
    """Move a booking to another free chair at the same location and time (day board)."""
    ensure_perm(moved_by, Perm.MANAGE_SCHEDULE)
    ensure_location(moved_by, session.location_id)
    if chair.location_id != session.location_id or not chair.is_active:
        raise BookingError("Choose a chair at the same location.")
    try:
        with transaction.atomic():
            Location.objects.select_for_update().get(pk=session.location_id)
            session = InfusionSession.objects.select_for_update().get(pk=session.pk)
            if session.status in (
                InfusionSession.Status.DISCHARGED,
                InfusionSession.Status.CANCELLED,
                InfusionSession.Status.MISSED,
            ):
                raise BookingError("This session can no longer be moved.")
            ChairClaim.objects.filter(session=session).delete()
            session.chair = chair
            session.updated_by = moved_by
            session.save(update_fields=["chair", "updated_by", "updated_at"])
            ChairClaim.objects.bulk_create(
                [
                    ChairClaim(chair=chair, slot_start=s, session=session)
                    for s in _slots(session.starts_at, session.ends_at)
                ]
            )
            audit(
                Action.UPDATE,
                actor=moved_by,
                obj=session,
                patient_uuid=session.patient.uuid,
                detail=f"moved to {chair.label}",
            )
    except IntegrityError as exc:
        raise BookingError(f"{chair.label} is not free for the whole session.") from exc
    return session
