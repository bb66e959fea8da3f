"""Session writes: check-in, checklist (and its override), dose order and double check, administration record,
vitals and alerts, adverse events, recovery scores, discharge. Each is ``<entity>_<verb>(*, ...)``: permission
check → fetch and lock → domain call → persist inputs, result and engine version → audit. Clinical writes are
atomic; on bad input a ``TreatmentError`` is raised and nothing is saved."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.domain import dosing, instruments, monitoring
from ketaflow.treatment import specs
from ketaflow.treatment.models import (
    AdministrationEvent,
    AdverseEvent,
    ChecklistRecord,
    Course,
    DoseOrder,
    DoubleCheck,
    InfusionSession,
    Protocol,
    RecoveryScore,
    SessionAlert,
    VitalsReading,
)

S = InfusionSession.Status

NOT_ARRIVED = "Check the patient in first."
CHECKLIST_NOT_PASSED = "The pre-infusion checklist has not been passed or overridden by a prescriber."
NO_ORDER = "No signed dose order for this session."
NOT_DOUBLE_CHECKED = "The dose order has not been independently double-checked; the infusion cannot start."
DOUBLE_CHECK_SAME_PERSON = (
    "The double check must be done by a different clinician from the prescriber who signed."
)
ANOTHER_ACTIVE_INFUSION = "This patient already has an infusion running in another session."
NOT_RUNNING = "The infusion is not running: a {kind} is not possible now ({state})."
RATE_CHANGE_NEEDS_REASON = "Give a reason for the rate change."
OVERRIDE_NEEDS_REASON = "Give a reason for the override."
NOTHING_TO_OVERRIDE = "There is no failed checklist to override."
ALREADY_DISCHARGED = "The patient has already been discharged."
NOT_RECOVERING = "Discharge is possible only after the infusion has stopped."
SESSION_CLOSED = "This session is closed."
CSV_BAD = "Row {row}: {problem}"
CSV_HEADER = "The file needs a header row with a time column and at least one vital (sbp, dbp, hr, spo2, rr)."


class TreatmentError(Exception):
    def __init__(self, messages: str | list[str] | tuple[str, ...]) -> None:
        self.messages = [messages] if isinstance(messages, str) else list(messages)
        super().__init__(" ".join(self.messages))


def _check(user: Any, session: InfusionSession, perm: str = Perm.RECORD_CLINICAL) -> None:
    ensure_perm(user, perm)
    ensure_location(user, session.location_id)


def _lock(session: InfusionSession) -> InfusionSession:
    return (
        InfusionSession.objects.select_for_update()
        .select_related("course__protocol", "patient")
        .get(pk=session.pk)
    )


def _audit(action: str, user: Any, obj: Any, session: InfusionSession, detail: str = "") -> None:
    audit(
        action,
        actor=user,
        obj=obj,
        patient_uuid=session.patient.uuid,
        location=session.location,
        detail=detail,
    )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "value") and not isinstance(value, (int, float, str)):
        return value.value
    return value


# --- course ----------------------------------------------------------------------------------------------


def course_create(
    *,
    patient: Any,
    protocol: Protocol,
    location: Any,
    created_by: Any,
    planned_sessions: int | None = None,
    booster_plan: str = "",
) -> Course:
    ensure_perm(created_by, Perm.MANAGE_SCHEDULE)
    ensure_location(created_by, location.pk)
    course = Course.objects.create(
        patient=patient,
        protocol=protocol,
        pathway=protocol.pathway,
        location=location,
        planned_sessions=planned_sessions or protocol.induction_sessions,
        booster_plan=booster_plan or protocol.series_text,
        created_by=created_by,
    )
    audit(Action.CREATE, actor=created_by, obj=course, patient_uuid=patient.uuid, location=location)
    return course


def course_status_set(*, course: Course, status: str, changed_by: Any, reason: str = "") -> Course:
    ensure_perm(changed_by, Perm.RECORD_CLINICAL)
    ensure_location(changed_by, course.location_id)
    if status == Course.Status.STOPPED and not reason.strip():
        raise TreatmentError("Give the reason the course is stopped.")
    course.status = status
    course.stop_reason = reason.strip()
    course.updated_by = changed_by
    course.save()
    audit(
        Action.UPDATE,
        actor=changed_by,
        obj=course,
        patient_uuid=course.patient.uuid,
        detail=f"status {status}",
    )
    return course


# --- arrival and checklist ---------------------------------------------------------------------------------


def session_check_in(*, session: InfusionSession, checked_in_by: Any) -> InfusionSession:
    ensure_perm(checked_in_by, Perm.MANAGE_SCHEDULE)
    ensure_location(checked_in_by, session.location_id)
    with transaction.atomic():
        session = _lock(session)
        if session.status != S.BOOKED:
            raise TreatmentError("Only a booked session can be checked in.")
        session.status = S.ARRIVED
        session.arrived_at = timezone.now()
        session.escort_name = session.escort_name or session.patient.escort_name
        session.escort_phone = session.escort_phone or session.patient.escort_phone
        session.updated_by = checked_in_by
        session.save()
        _audit(Action.UPDATE, checked_in_by, session, session, "checked in")
    return session


def checklist_record(*, session: InfusionSession, data: dict[str, Any], recorded_by: Any) -> ChecklistRecord:
    """Record the checklist answers, today's weight and baseline vitals; evaluate the hard stops (domain).

    ``data``: identity_confirmed, last_solid_food_at, last_clear_liquid_at, escort_confirmed, escort_name,
    escort_phone, weight_kg, sbp/dbp/hr/spo2/rr, pregnancy_test (""/negative/positive/not_applicable),
    medication_changes_reviewed, pre_treatment_rating_done, iv_access_confirmed.
    """
    from ketaflow.intake.selectors import consent_current

    _check(recorded_by, session)
    now = timezone.now()
    with transaction.atomic():
        session = _lock(session)
        if session.status not in (S.ARRIVED, S.CHECKLIST_DONE):
            raise TreatmentError(NOT_ARRIVED)
        protocol = session.course.protocol
        baseline = monitoring.VitalSigns(
            taken_at=now,
            sbp_mmhg=data.get("sbp_mmhg"),
            dbp_mmhg=data.get("dbp_mmhg"),
            hr_per_min=data.get("hr_per_min"),
            spo2_pct=data.get("spo2_pct"),
            rr_per_min=data.get("rr_per_min"),
        )
        problems = monitoring.vital_sign_problems(baseline)
        if problems and not (len(problems) == 1 and problems[0] == monitoring.vitals.EMPTY_READING):
            raise TreatmentError(list(problems))
        consent = consent_current(session.patient, session.course.pathway)
        pregnancy = data.get("pregnancy_test") or ""
        applicable = (
            protocol.pregnancy_test_required
            and session.patient.sex == "female"
            and pregnancy != "not_applicable"
        )
        facts = monitoring.PreInfusionFacts(
            now=now,
            today=timezone.localdate(now, session.location.tz),
            identity_confirmed=bool(data.get("identity_confirmed")),
            consent_valid_until=None if consent is None else dt.date.max,
            last_solid_food_at=data.get("last_solid_food_at"),
            last_clear_liquid_at=data.get("last_clear_liquid_at"),
            escort_confirmed=bool(data.get("escort_confirmed")),
            escort_name=data.get("escort_name") or "",
            escort_phone=data.get("escort_phone") or "",
            weight_measured_on=timezone.localdate(now, session.location.tz)
            if data.get("weight_kg")
            else None,
            baseline_vitals=None if problems else baseline,
            pregnancy_test_applicable=applicable,
            pregnancy_test_result=monitoring.PregnancyTest(pregnancy)
            if pregnancy in ("negative", "positive")
            else None,
            medication_changes_reviewed=bool(data.get("medication_changes_reviewed")),
            pre_treatment_rating_done=bool(data.get("pre_treatment_rating_done")),
            iv_access_confirmed=bool(data.get("iv_access_confirmed")),
        )
        result = monitoring.evaluate_pre_infusion_checklist(facts, specs.checklist_protocol(protocol))
        record = ChecklistRecord.objects.create(
            session=session,
            facts=_jsonable(asdict(facts)),
            result=_jsonable(asdict(result)),
            passed=result.passed,
            engine_version=monitoring.VERSION,
            created_by=recorded_by,
        )
        if not problems:
            VitalsReading.objects.create(
                session=session,
                taken_at=now,
                recorded_by=recorded_by,
                created_by=recorded_by,
                source="baseline",
                **{k: data.get(k) for k in ("sbp_mmhg", "dbp_mmhg", "hr_per_min", "spo2_pct", "rr_per_min")},
            )
        if data.get("weight_kg"):
            session.weight_kg = float(data["weight_kg"])
        session.escort_name = data.get("escort_name") or ""
        session.escort_phone = data.get("escort_phone") or ""
        session.status = S.CHECKLIST_DONE if result.passed else S.ARRIVED
        session.updated_by = recorded_by
        session.save()
        _audit(
            Action.CREATE,
            recorded_by,
            record,
            session,
            "checklist passed" if result.passed else "checklist failed",
        )
    return record


class ChecklistOverrideAction:
    """A prescriber overrides failed hard stops with a reason: check → change → audit (Action.OVERRIDE)."""

    def __init__(self, *, session: InfusionSession, user: Any, reason: str) -> None:
        self.session, self.user, self.reason = session, user, reason.strip()

    def check(self) -> None:
        _check(self.user, self.session, Perm.OVERRIDE_SAFETY)
        if not self.reason:
            raise TreatmentError(OVERRIDE_NEEDS_REASON)

    def execute(self) -> ChecklistRecord:
        self.check()
        with transaction.atomic():
            session = _lock(self.session)
            record = session.checklists.current().order_by("-created_at", "-id").first()
            if record is None or record.passed or record.override_reason or session.status != S.ARRIVED:
                raise TreatmentError(NOTHING_TO_OVERRIDE)
            record.override_reason = self.reason
            record.overridden_by = self.user
            record.updated_by = self.user
            record.save()
            session.status = S.CHECKLIST_DONE
            session.save(update_fields=["status", "updated_at"])
            self.log(record, session)
        return record

    def log(self, record: ChecklistRecord, session: InfusionSession) -> None:
        failed = "; ".join(f["message"] for f in record.result.get("failures", []))
        _audit(Action.OVERRIDE, self.user, record, session, f"checklist override: {self.reason} [{failed}]")


def checklist_override(*, session: InfusionSession, overridden_by: Any, reason: str) -> ChecklistRecord:
    return ChecklistOverrideAction(session=session, user=overridden_by, reason=reason).execute()


# --- dose order and double check ---------------------------------------------------------------------------


def _calculate(protocol: Protocol, inputs: dict[str, Any]) -> Any:
    if protocol.kind == Protocol.Kind.IV_DOSE:
        return dosing.calculate_iv_infusion(
            dosing.IvInfusionInputs(
                mg_per_kg=inputs["mg_per_kg"],
                minutes=inputs["minutes"],
                weight_kg=inputs["weight_kg"],
                concentration_mg_per_ml=inputs["concentration_mg_per_ml"],
                bag_ml=inputs["bag_ml"],
                weight_basis=dosing.WeightBasis(inputs["weight_basis"]),
                height_cm=inputs.get("height_cm"),
                sex=dosing.Sex(inputs["sex"]) if inputs.get("sex") in ("male", "female") else None,
                max_dose_mg=inputs.get("max_dose_mg"),
            ),
            specs.iv_dose_protocol(protocol),
        )
    if protocol.kind == Protocol.Kind.IV_RATE:
        return dosing.calculate_iv_rate_infusion(
            dosing.IvRateInputs(
                mg_per_kg_per_h=inputs["mg_per_kg_per_h"],
                hours=inputs["minutes"] / 60.0,
                weight_kg=inputs["weight_kg"],
                concentration_mg_per_ml=inputs["concentration_mg_per_ml"],
                bag_ml=inputs["bag_ml"],
                weight_basis=dosing.WeightBasis(inputs["weight_basis"]),
                height_cm=inputs.get("height_cm"),
                sex=dosing.Sex(inputs["sex"]) if inputs.get("sex") in ("male", "female") else None,
                max_dose_mg=inputs.get("max_dose_mg"),
            ),
            specs.iv_rate_protocol(protocol),
        )
    return dosing.esketamine_plan(int(inputs["esketamine_dose_mg"]))


def dose_order_sign(
    *,
    session: InfusionSession,
    signed_by: Any,
    concentration_mg_per_ml: float | None = None,
    bag_ml: float | None = None,
    mg_per_kg: float | None = None,
    mg_per_kg_per_h: float | None = None,
    esketamine_dose_mg: int | None = None,
) -> DoseOrder:
    """The prescriber signs a dose computed by ``domain.dosing`` from protocol, weight basis and today's weight."""
    _check(signed_by, session, Perm.PRESCRIBE)
    with transaction.atomic():
        session = _lock(session)
        if session.status not in (S.ARRIVED, S.CHECKLIST_DONE):
            raise TreatmentError("A dose order is signed after check-in and before the start.")
        protocol = session.course.protocol
        if protocol.kind != Protocol.Kind.ESKETAMINE and not session.weight_kg:
            raise TreatmentError("Record today's weight in the checklist first.")
        inputs = {
            "protocol": protocol.slug,
            "weight_kg": session.weight_kg,
            "height_cm": session.height_cm,
            "sex": session.patient.sex,
            "weight_basis": protocol.weight_basis,
            "minutes": float(protocol.infusion_minutes),
            "mg_per_kg": mg_per_kg if mg_per_kg is not None else protocol.mg_per_kg,
            "mg_per_kg_per_h": mg_per_kg_per_h if mg_per_kg_per_h is not None else protocol.mg_per_kg_per_h,
            "concentration_mg_per_ml": concentration_mg_per_ml or protocol.default_concentration_mg_per_ml,
            "bag_ml": bag_ml if bag_ml is not None else protocol.default_bag_ml,
            "max_dose_mg": protocol.max_dose_mg,
            "esketamine_dose_mg": esketamine_dose_mg,
        }
        try:
            result = _calculate(protocol, inputs)
        except (dosing.DoseError, ValueError, KeyError, TypeError) as exc:
            raise TreatmentError(list(getattr(exc, "messages", [str(exc)]))) from exc
        display = result.display() if hasattr(result, "display") else _jsonable(asdict(result))
        order = DoseOrder.objects.create(
            session=session,
            inputs=_jsonable(inputs),
            result=display,
            engine_version=dosing.VERSION,
            signed_by=signed_by,
            signed_at=timezone.now(),
            created_by=signed_by,
        )
        _audit(Action.CREATE, signed_by, order, session, f"dose order signed: {display.get('dose_mg')} mg")
    return order


def dose_double_check(
    *, order: DoseOrder, checked_by: Any, weight_kg: float, concentration_mg_per_ml: float
) -> DoubleCheck:
    """A second clinician re-enters weight and concentration without seeing them; the domain compares."""
    session = order.session
    _check(checked_by, session)
    if checked_by.pk == order.signed_by_id:
        raise TreatmentError(DOUBLE_CHECK_SAME_PERSON)
    protocol = session.course.protocol
    with transaction.atomic():
        _lock(session)
        if protocol.kind == Protocol.Kind.ESKETAMINE:
            matches, mismatches = True, []
        else:
            domain_order = _calculate(protocol, order.inputs)
            result = dosing.double_check(
                domain_order,
                dosing.DoubleCheckEntry(weight_kg=weight_kg, concentration_mg_per_ml=concentration_mg_per_ml),
            )
            matches, mismatches = result.matches, [m.message for m in result.mismatches]
        check = DoubleCheck.objects.create(
            order=order,
            weight_kg=weight_kg,
            concentration_mg_per_ml=concentration_mg_per_ml,
            matches=matches,
            mismatches=mismatches,
            checked_by=checked_by,
            checked_at=timezone.now(),
            created_by=checked_by,
        )
        _audit(
            Action.CREATE,
            checked_by,
            check,
            session,
            "double check " + ("matches" if matches else "MISMATCH"),
        )
    return check


def current_order(session: InfusionSession) -> DoseOrder | None:
    return session.orders.current().order_by("-signed_at", "-id").first()


# --- administration record -----------------------------------------------------------------------------------

_NEXT_STATUS = {
    AdministrationEvent.Kind.START: S.INFUSING,
    AdministrationEvent.Kind.PAUSE: S.PAUSED,
    AdministrationEvent.Kind.RESUME: S.INFUSING,
    AdministrationEvent.Kind.STOP: S.RECOVERING,
}


def _domain_events(
    session: InfusionSession,
    extra: AdministrationEvent | None = None,
    fetched: Any = None,
) -> list[dosing.InfusionEvent]:
    """The session's dosing events; ``fetched``: its current events in (at, id) order when a list prefetched them."""
    source = fetched if fetched is not None else session.events.current().order_by("at", "id")
    rows = [e for e in source if e.kind != AdministrationEvent.Kind.DEVICE]
    if extra is not None:
        rows.append(extra)
    return [
        dosing.InfusionEvent(
            at=e.at, kind=dosing.EventKind(e.kind), rate_mg_per_h=e.rate_mg_per_h, bolus_mg=e.bolus_mg
        )
        for e in rows
    ]


def infusion_event_record(
    *,
    session: InfusionSession,
    kind: str,
    recorded_by: Any,
    rate_mg_per_h: float | None = None,
    bolus_mg: float | None = None,
    reason: str = "",
    lot: str = "",
    at: dt.datetime | None = None,
) -> AdministrationEvent:
    """Append one pump (or nasal device) event; the domain validates the sequence before anything is saved."""
    _check(recorded_by, session)
    at = at or timezone.now()
    K = AdministrationEvent.Kind
    with transaction.atomic():
        session = _lock(session)
        if session.status in (S.DISCHARGED, S.CANCELLED, S.MISSED):
            raise TreatmentError(SESSION_CLOSED)
        esketamine = session.course.protocol.kind == Protocol.Kind.ESKETAMINE
        if kind == K.START or (kind == K.DEVICE and session.status != S.INFUSING):
            if session.status == S.BOOKED:
                raise TreatmentError(NOT_ARRIVED)
            if session.status == S.ARRIVED:
                raise TreatmentError(CHECKLIST_NOT_PASSED)
            order = current_order(session)
            if order is None:
                raise TreatmentError(NO_ORDER)
            if not esketamine and not order.double_checks.current().filter(matches=True).exists():
                raise TreatmentError(NOT_DOUBLE_CHECKED)
            if (
                InfusionSession.objects.current()
                .filter(patient_id=session.patient_id, status__in=InfusionSession.ACTIVE_TREATMENT)
                .exclude(pk=session.pk)
                .exists()
            ):
                raise TreatmentError(ANOTHER_ACTIVE_INFUSION)
            if kind == K.START and rate_mg_per_h is None:
                rate_mg_per_h = order.result.get("rate_mg_per_h")
        if kind == K.RATE_CHANGE and not reason.strip():
            raise TreatmentError(RATE_CHANGE_NEEDS_REASON)
        event = AdministrationEvent(
            session=session,
            kind=kind,
            at=at,
            rate_mg_per_h=rate_mg_per_h,
            bolus_mg=bolus_mg,
            reason=reason.strip(),
            lot=lot.strip(),
            recorded_by=recorded_by,
            created_by=recorded_by,
        )
        if kind == K.DEVICE:
            if not esketamine or session.status not in (S.CHECKLIST_DONE, S.INFUSING):
                raise TreatmentError(
                    NOT_RUNNING.format(kind="nasal device", state=session.get_status_display().lower())
                )
        else:
            if esketamine and kind != K.STOP:
                raise TreatmentError("Esketamine sessions record nasal devices, not pump events.")
            if not esketamine:
                try:
                    dosing.segments_from_events(_domain_events(session, event), as_of=max(at, timezone.now()))
                except dosing.DoseError as exc:
                    state = session.get_status_display().lower()
                    raise TreatmentError(
                        NOT_RUNNING.format(kind=kind.replace("_", " "), state=state)
                    ) from exc
            elif session.status != S.INFUSING:
                raise TreatmentError(
                    NOT_RUNNING.format(kind="stop", state=session.get_status_display().lower())
                )
        try:
            with transaction.atomic():
                event.save()
                if kind == K.DEVICE and session.status == S.CHECKLIST_DONE:
                    session.status, session.started_at = S.INFUSING, at
                    session.esketamine_lot = lot.strip()
                if kind == K.DEVICE:
                    session.esketamine_devices = (session.esketamine_devices or 0) + 1
                if kind in _NEXT_STATUS:
                    session.status = _NEXT_STATUS[kind]
                if kind == K.START:
                    session.started_at = at
                if kind == K.STOP:
                    session.stopped_at = at
                session.updated_by = recorded_by
                if not esketamine and kind != K.BOLUS:
                    _update_forecast(session, at)
                session.save()
        except IntegrityError as exc:
            raise TreatmentError(ANOTHER_ACTIVE_INFUSION) from exc
        _audit(Action.CREATE, recorded_by, event, session, f"{kind} {rate_mg_per_h or ''}")
    return event


def _update_forecast(session: InfusionSession, now: dt.datetime) -> None:
    """PK forecast of discharge readiness from the doses given so far plus the planned rest (persisted with
    its inputs and engine version, shown on the board)."""
    from ketaflow.domain import pk

    if session.started_at is None or not session.weight_kg:
        return
    zero = session.started_at
    events = _domain_events(session)
    try:
        segments = dosing.segments_from_events(events, as_of=now)
    except dosing.DoseError:
        return
    infusions = [
        pk.Infusion(
            (seg.start - zero).total_seconds() / 60,
            (seg.end - zero).total_seconds() / 60,
            seg.rate_mg_per_h / 60,
        )
        for seg in segments
        if seg.end > seg.start and seg.rate_mg_per_h > 0
    ]
    planned_end = zero + dt.timedelta(minutes=session.infusion_minutes)
    if session.status == S.INFUSING and planned_end > now and events:
        rate = next((e.rate_mg_per_h for e in reversed(events) if e.rate_mg_per_h is not None), None)
        if rate:
            infusions.append(
                pk.Infusion((now - zero).total_seconds() / 60, session.infusion_minutes, rate / 60)
            )
    if not infusions:
        return
    from ketaflow.treatment.individualisation import patient_posterior

    covariates = pk.Covariates(weight_kg=session.weight_kg)
    # Calibrated by the patient's own earlier sessions when there are any (population prior otherwise).
    posterior, _n = patient_posterior(session.patient, before=session)
    forecast = pk.forecast_recovery(
        pk.get_model(pk.DEFAULT_MODEL_ID),
        covariates,
        pk.Schedule(infusions=tuple(infusions)),
        posterior=posterior,
    )
    session.forecast = {
        "time_zero": zero.isoformat(),
        "ready_at": (zero + dt.timedelta(minutes=forecast.ready_at_min)).isoformat(),
        "ready_low": (zero + dt.timedelta(minutes=forecast.ready_at_low_min)).isoformat(),
        "ready_high": (zero + dt.timedelta(minutes=forecast.ready_at_high_min)).isoformat(),
        "model": pk.DEFAULT_MODEL_ID,
        "weight_kg": session.weight_kg,
        "schedule": [[i.start_min, i.end_min, i.rate_mg_per_min] for i in infusions],
        "basis": forecast.basis,
        "warnings": list(forecast.warnings),
    }
    session.forecast_engine_version = pk.ENGINE_VERSION


def event_enter_in_error(*, event: AdministrationEvent, by: Any, reason: str) -> AdministrationEvent:
    """Corrections never delete: the event is marked entered-in-error (the remaining sequence must stay valid)."""
    session = event.session
    _check(by, session)
    if not reason.strip():
        raise TreatmentError("Give the reason the entry is wrong.")
    with transaction.atomic():
        session = _lock(session)
        rest = [e for e in _domain_events(session) if not (e.at == event.at and e.kind == event.kind)]
        try:
            dosing.segments_from_events(rest, as_of=timezone.now())
        except dosing.DoseError as exc:
            raise TreatmentError("Removing this entry would leave an impossible pump sequence.") from exc
        event.entered_in_error = True
        event.entered_in_error_reason = reason.strip()
        event.entered_in_error_at = timezone.now()
        event.entered_in_error_by = by
        event.save()
        _audit(Action.DELETE, by, event, session, reason)
    return event


def delivered_mg(session: InfusionSession, *, as_of: dt.datetime | None = None, fetched: Any = None) -> float:
    events = _domain_events(session, fetched=fetched)
    if not events:
        return 0.0
    return dosing.delivered_mg_from_events(events, as_of=as_of or timezone.now())


# --- vitals and alerts ---------------------------------------------------------------------------------------


def _domain_reading(v: VitalsReading, tz: Any = None) -> monitoring.VitalSigns:
    return monitoring.VitalSigns(
        taken_at=v.taken_at.astimezone(tz) if tz is not None else v.taken_at,
        sbp_mmhg=v.sbp_mmhg,
        dbp_mmhg=v.dbp_mmhg,
        hr_per_min=v.hr_per_min,
        spo2_pct=v.spo2_pct,
        rr_per_min=v.rr_per_min,
        etco2_mmhg=v.etco2_mmhg,
        temperature_c=v.temperature_c,
        moaas=v.moaas,
    )


VITAL_KEYS = (
    "sbp_mmhg",
    "dbp_mmhg",
    "hr_per_min",
    "spo2_pct",
    "rr_per_min",
    "etco2_mmhg",
    "temperature_c",
    "moaas",
)


def _raise_alerts(session: InfusionSession) -> list[SessionAlert]:
    tz = session.location.tz  # alert details name local times
    readings = [_domain_reading(v, tz) for v in session.vitals.current().order_by("taken_at", "id")]
    alerts = monitoring.evaluate_alerts(readings, specs.alert_rules(session.course.protocol))
    existing = set(session.alerts.values_list("rule_id", "raised_at"))
    created = []
    for alert in alerts:
        if (alert.rule_id, alert.raised_at) in existing:
            continue
        created.append(
            SessionAlert.objects.create(
                session=session,
                rule_id=alert.rule_id,
                severity=alert.severity.value,
                message=alert.message,
                suggested_action=alert.suggested_action,
                detail=alert.detail[:300],
                raised_at=alert.raised_at,
            )
        )
    return created


def vitals_record(
    *,
    session: InfusionSession,
    values: dict[str, Any],
    recorded_by: Any,
    taken_at: dt.datetime | None = None,
    source: str = "manual",
) -> tuple[VitalsReading, list[SessionAlert]]:
    """Validate (impossible values refused, nothing saved), store, then evaluate the protocol's alert rules."""
    _check(recorded_by, session)
    taken_at = taken_at or timezone.now()
    reading = monitoring.VitalSigns(taken_at=taken_at, **{k: values.get(k) for k in VITAL_KEYS})
    try:
        monitoring.validate_vital_signs(reading)
    except monitoring.VitalSignError as exc:
        raise TreatmentError(list(exc.messages)) from exc
    problems = []
    if values.get("cadss") is not None and not 0 <= values["cadss"] <= (
        92 if "cadss23" in (session.course.protocol.scales or []) else 24
    ):
        problems.append("CADSS total is outside the scale's range.")
    if values.get("pain_nrs") is not None and not 0 <= values["pain_nrs"] <= 10:
        problems.append("Pain NRS is a whole number from 0 to 10.")
    if problems:
        raise TreatmentError(problems)
    with transaction.atomic():
        session = _lock(session)
        if session.status in (S.DISCHARGED, S.CANCELLED, S.MISSED, S.BOOKED):
            raise TreatmentError(SESSION_CLOSED if session.status != S.BOOKED else NOT_ARRIVED)
        row = VitalsReading.objects.create(
            session=session,
            taken_at=taken_at,
            recorded_by=recorded_by,
            created_by=recorded_by,
            source=source,
            cadss=values.get("cadss"),
            pain_nrs=values.get("pain_nrs"),
            **{k: values.get(k) for k in VITAL_KEYS},
        )
        alerts = _raise_alerts(session)
        _audit(Action.CREATE, recorded_by, row, session, f"vitals ({len(alerts)} alert(s))")
    return row, alerts


CSV_COLUMNS = {
    "time": "time",
    "sbp": "sbp_mmhg",
    "dbp": "dbp_mmhg",
    "hr": "hr_per_min",
    "spo2": "spo2_pct",
    "rr": "rr_per_min",
    "etco2": "etco2_mmhg",
    "temp": "temperature_c",
}


def vitals_import_csv(*, session: InfusionSession, text: str, imported_by: Any) -> int:
    """Import a monitor export (columns time,sbp,dbp,hr,spo2,rr[,etco2,temp]; time HH:MM local on the session
    day or ISO 8601). Every row is validated first; one bad row refuses the whole file."""
    _check(imported_by, session)
    reader = csv.DictReader(io.StringIO(text.strip()))
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    if "time" not in header or len(set(header) & set(CSV_COLUMNS) - {"time"}) == 0:
        raise TreatmentError(CSV_HEADER)
    tz = session.location.tz
    day = timezone.localtime(session.starts_at, tz).date()
    parsed: list[tuple[dt.datetime, dict[str, Any]]] = []
    problems: list[str] = []
    for number, raw in enumerate(reader, start=2):
        row = {(k or "").strip().lower(): (v or "").strip() for k, v in raw.items()}
        try:
            text_time = row["time"]
            if len(text_time) <= 5:
                taken = dt.datetime.combine(day, dt.time.fromisoformat(text_time), tzinfo=tz)
            else:
                taken = dt.datetime.fromisoformat(text_time)
                taken = taken if taken.tzinfo else taken.replace(tzinfo=tz)
            values = {
                CSV_COLUMNS[k]: float(v) for k, v in row.items() if k in CSV_COLUMNS and k != "time" and v
            }
        except ValueError as exc:
            problems.append(CSV_BAD.format(row=number, problem=str(exc)))
            continue
        found = monitoring.vital_sign_problems(monitoring.VitalSigns(taken_at=taken, **values))
        problems += [CSV_BAD.format(row=number, problem=p) for p in found]
        parsed.append((taken, values))
    if problems:
        raise TreatmentError(problems)
    with transaction.atomic():
        session = _lock(session)
        for taken, values in parsed:
            VitalsReading.objects.create(
                session=session,
                taken_at=taken,
                recorded_by=imported_by,
                created_by=imported_by,
                source="import",
                **values,
            )
        _raise_alerts(session)
        _audit(Action.CREATE, imported_by, session, session, f"imported {len(parsed)} vitals rows")
    return len(parsed)


def alert_acknowledge(*, alert: SessionAlert, acknowledged_by: Any) -> SessionAlert:
    _check(acknowledged_by, alert.session)
    with transaction.atomic():
        alert = SessionAlert.objects.select_for_update().get(pk=alert.pk)
        if alert.acknowledged_at is None:
            alert.acknowledged_at = timezone.now()
            alert.acknowledged_by = acknowledged_by
            alert.save()
            _audit(Action.UPDATE, acknowledged_by, alert, alert.session, f"acknowledged {alert.rule_id}")
    return alert


# --- adverse events, recovery, discharge ------------------------------------------------------------------


def adverse_event_record(*, session: InfusionSession, recorded_by: Any, **fields: Any) -> AdverseEvent:
    _check(recorded_by, session)
    if fields.get("prn_medicine") is not None and not fields.get("prn_dose"):
        raise TreatmentError("Give the dose of the PRN medicine.")
    with transaction.atomic():
        session = _lock(session)
        event = AdverseEvent.objects.create(
            session=session,
            recorded_by=recorded_by,
            created_by=recorded_by,
            occurred_at=fields.pop("occurred_at", None) or timezone.now(),
            **fields,
        )
        _audit(Action.CREATE, recorded_by, event, session, f"adverse event {event.kind}")
    return event


def recovery_score_record(
    *, session: InfusionSession, instrument: str, answers: list[int], scored_by: Any
) -> RecoveryScore:
    _check(scored_by, session)
    try:
        result = instruments.score(instrument, answers)
    except instruments.InstrumentError as exc:
        raise TreatmentError(str(exc)) from exc
    with transaction.atomic():
        session = _lock(session)
        if session.status not in (S.RECOVERING, S.READY):
            raise TreatmentError(NOT_RECOVERING)
        score = RecoveryScore.objects.create(
            session=session,
            instrument=instrument,
            answers=list(answers),
            total=int(result.total),
            engine_version=instruments.VERSION,
            scored_at=timezone.now(),
            scored_by=scored_by,
            created_by=scored_by,
        )
        # "Ready" on the board: score and time met; the escort is confirmed at the discharge itself
        decision = discharge_decision(session, escort_present=True)
        session.status = S.READY if decision.allowed else S.RECOVERING
        session.save(update_fields=["status", "updated_at"])
        _audit(Action.CREATE, scored_by, score, session, f"{instrument} {score.total}")
    return score


def discharge_decision(
    session: InfusionSession, *, escort_present: bool | None = None
) -> monitoring.DischargeDecision:
    protocol = session.course.protocol
    latest = session.recovery_scores.current().order_by("-scored_at", "-id").first()
    esketamine = protocol.kind == Protocol.Kind.ESKETAMINE
    facts = monitoring.DischargeFacts(
        now=timezone.now(),
        recovery_score=latest.total if latest else None,
        escort_present=session.escort_present if escort_present is None else escort_present,
        infusion_ended_at=None if esketamine else session.stopped_at,
        first_esketamine_device_at=session.started_at if esketamine else None,
    )
    return monitoring.evaluate_discharge(facts, specs.discharge_criteria(protocol))


class DischargeAction:
    """Discharge: check → evaluate the criteria (domain) → change → audit. Refused with every unmet reason."""

    def __init__(self, *, session: InfusionSession, user: Any, escort_present: bool) -> None:
        self.session, self.user, self.escort_present = session, user, escort_present

    def execute(self) -> InfusionSession:
        _check(self.user, self.session)
        with transaction.atomic():
            session = _lock(self.session)
            if session.status == S.DISCHARGED:
                raise TreatmentError(ALREADY_DISCHARGED)
            if session.status not in (S.RECOVERING, S.READY):
                raise TreatmentError(NOT_RECOVERING)
            decision = discharge_decision(session, escort_present=self.escort_present)
            if not decision.allowed:
                raise TreatmentError(list(decision.reasons))
            session.escort_present = True
            session.status = S.DISCHARGED
            session.discharged_at = timezone.now()
            session.discharged_by = self.user
            session.save()
            _audit(Action.UPDATE, self.user, session, session, "discharged")
        return session


def session_discharge(
    *, session: InfusionSession, discharged_by: Any, escort_present: bool
) -> InfusionSession:
    return DischargeAction(session=session, user=discharged_by, escort_present=escort_present).execute()


def rems_pmf_mark_submitted(
    *, session: InfusionSession, submitted_by: Any, submitted_on: dt.date
) -> InfusionSession:
    _check(submitted_by, session)
    session.rems_pmf_submitted_on = submitted_on
    session.save(update_fields=["rems_pmf_submitted_on", "updated_at"])
    _audit(Action.UPDATE, submitted_by, session, session, "REMS PMF submitted")
    return session


PROPOSAL_IV_ONLY = "Dose proposals are for IV fixed-dose protocols."
PROPOSAL_NEEDS_WEIGHT = "Record today's weight (checklist) before asking for a dose proposal."
PROPOSAL_DECIDED = "This proposal has already been decided."
EDIT_NEEDS_DOSE = "Give the dose you chose and the reason for the change."
DECLINE_NEEDS_REASON = "Give the reason for declining."


def dose_proposal_create(
    *,
    session: InfusionSession,
    requested_by: Any,
    cadss_low: float,
    cadss_high: float,
    max_sbp_rise_mmhg: float,
) -> Any:
    """Ask the PK/PD engine for this session's dose, individualised from the patient's earlier sessions.

    The proposal is stored with its inputs and engine version; it changes nothing until a prescriber decides.
    """
    from ketaflow.domain import pk
    from ketaflow.treatment.individualisation import patient_posterior
    from ketaflow.treatment.models import DoseProposal, Protocol

    _check(requested_by, session, Perm.PRESCRIBE)
    protocol = session.course.protocol
    if protocol.kind != Protocol.Kind.IV_DOSE:
        raise TreatmentError(PROPOSAL_IV_ONLY)
    if not session.weight_kg:
        raise TreatmentError(PROPOSAL_NEEDS_WEIGHT)
    if not 0 <= cadss_low < cadss_high or max_sbp_rise_mmhg <= 0:
        raise TreatmentError(
            "The CADSS range must go from low to high and the blood-pressure limit must be positive."
        )
    posterior, n_sessions = patient_posterior(session.patient, before=session)
    target = pk.DoseTarget(
        peak_cadss_low=cadss_low, peak_cadss_high=cadss_high, max_sbp_rise_mmhg=max_sbp_rise_mmhg
    )
    limits = pk.ProtocolLimits(
        min_mg_per_kg=protocol.min_mg_per_kg or 0.1,
        max_mg_per_kg=protocol.max_mg_per_kg or 1.0,
        max_total_mg=protocol.max_dose_mg or 1e9,
        duration_min=float(protocol.infusion_minutes),
    )
    proposal = pk.propose_dose(
        pk.get_model(pk.DEFAULT_MODEL_ID),
        pk.Covariates(weight_kg=session.weight_kg),
        target,
        limits,
        posterior=posterior,
        engine_version=pk.ENGINE_VERSION,
    )
    result = {
        "mg_per_kg": proposal.mg_per_kg,
        "total_mg": proposal.total_mg,
        "rate_mg_per_min": proposal.rate_mg_per_min,
        "duration_min": proposal.duration_min,
        "predicted_peak_cadss": list(proposal.predicted_peak_cadss),
        "predicted_peak_sbp_rise_mmhg": list(proposal.predicted_peak_sbp_rise_mmhg),
        "recovery_after_stop_min": [
            proposal.recovery.ready_after_stop_min,
            proposal.recovery.low_after_stop_min,
            proposal.recovery.high_after_stop_min,
        ],
        "target_met": proposal.target_met,
        "reasons": list(proposal.reasons),
        "basis": posterior.basis if posterior is not None else "population prior",
        "posterior": posterior.as_dict() if posterior is not None else None,
    }
    inputs = {
        "weight_kg": session.weight_kg,
        "target": {"cadss_low": cadss_low, "cadss_high": cadss_high, "max_sbp_rise_mmhg": max_sbp_rise_mmhg},
        "limits": {
            "min_mg_per_kg": limits.min_mg_per_kg,
            "max_mg_per_kg": limits.max_mg_per_kg,
            "max_total_mg": limits.max_total_mg,
            "duration_min": limits.duration_min,
        },
        "model": pk.DEFAULT_MODEL_ID,
        "earlier_sessions": n_sessions,
        "engine_inputs": {
            k: v for k, v in proposal.inputs.items() if isinstance(v, str | int | float | bool)
        },
    }
    with transaction.atomic():
        row = DoseProposal.objects.create(
            session=session,
            inputs=inputs,
            result=result,
            engine_version=pk.ENGINE_VERSION,
            proposed_mg_per_kg=proposal.mg_per_kg,
            created_by=requested_by,
        )
        _audit(Action.CREATE, requested_by, row, session, f"dose proposal {proposal.mg_per_kg:.2f} mg/kg")
    return row


def dose_proposal_decide(
    *, proposal: Any, decided_by: Any, decision: str, mg_per_kg: float | None = None, reason: str = ""
) -> Any:
    """A prescriber accepts, accepts with another dose (reason required) or declines (reason required)."""
    from ketaflow.treatment.models import DoseProposal

    session = proposal.session
    _check(decided_by, session, Perm.PRESCRIBE)
    reason = reason.strip()
    if decision == DoseProposal.Decision.EDITED and (mg_per_kg is None or not reason):
        raise TreatmentError(EDIT_NEEDS_DOSE)
    if decision == DoseProposal.Decision.DECLINED and not reason:
        raise TreatmentError(DECLINE_NEEDS_REASON)
    if decision not in {
        DoseProposal.Decision.ACCEPTED,
        DoseProposal.Decision.EDITED,
        DoseProposal.Decision.DECLINED,
    }:
        raise TreatmentError("Choose accept, accept with another dose, or decline.")
    protocol = session.course.protocol
    if mg_per_kg is not None and not (protocol.min_mg_per_kg or 0) <= mg_per_kg <= (
        protocol.max_mg_per_kg or 10
    ):
        raise TreatmentError(
            f"The dose must be within the protocol's {protocol.min_mg_per_kg}-{protocol.max_mg_per_kg} mg/kg."
        )
    with transaction.atomic():
        locked = DoseProposal.objects.select_for_update().get(pk=proposal.pk)
        if locked.decision != DoseProposal.Decision.PENDING:
            raise TreatmentError(PROPOSAL_DECIDED)
        locked.decision = decision
        locked.decided_mg_per_kg = (
            locked.proposed_mg_per_kg if decision == DoseProposal.Decision.ACCEPTED else mg_per_kg
        )
        locked.decision_reason = reason
        locked.decided_by = decided_by
        locked.decided_at = timezone.now()
        locked.updated_by = decided_by
        locked.save()
        _audit(
            Action.OVERRIDE if decision == DoseProposal.Decision.EDITED else Action.UPDATE,
            decided_by,
            locked,
            session,
            f"dose proposal {decision}: {locked.decided_mg_per_kg or '-'} mg/kg {reason}"[:400],
        )
    return locked
