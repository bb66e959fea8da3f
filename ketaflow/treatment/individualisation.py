"""Per-patient PK/PD: earlier sessions → posterior → calibrated recovery forecasts and dose proposals.

Fetch rows, convert them to ``ketaflow.domain.pk`` dataclasses, call the engine, return plain results; the
services persist proposals with their inputs and the engine version. Nothing here changes a dose.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from ketaflow.domain import dosing, pk

# At most this many earlier sessions inform the fit (the newest ones).
MAX_SESSIONS = 20


def _schedule(session: Any, zero: dt.datetime, until: dt.datetime) -> pk.Schedule | None:
    from ketaflow.treatment.services import _domain_events

    try:
        segments = dosing.segments_from_events(_domain_events(session), as_of=until)
    except dosing.DoseError:
        return None
    infusions = tuple(
        pk.Infusion(
            (s.start - zero).total_seconds() / 60, (s.end - zero).total_seconds() / 60, s.rate_mg_per_h / 60
        )
        for s in segments
        if s.end > s.start and s.rate_mg_per_h > 0
    )
    return pk.Schedule(infusions=infusions) if infusions else None


def session_record(session: Any) -> pk.SessionRecord | None:
    """A finished IV session as the engine sees it: delivered schedule, CADSS / MOAA/S / systolic rise
    observations in minutes from the start, and minutes from stop to the first recovery score of 9 or more."""
    if session.started_at is None or session.stopped_at is None or not session.weight_kg:
        return None
    zero = session.started_at
    schedule = _schedule(session, zero, session.stopped_at)
    if schedule is None:
        return None
    readings = [v for v in session.vitals.all() if not v.entered_in_error]
    baseline = next((v.sbp_mmhg for v in readings if v.sbp_mmhg is not None and v.taken_at <= zero), None)
    scales = set(session.course.protocol.scales or [])
    cadss_kind = "cadss" if "cadss23" in scales else "cadss6"
    observations: list[pk.Observation] = []
    for reading in readings:
        minutes = (reading.taken_at - zero).total_seconds() / 60
        if minutes < 0:
            continue
        if reading.cadss is not None:
            observations.append(pk.Observation(minutes, cadss_kind, float(reading.cadss)))
        if reading.moaas is not None:
            observations.append(pk.Observation(minutes, "moaas", float(reading.moaas)))
        if reading.sbp_mmhg is not None and baseline is not None:
            observations.append(pk.Observation(minutes, "sbp_rise", float(reading.sbp_mmhg - baseline)))
    ready = next(
        (r.scored_at for r in session.recovery_scores.all() if not r.entered_in_error and r.total >= 9),
        None,
    )
    ready_after = (
        (ready - session.stopped_at).total_seconds() / 60 if ready and ready >= session.stopped_at else None
    )
    return pk.SessionRecord(
        weight_kg=session.weight_kg,
        schedule=schedule,
        observations=tuple(observations),
        ready_after_stop_min=ready_after,
    )


def earlier_sessions(patient: Any, *, before: Any = None) -> list[Any]:
    """The patient's finished IV sessions (newest MAX_SESSIONS), with what the fit reads prefetched."""
    from ketaflow.treatment.models import InfusionSession, Protocol

    qs = (
        InfusionSession.objects.current()
        .filter(patient=patient, status=InfusionSession.Status.DISCHARGED, stopped_at__isnull=False)
        .exclude(course__protocol__kind=Protocol.Kind.ESKETAMINE)
        .select_related("course__protocol")
        .prefetch_related("events", "vitals", "recovery_scores")
        .order_by("-started_at")
    )
    if before is not None:
        qs = qs.exclude(pk=before.pk)
    return list(qs[:MAX_SESSIONS])


def patient_posterior(patient: Any, *, before: Any = None) -> tuple[pk.PatientPosterior | None, int]:
    """MAP + Laplace posterior from the patient's earlier sessions (None when there are none usable)."""
    records = [
        r for r in (session_record(s) for s in earlier_sessions(patient, before=before)) if r is not None
    ]
    if not records:
        return None, 0
    try:
        return pk.individualise(pk.get_model(pk.DEFAULT_MODEL_ID), records), len(records)
    except pk.FitError:
        return None, len(records)
