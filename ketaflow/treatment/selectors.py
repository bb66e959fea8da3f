"""Treatment reads: the day board, a session's record, a patient's courses. Related rows are decided here, once."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.utils import timezone

from ketaflow.accounts.models import User
from ketaflow.clinics.models import Chair, Location
from ketaflow.domain import monitoring
from ketaflow.treatment import specs
from ketaflow.treatment.models import (
    SLOT_MINUTES,
    AdministrationEvent,
    AdverseEvent,
    Course,
    DoseOrder,
    DoubleCheck,
    InfusionSession,
    Protocol,
    SessionAlert,
    VitalsReading,
)

# The board spans the demo clinic's opening hours (08:00-17:00): 36 columns of 15 minutes
BOARD_OPENS = dt.time(8, 0)
BOARD_CLOSES = dt.time(17, 0)
BOARD_SLOTS = (17 - 8) * 60 // SLOT_MINUTES


@dataclass
class BoardCard:
    session: InfusionSession
    column: int
    span: int
    local_start: dt.datetime
    local_end: dt.datetime
    alerts: int
    vitals_due: str = ""
    vitals_overdue: bool = False
    timer: str = ""
    ready_text: str = ""
    chair_options: str = ""  # the move form's <option> list (escaped HTML, built by the view)


@dataclass
class BoardRow:
    chair: Chair
    cards: list[BoardCard] = field(default_factory=list)


def natural_key(label: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key that puts "Chair 2" before "Chair 10" (numbers compare as numbers, text case-insensitively)."""
    return tuple(
        (0, int(part)) if part.isdigit() else (1, part.lower()) for part in re.split(r"(\d+)", label)
    )


def _fmt(value: dt.datetime, tz: Any) -> str:
    return timezone.localtime(value, tz).strftime("%H:%M")


def ready_text(session: InfusionSession, tz: Any) -> str:
    """ "expected ready to discharge at 14:35 (14:20-14:55)" from the persisted PK forecast."""
    forecast = session.forecast or {}
    if not forecast.get("ready_at"):
        return ""
    at, low, high = (dt.datetime.fromisoformat(forecast[k]) for k in ("ready_at", "ready_low", "ready_high"))
    return f"expected ready to discharge at {_fmt(at, tz)} ({_fmt(low, tz)}-{_fmt(high, tz)})"


def _minutes(delta: dt.timedelta) -> int:
    return max(0, int(delta.total_seconds() // 60))


def board(*, location: Location, day: dt.date, now: dt.datetime | None = None) -> list[BoardRow]:
    """Chairs × time for one location and day. Two queries whatever the number of sessions:
    1. active chairs of the location; 2. the day's sessions (+ patient, course, protocol), annotated with the
    number of open alerts and the last vitals time."""
    now = now or timezone.now()
    tz = location.tz
    opens = dt.datetime.combine(day, BOARD_OPENS, tzinfo=tz)
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    chairs = Chair.objects.filter(location=location, is_active=True)
    rows = {c.pk: BoardRow(chair=c) for c in sorted(chairs, key=lambda c: natural_key(c.label))}
    sessions = (
        InfusionSession.objects.current()
        .filter(location=location, starts_at__gte=midnight, starts_at__lt=midnight + dt.timedelta(days=1))
        .exclude(status__in=[InfusionSession.Status.CANCELLED, InfusionSession.Status.MISSED])
        .select_related("patient", "course__protocol")
        .annotate(
            open_alerts=Count("alerts", filter=Q(alerts__acknowledged_at__isnull=True), distinct=True),
            last_vitals_at=Max("vitals__taken_at", filter=Q(vitals__entered_in_error=False)),
        )
        .order_by("starts_at")
    )
    for session in sessions:
        row = rows.get(session.chair_id)
        if row is None:
            continue
        local_start = timezone.localtime(session.starts_at, tz)
        local_end = timezone.localtime(session.ends_at, tz)
        # sessions outside the board's hours are clamped to its edges
        column = min(
            BOARD_SLOTS, max(1, int((local_start - opens).total_seconds() // (SLOT_MINUTES * 60)) + 1)
        )
        span = max(
            1,
            min(
                BOARD_SLOTS + 1 - column,
                int((local_end - local_start).total_seconds() // (SLOT_MINUTES * 60)),
            ),
        )
        card = BoardCard(session, column, span, local_start, local_end, session.open_alerts)
        _timers(card, session, now, tz)
        row.cards.append(card)
    return list(rows.values())


def _timers(card: BoardCard, session: InfusionSession, now: dt.datetime, tz: Any) -> None:
    S = InfusionSession.Status
    protocol = session.course.protocol
    schedule = specs.recording_schedule(protocol)
    if session.status in (S.INFUSING, S.PAUSED) and session.started_at:
        card.timer = f"infusing {_minutes(now - session.started_at)} min"
        phase, since = monitoring.Phase.INFUSION, session.started_at
    elif session.status in (S.RECOVERING, S.READY) and session.stopped_at:
        card.timer = f"recovery {_minutes(now - session.stopped_at)} min"
        phase, since = monitoring.Phase.RECOVERY, session.stopped_at
    else:
        phase = None
    if phase is not None:
        due = monitoring.vitals_due_status(
            phase=phase,
            phase_started_at=since,
            last_reading_at=session.last_vitals_at,
            now=now,
            schedule=schedule,
        )
        if due.due_at is not None:
            card.vitals_due = f"vitals due {_fmt(due.due_at, tz)}"
            card.vitals_overdue = due.overdue
    if session.status in (S.INFUSING, S.PAUSED, S.RECOVERING, S.READY):
        card.ready_text = ready_text(session, tz)


def session_for_page(session_uuid: Any) -> InfusionSession:
    """The session with everything its page shows.

    Nurse, prescriber and the course's location are attached from one small query instead of three more joins:
    the nine-table join cost about 5 ms more to plan and build than the six-table one plus this query.
    """
    session = (
        InfusionSession.objects.select_related("patient", "course__protocol", "location", "chair")
        .prefetch_related(
            Prefetch(
                "events",
                queryset=AdministrationEvent.objects.select_related("recorded_by").order_by("at", "id"),
            ),
            Prefetch("vitals", queryset=VitalsReading.objects.current().order_by("taken_at", "id")),
            Prefetch(
                "alerts",
                queryset=SessionAlert.objects.select_related("acknowledged_by").order_by("raised_at"),
            ),
            Prefetch("orders", queryset=DoseOrder.objects.select_related("signed_by")),
            Prefetch("orders__double_checks", queryset=DoubleCheck.objects.select_related("checked_by")),
            "checklists",
            Prefetch("adverse_events", queryset=AdverseEvent.objects.select_related("prn_medicine")),
            "recovery_scores",
        )
        .get(uuid=session_uuid)
    )
    people = User.objects.in_bulk({session.nurse_id, session.prescriber_id})
    for name in ("nurse", "prescriber"):
        fk = InfusionSession._meta.get_field(name)
        fk.set_cached_value(session, people[getattr(session, fk.attname)])  # type: ignore[attr-defined]
    if session.course.location_id == session.location_id:
        Course._meta.get_field("location").set_cached_value(session.course, session.location)  # type: ignore[attr-defined]
    return session


def courses_for_patient(patient: Any) -> QuerySet[Course]:
    return (
        Course.objects.current()
        .filter(patient=patient)
        .select_related("protocol", "location")
        .prefetch_related(
            Prefetch(
                "sessions", queryset=InfusionSession.objects.select_related("chair").order_by("starts_at")
            )
        )
    )


def active_protocols() -> QuerySet[Protocol]:
    return Protocol.objects.filter(is_active=True).order_by("pathway", "name")


def rems_pmf_tracker(
    *, location_ids: set[int], today: dt.date
) -> list[tuple[InfusionSession, monitoring.PmfStatus]]:
    """Esketamine sessions of the last 30 days with their REMS Patient Monitoring Form status (overdue first)."""
    since = timezone.now() - dt.timedelta(days=30)
    rows = (
        InfusionSession.objects.current()
        .filter(
            location_id__in=location_ids,
            course__protocol__kind=Protocol.Kind.ESKETAMINE,
            status=InfusionSession.Status.DISCHARGED,
            starts_at__gte=since,
        )
        .select_related("patient", "location")
    )
    out = []
    for s in rows:
        status = monitoring.rems_pmf_status(
            session_date=timezone.localtime(s.starts_at, s.location.tz).date(),
            today=today,
            submitted_on=s.rems_pmf_submitted_on,
        )
        out.append((s, status))
    out.sort(key=lambda pair: (not pair[1].overdue, pair[1].due_on))
    return out


def rems_pmf_data(session: InfusionSession) -> dict[str, Any]:
    """The SPRAVATO REMS Patient Monitoring Form (outpatient, 11/2021) fields, assembled from the session."""
    from ketaflow.patients.models import Medication
    from ketaflow.treatment.services import _domain_reading

    tz = session.location.tz
    readings = [v for v in session.vitals.all() if not v.entered_in_error]
    first_device = session.started_at
    classes = set(
        Medication.objects.current()
        .filter(patient=session.patient, stopped_on__isnull=True)
        .values_list("drug_class", flat=True)
    )
    checkpoints = None
    if first_device is not None:
        checkpoints = monitoring.esketamine_bp_checkpoints(
            first_device_at=first_device, readings=[_domain_reading(v, tz) for v in readings]
        )
    ready = next(
        (s for s in session.recovery_scores.all() if s.total >= session.course.protocol.discharge_min_score),
        None,
    )

    def bp(reading: monitoring.VitalSigns | None) -> str:
        return f"{reading.sbp_mmhg:.0f}/{reading.dbp_mmhg:.0f}" if reading else ""

    def minutes_after_first(at: dt.datetime | None) -> int | None:
        return None if at is None or first_device is None else int((at - first_device).total_seconds() // 60)

    order = next(iter(sorted(session.orders.all(), key=lambda o: o.signed_at, reverse=True)), None)
    return {
        "patient": f"{session.patient.full_name}, born {session.patient.date_of_birth:%m/%d/%Y}, {session.patient.sex}",
        "benzodiazepines": "benzodiazepine" in classes,
        "non_benzodiazepine_sedative_hypnotics": "cns_depressant" in classes,
        "psychostimulants": "psychostimulant" in classes,
        "maois": "maoi" in classes,
        "monitoring_hcp": session.nurse.get_full_name(),
        "setting_address": session.location.one_line_address,
        "treatment_date": timezone.localtime(session.starts_at, tz).date(),
        "dose_mg": order.result.get("dose_mg") if order else None,
        "lot": session.esketamine_lot,
        "total_monitoring_minutes": minutes_after_first(session.discharged_at),
        "ready_to_leave_minutes": minutes_after_first(ready.scored_at if ready else None),
        "bp_pre_dose": bp(checkpoints.pre_dose) if checkpoints else "",
        "bp_40_min": bp(checkpoints.at_40_min) if checkpoints else "",
        "bp_before_completion": bp(checkpoints.before_discharge) if checkpoints else "",
        "missing_bp": list(checkpoints.missing)
        if checkpoints
        else ["pre-dose", "40 min", "before discharge"],
        "sedation": any(v.moaas is not None and v.moaas < 5 for v in readings),
        "dissociation": any(v.cadss is not None and v.cadss > 0 for v in readings),
        "respiratory_depression": any(
            (v.spo2_pct is not None and v.spo2_pct < 92) or (v.rr_per_min is not None and v.rr_per_min < 10)
            for v in readings
        ),
    }
