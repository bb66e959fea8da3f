"""Measurement workflow writes: schedules, sending, answers, check-ins, urgent tasks and their escalation.

- ``course_schedule_rebuild`` turns a course's booked sessions into ``MeasurementRequest`` rows through
  ``domain.outcomes.measurement_schedule`` (idempotent upsert on course, instrument and due time).
- ``outcomes_send_due`` is the sweep run by the task worker and ``ketaflow send_measurements``: it expires
  closed windows, sends due links and check-ins, sends one reminder, and escalates urgent tasks. Each row is
  claimed by a conditional UPDATE first, so two workers or two sweeps never send the same message twice.
- ``measurement_answer`` / ``check_in_answer`` save a patient's answers atomically; a suicidality signal
  creates an ``UrgentTask`` for the prescriber on duty in the same transaction.

Link tokens are never stored: only their SHA-256. The raw token is an HMAC of the row and its send time
under the server's secret key (like Django's password-reset tokens), so the reminder can repeat the link.
Error messages are module constants so tests assert them exactly.
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import EmailMessage
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Perm, Role
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm
from ketaflow.core.sms import SmsMessage, get_sms_backend
from ketaflow.domain import instruments
from ketaflow.domain.outcomes import (
    DueMeasurement,
    Pathway,
    ScheduledCourse,
    Timepoint,
    add_months,
    default_plan,
    measurement_schedule,
)
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.intake.services import questionnaire_score
from ketaflow.outcomes.models import CheckIn, MeasurementRequest, UrgentTask
from ketaflow.outcomes.selectors import token_hash
from ketaflow.patients.models import Patient
from ketaflow.treatment.models import Course, InfusionSession

log = logging.getLogger(__name__)

R = MeasurementRequest.Status
C = CheckIn.Status
S = InfusionSession.Status

LINK_UNKNOWN = "This link is not valid. Ask the clinic to send you a new one."
LINK_EXPIRED = "This questionnaire link has expired, so nothing was saved. The clinic will send the next one."
ALREADY_ANSWERED = (
    "This questionnaire has already been answered. Your first answers are kept; nothing else was saved."
)
ALL_ANSWERED = "You have already answered everything this link was for. Thank you."
NOT_YOURS = "That questionnaire is not part of this link."
CHECK_IN_EXPIRED = (
    "This check-in link has expired, so nothing was saved. If you have a concern, call the clinic."
)
CHECK_IN_ANSWERED = (
    "This check-in has already been answered. Your first answers are kept; nothing else was saved."
)
NOTE_REQUIRED = "Write a note."
ALREADY_REVIEWED = "This check-in has already been reviewed."
TASK_CLOSED = "This task is already resolved."
NOT_DUE = "This measure is not open for rating (not due yet, expired or already done)."

# How long after the course the monthly follow-up measures continue (clinical.md §5: "monthly after the course").
FOLLOW_UP_MONTHS = 6
# The course milestones fall one day after the last infusion of the phase (the day-after measure).
MILESTONE_AFTER_INFUSION = dt.timedelta(days=1)
# Next-day check-in: sent at 09:00 local time the morning after the session, open for 48 hours.
CHECK_IN_HOUR = 9
CHECK_IN_WINDOW = dt.timedelta(hours=48)
LINK_SALT = "ketaflow.outcomes.link"
# The clinic sends the C-SSRS screener in its self-report form (Columbia publishes one); MADRS stays with the
# clinician. Every other instrument follows its definition's ``rater``.
SELF_REPORT_OVERRIDES = frozenset({"cssrs_screener"})
NO_LONGER_DUE = "No longer in the course's schedule (sessions changed)."
COURSE_STOPPED = "The course was stopped."

CSSRS_ESCALATE = frozenset({"moderate", "high"})


def _escalate_after() -> dt.timedelta:
    return dt.timedelta(minutes=getattr(settings, "OUTCOMES_ESCALATE_AFTER_MINUTES", 30))


def rater_for(instrument_id: str) -> str:
    if instrument_id in SELF_REPORT_OVERRIDES:
        return MeasurementRequest.Rater.PATIENT
    rater = instruments.get_instrument(instrument_id).rater
    return MeasurementRequest.Rater.CLINICIAN if rater == "clinician" else MeasurementRequest.Rater.PATIENT


# --- schedule materialisation -------------------------------------------------------------------------


def pathway_for(course: Course) -> Pathway:
    return Pathway.PAIN if course.pathway == "iv_ketamine_pain" else Pathway.DEPRESSION


def scheduled_course(course: Course, starts: list[dt.datetime]) -> ScheduledCourse | None:
    """The course's calendar from its live and past sessions (cancelled and missed ones do not count).

    Induction is the protocol's first ``induction_sessions`` infusions; it ends, and the course ends, one day
    after the last infusion of each; monthly follow-up runs for ``FOLLOW_UP_MONTHS`` after the course.
    """
    if not starts:
        return None
    starts = sorted(starts)
    induction_count = max(1, min(course.protocol.induction_sessions or course.planned_sessions, len(starts)))
    induction_ends_at = starts[induction_count - 1] + MILESTONE_AFTER_INFUSION
    ends_at = max(starts[-1] + MILESTONE_AFTER_INFUSION, induction_ends_at)
    return ScheduledCourse(
        course_id=str(course.uuid),
        infusions=tuple(starts),
        induction_ends_at=induction_ends_at,
        ends_at=ends_at,
        follow_up_until=add_months(ends_at, FOLLOW_UP_MONTHS),
    )


def _session_for(item: DueMeasurement, sessions: list[InfusionSession]) -> InfusionSession | None:
    """The infusion a measure belongs to: the one it precedes (pre-infusion) or the last one before it."""
    points = set(item.timepoints)
    if points & {Timepoint.BASELINE, Timepoint.PRE_INFUSION}:
        for session in sessions:
            if session.starts_at == item.expires_at:
                return session
    before = [s for s in sessions if s.starts_at <= item.due_at]
    return before[-1] if before else None


def course_schedule_rebuild(*, course_id: int, now: dt.datetime | None = None) -> dict[str, int]:
    """(Re)build a course's measurement requests from its sessions. Idempotent; returns what changed.

    New measures whose window already closed are not created. Unsent (scheduled) measures that no longer
    apply are cancelled; sent, completed and expired ones are never touched.
    """
    now = now or timezone.now()
    with transaction.atomic():
        course = (
            Course.objects.select_for_update(of=("self",))
            .select_related("protocol", "patient")
            .get(pk=course_id)
        )
        sessions = list(
            InfusionSession.objects.current()
            .filter(course_id=course.pk)
            .exclude(status__in=[S.CANCELLED, S.MISSED])
            .order_by("starts_at", "id")
        )
        stopped = course.status == Course.Status.STOPPED or course.entered_in_error
        calendar = None if stopped else scheduled_course(course, [s.starts_at for s in sessions])
        items = measurement_schedule(calendar, default_plan(pathway_for(course))) if calendar else []
        existing = {
            (r.instrument, r.due_at): r for r in MeasurementRequest.objects.filter(course_id=course.pk)
        }
        wanted: set[tuple[str, dt.datetime]] = set()
        to_create: list[MeasurementRequest] = []
        to_update: list[MeasurementRequest] = []
        for item in items:
            key = (item.instrument_id, item.due_at)
            wanted.add(key)
            session = _session_for(item, sessions)
            points = [str(p) for p in item.timepoints]
            row = existing.get(key)
            if row is None:
                if item.expires_at > now:
                    to_create.append(
                        MeasurementRequest(
                            patient_id=course.patient_id,
                            course_id=course.pk,
                            session=session,
                            instrument=item.instrument_id,
                            rater=rater_for(item.instrument_id),
                            timepoints=points,
                            due_at=item.due_at,
                            expires_at=item.expires_at,
                        )
                    )
                continue
            revive = (
                row.status == R.CANCELLED and row.cancelled_reason == NO_LONGER_DUE and item.expires_at > now
            )
            if row.status == R.SCHEDULED or revive:
                changed = (
                    row.expires_at != item.expires_at
                    or row.timepoints != points
                    or row.session_id != (session.pk if session else None)
                    or revive
                )
                if changed:
                    row.expires_at, row.timepoints, row.session = item.expires_at, points, session
                    if revive:
                        row.status, row.cancelled_reason = R.SCHEDULED, ""
                    to_update.append(row)
        MeasurementRequest.objects.bulk_create(to_create)
        if to_update:
            MeasurementRequest.objects.bulk_update(
                to_update, ["expires_at", "timepoints", "session", "status", "cancelled_reason", "updated_at"]
            )
        stale = [r.pk for key, r in existing.items() if key not in wanted and r.status == R.SCHEDULED]
        cancelled = 0
        if stale:
            cancelled = MeasurementRequest.objects.filter(pk__in=stale, status=R.SCHEDULED).update(
                status=R.CANCELLED,
                cancelled_reason=COURSE_STOPPED if stopped else NO_LONGER_DUE,
                updated_at=now,
            )
        changes = {"created": len(to_create), "updated": len(to_update), "cancelled": cancelled}
        if any(changes.values()):
            audit(
                Action.UPDATE,
                obj=course,
                patient_uuid=course.patient.uuid,
                location=course.location,
                detail="measurement schedule: {created} added, {updated} updated, {cancelled} cancelled".format(
                    **changes
                ),
                actor_label="outcomes schedule",
            )
    return changes


def check_in_create(*, session_id: int) -> CheckIn | None:
    """The next-day check-in for a discharged session (09:00 local the next morning). Idempotent."""
    session = InfusionSession.objects.select_related("location", "patient").filter(pk=session_id).first()
    if session is None or session.status != S.DISCHARGED or session.entered_in_error:
        return None
    existing = CheckIn.objects.filter(session_id=session.pk).first()
    if existing is not None:
        return existing
    tz = session.location.tz
    left = timezone.localtime(session.discharged_at or session.ends_at, tz)
    due = dt.datetime.combine(left.date() + dt.timedelta(days=1), dt.time(CHECK_IN_HOUR), tzinfo=tz)
    try:
        with transaction.atomic():
            check_in = CheckIn.objects.create(
                session=session,
                patient=session.patient,
                due_at=due,
                expires_at=due + CHECK_IN_WINDOW,
            )
    except IntegrityError:  # created by a concurrent hook
        return CheckIn.objects.filter(session_id=session.pk).first()
    audit(
        Action.CREATE,
        obj=check_in,
        patient_uuid=session.patient.uuid,
        location=session.location,
        detail="next-day check-in scheduled",
        actor_label="outcomes schedule",
    )
    return check_in


# --- links ---------------------------------------------------------------------------------------------


def _raw_token(kind: str, row: MeasurementRequest | CheckIn) -> str:
    """The link token for a sent row, derived from its id, uuid and send time (never stored)."""
    assert row.sent_at is not None
    digest = salted_hmac(
        LINK_SALT, f"{kind}:{row.pk}:{row.uuid}:{row.sent_at.timestamp():.6f}", algorithm="sha256"
    ).digest()
    return base64.urlsafe_b64encode(digest[:24]).decode()


def measurement_link_url(raw_token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("outcomes:measure_link", args=[raw_token])


def check_in_link_url(raw_token: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("outcomes:check_in_link", args=[raw_token])


def _sms_consent(patient_ids: Iterable[int]) -> set[int]:
    """Patients who agreed to be contacted by text message (the consent given when booking)."""
    from ketaflow.scheduling.models import Appointment

    return set(
        Appointment.objects.filter(patient_id__in=list(patient_ids), consent_to_contact=True).values_list(
            "patient_id", flat=True
        )
    )


def _channels(patient: Patient, consented: set[int]) -> list[str]:
    channels = []
    if patient.email:
        channels.append("email")
    if patient.mobile_phone and patient.pk in consented:
        channels.append("sms")
    return channels


def _deliver(
    patient: Patient, channels: list[str], subject: str, template: str, context: dict[str, Any]
) -> None:
    """Send one message on each channel. No clinical detail beyond the instrument names goes out."""
    for channel in channels:
        try:
            if channel == "email":
                body = render_to_string(f"outcomes/email/{template}.txt", context)
                EmailMessage(subject=subject, body=body, to=[patient.email]).send()
            else:
                get_sms_backend().send(SmsMessage(to=patient.mobile_phone, body=context["sms"]))
        except Exception:  # noqa: BLE001 - the row stays claimed: a failed channel is logged, never resent twice
            log.warning("outcomes %s message failed for patient %s", channel, patient.uuid)


def _claim_send(model: Any, row: Any, now: dt.datetime, kind: str, channels: list[str]) -> str | None:
    """Mark one scheduled row sent (conditional UPDATE) and return its raw token, or None if taken already."""
    row.sent_at = now
    raw = _raw_token(kind, row)
    claimed = model.objects.filter(pk=row.pk, status="scheduled", sent_at__isnull=True).update(
        status="sent", sent_at=now, token_hash=token_hash(raw), channels=channels, updated_at=now
    )
    if not claimed:
        return None
    row.status, row.token_hash, row.channels = "sent", token_hash(raw), channels
    return raw


def _instrument_titles(rows: list[MeasurementRequest]) -> list[str]:
    return [instruments.get_instrument(r.instrument).title for r in rows]


def _lock_patient(patient_id: int) -> None:
    """Serialise sweeps per patient, so concurrent workers never split one patient's message in two."""
    Patient.objects.select_for_update().filter(pk=patient_id).values_list("pk", flat=True).first()


def _patient_due(patient_id: int, now: dt.datetime) -> Any:
    return MeasurementRequest.objects.filter(
        patient_id=patient_id,
        status=R.SCHEDULED,
        rater=MeasurementRequest.Rater.PATIENT,
        due_at__lte=now,
        expires_at__gt=now,
    ).order_by("due_at", "instrument", "id")


def measurements_send_due(*, now: dt.datetime | None = None) -> int:
    """Send every patient-rated measure whose window is open: one message per patient, one link that walks
    through all of them. Returns how many measures were sent.

    Each patient's rows are claimed in one short transaction holding the patient's row lock (conditional
    UPDATE per row inside it), then the message goes out after commit: never twice, never split.
    """
    now = now or timezone.now()
    patients = {
        row.patient_id: row.patient
        for row in MeasurementRequest.objects.filter(
            status=R.SCHEDULED, rater=MeasurementRequest.Rater.PATIENT, due_at__lte=now, expires_at__gt=now
        )
        .select_related("patient__preferred_location")
        .order_by("patient_id")
    }
    consented = _sms_consent(patients)
    sent = 0
    for patient_id, patient in patients.items():
        channels = _channels(patient, consented)
        if not channels:
            continue  # nowhere to send: the window runs out and the measure expires
        with transaction.atomic():
            _lock_patient(patient_id)
            claimed = []
            for row in _patient_due(patient_id, now):
                raw = _claim_send(MeasurementRequest, row, now, "m", channels)
                if raw is not None:
                    claimed.append((row, raw))
        if not claimed:
            continue
        rows = [row for row, _ in claimed]
        url = measurement_link_url(claimed[0][1])
        context = _message_context(patient, rows, url, min(r.expires_at for r in rows), reminder=False)
        _deliver(patient, channels, "Questionnaires from your clinic", "measurement", context)
        for row in rows:
            audit(
                Action.UPDATE,
                obj=row,
                patient_uuid=patient.uuid,
                detail=f"{row.instrument} link sent by {', '.join(channels)}",
                actor_label="outcomes sender",
            )
        sent += len(rows)
    return sent


def _message_context(
    patient: Patient, rows: list[Any], url: str, closes: dt.datetime, *, reminder: bool
) -> dict[str, Any]:
    tz = patient.preferred_location.tz if patient.preferred_location_id else timezone.get_current_timezone()
    local = timezone.localtime(closes, tz)
    titles = _instrument_titles(rows) if rows and isinstance(rows[0], MeasurementRequest) else []
    what = "short questionnaire" if len(rows) == 1 else f"{len(rows)} short questionnaires"
    lead = "Reminder: " if reminder else ""
    return {
        "patient": patient,
        "titles": titles,
        "url": url,
        "closes": local,
        "reminder": reminder,
        "sms": f"{lead}Your clinic asks you to answer {what} by {local:%a %b %-d %-I:%M %p}: {url} "
        "In crisis call or text 988.",
    }


def measurement_request_send(*, request: MeasurementRequest, now: dt.datetime | None = None) -> str:
    """Send one patient-rated measure now (staff resend, demo data and tests) and return the raw link token.

    Refused unless the measure is scheduled and its window is open.
    """
    now = now or timezone.now()
    request = MeasurementRequest.objects.select_related("patient").get(pk=request.pk)
    if (
        request.status != R.SCHEDULED
        or request.rater != MeasurementRequest.Rater.PATIENT
        or not (request.due_at <= now < request.expires_at)
    ):
        raise ValidationError(NOT_DUE)
    channels = _channels(request.patient, _sms_consent([request.patient_id])) or ["email"]
    raw = _claim_send(MeasurementRequest, request, now, "m", channels)
    if raw is None:
        raise ValidationError(NOT_DUE)
    url = measurement_link_url(raw)
    context = _message_context(request.patient, [request], url, request.expires_at, reminder=False)
    if request.patient.email or "sms" in channels:
        _deliver(request.patient, channels, "Questionnaires from your clinic", "measurement", context)
    audit(
        Action.UPDATE,
        obj=request,
        patient_uuid=request.patient.uuid,
        detail=f"{request.instrument} link sent by {', '.join(channels)}",
        actor_label="outcomes sender",
    )
    return raw


def _reminder_due(row: Any, now: dt.datetime) -> bool:
    """One reminder, half-way between sending and expiry."""
    return row.sent_at is not None and now >= row.sent_at + (row.expires_at - row.sent_at) / 2


def measurements_remind_due(*, now: dt.datetime | None = None) -> int:
    """One reminder per patient for the measures half-way to expiry, claimed like the first send."""
    now = now or timezone.now()
    open_sent = MeasurementRequest.objects.filter(
        status=R.SENT, reminder_count=0, expires_at__gt=now, rater=MeasurementRequest.Rater.PATIENT
    )
    patients = {
        row.patient_id: row.patient
        for row in open_sent.select_related("patient__preferred_location").order_by("patient_id")
        if _reminder_due(row, now)
    }
    reminded = 0
    for patient_id, patient in patients.items():
        with transaction.atomic():
            _lock_patient(patient_id)
            rows = []
            for row in open_sent.filter(patient_id=patient_id).order_by("due_at", "instrument", "id"):
                if not _reminder_due(row, now):
                    continue
                if MeasurementRequest.objects.filter(pk=row.pk, status=R.SENT, reminder_count=0).update(
                    reminder_count=1, reminded_at=now, updated_at=now
                ):
                    rows.append(row)
        if not rows:
            continue
        url = measurement_link_url(_raw_token("m", rows[0]))
        context = _message_context(patient, rows, url, min(r.expires_at for r in rows), reminder=True)
        _deliver(
            patient, rows[0].channels, "Reminder: questionnaires from your clinic", "measurement", context
        )
        audit(
            Action.UPDATE,
            object_type="outcomes.MeasurementRequest",
            patient_uuid=patient.uuid,
            detail=f"reminder sent for {', '.join(r.instrument for r in rows)}",
            actor_label="outcomes sender",
        )
        reminded += len(rows)
    return reminded


def check_ins_send_due(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    rows = list(
        CheckIn.objects.filter(status=C.SCHEDULED, due_at__lte=now, expires_at__gt=now).select_related(
            "patient"
        )
    )
    consented = _sms_consent({r.patient_id for r in rows})
    sent = 0
    for row in rows:
        channels = _channels(row.patient, consented)
        if not channels:
            continue
        raw = _claim_send(CheckIn, row, now, "c", channels)
        if raw is None:
            continue
        _send_check_in(row, raw, reminder=False)
        sent += 1
    return sent


def _send_check_in(row: CheckIn, raw: str, *, reminder: bool) -> None:
    patient = row.patient
    url = check_in_link_url(raw)
    context = _message_context(patient, [row], url, row.expires_at, reminder=reminder)
    context["sms"] = (
        f"{'Reminder: ' if reminder else ''}How are you feeling after your treatment? Two minutes: {url} "
        "In crisis call or text 988."
    )
    subject = "How are you feeling after your treatment?"
    _deliver(patient, row.channels, ("Reminder: " if reminder else "") + subject, "check_in", context)
    audit(
        Action.UPDATE,
        obj=row,
        patient_uuid=patient.uuid,
        detail=f"check-in {'reminder' if reminder else 'link'} sent by {', '.join(row.channels)}",
        actor_label="outcomes sender",
    )


def check_ins_remind_due(*, now: dt.datetime | None = None) -> int:
    now = now or timezone.now()
    sent = 0
    for row in CheckIn.objects.filter(
        status=C.SENT, reminded_at__isnull=True, expires_at__gt=now
    ).select_related("patient"):
        if not _reminder_due(row, now):
            continue
        if CheckIn.objects.filter(pk=row.pk, status=C.SENT, reminded_at__isnull=True).update(
            reminded_at=now, updated_at=now
        ):
            _send_check_in(row, _raw_token("c", row), reminder=True)
            sent += 1
    return sent


def check_in_send(*, check_in: CheckIn, now: dt.datetime | None = None) -> str:
    """Send one check-in now (demo data and tests) and return its raw link token."""
    now = now or timezone.now()
    check_in = CheckIn.objects.select_related("patient").get(pk=check_in.pk)
    if check_in.status != C.SCHEDULED or check_in.expires_at <= now:
        raise ValidationError(CHECK_IN_EXPIRED)
    channels = _channels(check_in.patient, _sms_consent([check_in.patient_id])) or ["email"]
    raw = _claim_send(CheckIn, check_in, now, "c", channels)
    if raw is None:
        raise ValidationError(CHECK_IN_ANSWERED)
    if check_in.patient.email or "sms" in channels:
        _send_check_in(check_in, raw, reminder=False)
    return raw


def expire_closed(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Mark every measure and check-in whose window has closed unanswered as expired."""
    now = now or timezone.now()
    requests = MeasurementRequest.objects.filter(
        status__in=[R.SCHEDULED, R.SENT], expires_at__lte=now
    ).update(status=R.EXPIRED, updated_at=now)
    check_ins = CheckIn.objects.filter(status__in=[C.SCHEDULED, C.SENT], expires_at__lte=now).update(
        status=C.EXPIRED, updated_at=now
    )
    if requests or check_ins:
        audit(
            Action.UPDATE,
            object_type="outcomes.MeasurementRequest",
            detail=f"{requests} measure(s) and {check_ins} check-in(s) expired unanswered",
            actor_label="outcomes sender",
        )
    return {"measures": requests, "check_ins": check_ins}


def outcomes_send_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """The sweep: expire, send, remind, send check-ins, escalate. Safe to run often and from several workers."""
    now = now or timezone.now()
    expired = expire_closed(now=now)
    return {
        "expired": expired["measures"],
        "check_ins_expired": expired["check_ins"],
        "sent": measurements_send_due(now=now),
        "reminded": measurements_remind_due(now=now),
        "check_ins_sent": check_ins_send_due(now=now),
        "check_ins_reminded": check_ins_remind_due(now=now),
        "escalated": urgent_tasks_escalate(now=now),
    }


# --- answers -------------------------------------------------------------------------------------------


def _store_answers(
    row: MeasurementRequest,
    answers: list[int | None],
    result: instruments.ScoreResult,
    now: dt.datetime,
    by: Any = None,
) -> QuestionnaireResponse:
    """Store scored answers to ``row``'s instrument (score them with ``questionnaire_score``)."""
    return QuestionnaireResponse.objects.create(
        patient=row.patient,
        intake=None,
        instrument=row.instrument,
        answers=list(answers),
        result=result.as_dict(),
        engine_version=instruments.VERSION,
        completed_at=now,
        created_by=by,
    )


def suicidality_reason(instrument_id: str, answers: list[int | None], result: dict[str, Any]) -> str:
    """Why an answer needs an urgent clinician review ("" when it does not).

    PHQ-9 item 9 above 0, QIDS-SR16 item 12 above 0, or a C-SSRS screener risk of moderate or high.
    """
    if instrument_id == "phq9" and (answers[8] or 0) > 0:
        return f"PHQ-9 item 9 answered {answers[8]} (thoughts of being better off dead or of self-harm)"
    if instrument_id == "qids_sr16" and (answers[11] or 0) > 0:
        return f"QIDS-SR16 item 12 answered {answers[11]} (thoughts of death or suicide)"
    if instrument_id == "cssrs_screener":
        level = (result.get("details") or {}).get("risk_at_least")
        if level in CSSRS_ESCALATE:
            return f"C-SSRS screener risk {level}"
    return ""


def prescriber_on_duty(*, patient: Patient, location: Any, now: dt.datetime | None = None) -> User | None:
    """Who gets a safety task: the prescriber of a session at the patient's location today (the one nearest
    in time), else the prescriber of the patient's latest session, else any active prescriber at the location."""
    now = now or timezone.now()
    if location is not None:
        day = timezone.localdate(now, location.tz)
        start = dt.datetime.combine(day, dt.time.min, tzinfo=location.tz)
        today = list(
            InfusionSession.objects.current()
            .filter(
                location=location,
                starts_at__gte=start,
                starts_at__lt=start + dt.timedelta(days=1),
                prescriber__is_active=True,
            )
            .exclude(status__in=[S.CANCELLED, S.MISSED])
            .select_related("prescriber")
        )
        if today:
            return min(today, key=lambda s: abs((s.starts_at - now).total_seconds())).prescriber
    latest = (
        InfusionSession.objects.current()
        .filter(patient=patient, prescriber__is_active=True)
        .exclude(status__in=[S.CANCELLED])
        .select_related("prescriber")
        .order_by("-starts_at")
        .first()
    )
    if latest is not None:
        return latest.prescriber
    if location is None:
        return None
    return (
        User.objects.filter(role=Role.PRESCRIBER, is_active=True, locations=location).order_by("id").first()
    )


def patient_location(patient: Patient) -> Any:
    course = (
        Course.objects.current()
        .filter(patient=patient)
        .select_related("location")
        .order_by("-created_at")
        .first()
    )
    if course is not None:
        return course.location
    return patient.preferred_location


def urgent_task_create(
    *,
    patient: Patient,
    reason: str,
    location: Any,
    response: QuestionnaireResponse | None = None,
    check_in: CheckIn | None = None,
    now: dt.datetime | None = None,
) -> UrgentTask:
    """Open a suicidality task for the prescriber on duty; call inside the transaction that saved the answer."""
    now = now or timezone.now()
    assignee = prescriber_on_duty(patient=patient, location=location, now=now)
    task = UrgentTask.objects.create(
        patient=patient,
        location=location,
        reason=reason[:300],
        response=response,
        check_in=check_in,
        assigned_to=assignee,
        escalate_at=now + _escalate_after(),
    )
    audit(
        Action.CREATE,
        obj=task,
        patient_uuid=patient.uuid,
        location=location,
        detail=f"urgent task: {reason[:200]}; assigned to {assignee.username if assignee else 'nobody'}",
        actor_label="outcomes safety",
    )
    if assignee is not None and assignee.email:
        transaction.on_commit(lambda: _notify_staff(assignee, task.pk, escalated=False), robust=True)
    return task


def _notify_staff(user: User, task_id: int, *, escalated: bool) -> None:
    task = UrgentTask.objects.select_related("location").get(pk=task_id)
    url = settings.SITE_URL.rstrip("/") + reverse("outcomes:worklist")
    body = render_to_string(
        "outcomes/email/urgent_task.txt", {"task": task, "url": url, "escalated": escalated}
    )
    subject = ("Escalated: " if escalated else "") + "Urgent safety task: a patient's screen was positive"
    EmailMessage(subject=subject, body=body, to=[user.email]).send()


def measurement_answer(
    *,
    token_request: MeasurementRequest,
    request_uuid: Any,
    answers: list[int | None],
    now: dt.datetime | None = None,
) -> tuple[QuestionnaireResponse, UrgentTask | None]:
    """Save a patient's answers to one measure of their link, atomically, with the urgent task if needed.

    ``token_request`` is the measure the link was sent for; ``request_uuid`` the one answered (the link walks
    through every open measure of the same patient). Expired, already answered or foreign measures raise
    ValidationError and nothing is saved.
    """
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            MeasurementRequest.objects.select_for_update(of=("self",))
            .select_related("patient", "course__location")
            .filter(
                uuid=request_uuid, patient_id=token_request.patient_id, rater=MeasurementRequest.Rater.PATIENT
            )
            .first()
        )
        if row is None:
            raise ValidationError(NOT_YOURS)
        if row.status == R.COMPLETED:
            raise ValidationError(ALREADY_ANSWERED)
        if row.status != R.SENT or row.expires_at <= now or row.due_at > now:
            raise ValidationError(LINK_EXPIRED)
        result = questionnaire_score(
            row.instrument, answers
        )  # incomplete answers are refused before the claim
        # Claim first: a second submit of the same page finds the row completed and saves nothing.
        if not MeasurementRequest.objects.filter(pk=row.pk, status=R.SENT).update(
            status=R.COMPLETED, completed_at=now, updated_at=now
        ):
            raise ValidationError(ALREADY_ANSWERED)
        response = _store_answers(row, answers, result, now)
        MeasurementRequest.objects.filter(pk=row.pk).update(response=response)
        row.status, row.completed_at, row.response = R.COMPLETED, now, response
        audit(
            Action.CREATE,
            obj=response,
            patient_uuid=row.patient.uuid,
            location=row.course.location,
            detail=f"{row.instrument} answered from a measurement link ({', '.join(row.timepoints)})",
            actor_label="patient (outcomes link)",
        )
        task = None
        reason = suicidality_reason(row.instrument, answers, response.result)
        if reason:
            task = urgent_task_create(
                patient=row.patient, reason=reason, location=row.course.location, response=response, now=now
            )
    return response, task


def clinician_measure_record(
    *,
    request: MeasurementRequest,
    answers: list[int | None],
    recorded_by: Any,
    now: dt.datetime | None = None,
) -> QuestionnaireResponse:
    """A clinician rates a clinician-rated measure (MADRS) from the worklist."""
    now = now or timezone.now()
    ensure_perm(recorded_by, Perm.RECORD_CLINICAL)
    ensure_location(recorded_by, request.course.location_id)
    with transaction.atomic():
        row = (
            MeasurementRequest.objects.select_for_update(of=("self",))
            .select_related("patient")
            .get(pk=request.pk)
        )
        if row.rater != MeasurementRequest.Rater.CLINICIAN:
            raise PermissionDenied("Only clinician-rated measures are recorded here.")
        if row.status != R.SCHEDULED or row.expires_at <= now or row.due_at > now:
            raise ValidationError(NOT_DUE)
        response = _store_answers(
            row, answers, questionnaire_score(row.instrument, answers), now, recorded_by
        )
        row.status, row.completed_at, row.response, row.updated_by = R.COMPLETED, now, response, recorded_by
        row.save(update_fields=["status", "completed_at", "response", "updated_by", "updated_at"])
        audit(
            Action.CREATE,
            actor=recorded_by,
            obj=response,
            patient_uuid=row.patient.uuid,
            detail=f"{row.instrument} rated by clinician",
        )
    return response


# --- check-ins -----------------------------------------------------------------------------------------

SIDE_EFFECTS = (
    ("nausea", "Nausea or vomiting"),
    ("dizziness", "Dizziness"),
    ("headache", "Headache"),
    ("drowsiness", "Drowsiness"),
    ("dissociation", "Still feeling detached or unreal (dissociation lingering)"),
    ("none", "None of these"),
)
URINARY = (
    ("pain", "Pain or burning when passing urine"),
    ("urgency", "Needing to go urgently or often"),
    ("blood", "Blood in the urine"),
    ("none", "None of these"),
)
LOW_MOOD_AT_MOST = 3  # 0-10 scale: 3 or less is flagged for a call
MOOD_DROP_FLAG = 2  # points lower than the patient's previous check-in


def check_in_answer(
    *,
    check_in: CheckIn,
    side_effects: list[str],
    urinary: list[str],
    mood: int,
    suicidal_thoughts: bool,
    now: dt.datetime | None = None,
) -> tuple[CheckIn, UrgentTask | None]:
    """Save a next-day check-in; flag urinary symptoms, low or worse mood and suicidality for the nurse."""
    now = now or timezone.now()
    with transaction.atomic():
        row = (
            CheckIn.objects.select_for_update(of=("self",))
            .select_related("patient", "session__location")
            .get(pk=check_in.pk)
        )
        if row.status == C.ANSWERED:
            raise ValidationError(CHECK_IN_ANSWERED)
        if row.status != C.SENT or row.expires_at <= now:
            raise ValidationError(CHECK_IN_EXPIRED)
        previous = (
            CheckIn.objects.filter(patient_id=row.patient_id, status=C.ANSWERED, mood__isnull=False)
            .exclude(pk=row.pk)
            .order_by("-answered_at")
            .values_list("mood", flat=True)
            .first()
        )
        urinary_any = any(u != "none" for u in urinary)
        flags = []
        if urinary_any:
            flags.append("urinary symptoms")
        if mood <= LOW_MOOD_AT_MOST:
            flags.append("low mood")
        if previous is not None and previous - mood >= MOOD_DROP_FLAG:
            flags.append(f"mood down from {previous} to {mood}")
        if suicidal_thoughts:
            flags.append("suicidal thoughts")
        row.side_effects = [s for s in side_effects if s != "none"]
        row.urinary_symptoms = urinary_any
        row.mood = mood
        row.suicidal_thoughts = suicidal_thoughts
        row.answers = {
            "side_effects": list(side_effects),
            "urinary": list(urinary),
            "mood": mood,
            "suicidal_thoughts": suicidal_thoughts,
            "previous_mood": previous,
            "flags": flags,
        }
        row.needs_attention = bool(flags)
        row.status, row.answered_at = C.ANSWERED, now
        row.save()
        audit(
            Action.UPDATE,
            obj=row,
            patient_uuid=row.patient.uuid,
            location=row.session.location,
            detail="check-in answered" + (f" (flagged: {', '.join(flags)})" if flags else ""),
            actor_label="patient (check-in link)",
        )
        task = None
        if suicidal_thoughts:
            task = urgent_task_create(
                patient=row.patient,
                reason="Next-day check-in: thoughts of suicide or self-harm reported",
                location=row.session.location,
                check_in=row,
                now=now,
            )
    return row, task


def check_in_review(*, check_in: CheckIn, reviewed_by: Any, note: str) -> CheckIn:
    ensure_perm(reviewed_by, Perm.RECORD_CLINICAL)
    ensure_location(reviewed_by, check_in.session.location_id)
    if not note.strip():
        raise ValidationError({"note": NOTE_REQUIRED})
    with transaction.atomic():
        row = CheckIn.objects.select_for_update().get(pk=check_in.pk)
        if row.reviewed_at is not None:
            raise ValidationError(ALREADY_REVIEWED)
        if row.status != C.ANSWERED:
            raise ValidationError("Only an answered check-in can be reviewed.")
        row.reviewed_at, row.reviewed_by, row.review_note = timezone.now(), reviewed_by, note.strip()[:500]
        row.updated_by = reviewed_by
        row.save(update_fields=["reviewed_at", "reviewed_by", "review_note", "updated_by", "updated_at"])
        audit(
            Action.UPDATE,
            actor=reviewed_by,
            obj=row,
            patient_uuid=check_in.patient.uuid,
            location=check_in.session.location,
            detail="check-in reviewed",
        )
    return row


# --- urgent tasks --------------------------------------------------------------------------------------


def urgent_task_acknowledge(*, task: UrgentTask, by: Any, note: str = "") -> UrgentTask:
    ensure_perm(by, Perm.PRESCRIBE)
    ensure_location(by, task.location_id)
    with transaction.atomic():
        row = UrgentTask.objects.select_for_update().get(pk=task.pk)
        if row.status == UrgentTask.Status.RESOLVED:
            raise ValidationError(TASK_CLOSED)
        if row.status == UrgentTask.Status.OPEN:
            row.status = UrgentTask.Status.ACKNOWLEDGED
            row.acknowledged_at, row.acknowledged_by, row.updated_by = timezone.now(), by, by
            if note.strip():
                row.resolution_note = note.strip()[:500]
            row.save()
            audit(
                Action.UPDATE,
                actor=by,
                obj=row,
                patient_uuid=task.patient.uuid,
                location=task.location,
                detail="urgent task acknowledged" + (f": {note.strip()[:200]}" if note.strip() else ""),
            )
    return row


def urgent_task_resolve(*, task: UrgentTask, by: Any, note: str) -> UrgentTask:
    ensure_perm(by, Perm.PRESCRIBE)
    ensure_location(by, task.location_id)
    if not note.strip():
        raise ValidationError({"note": NOTE_REQUIRED})
    with transaction.atomic():
        row = UrgentTask.objects.select_for_update().get(pk=task.pk)
        if row.status == UrgentTask.Status.RESOLVED:
            raise ValidationError(TASK_CLOSED)
        now = timezone.now()
        if row.acknowledged_at is None:
            row.acknowledged_at, row.acknowledged_by = now, by
        row.status = UrgentTask.Status.RESOLVED
        row.resolved_at, row.resolved_by, row.resolution_note, row.updated_by = (
            now,
            by,
            note.strip()[:500],
            by,
        )
        row.save()
        audit(
            Action.UPDATE,
            actor=by,
            obj=row,
            patient_uuid=task.patient.uuid,
            location=task.location,
            detail=f"urgent task resolved: {note.strip()[:200]}",
        )
    return row


def manager_for(location: Any) -> User | None:
    managers = User.objects.filter(role=Role.MANAGER, is_active=True)
    if location is not None:
        found = managers.filter(locations=location).order_by("id").first()
        if found is not None:
            return found
    return managers.order_by("id").first()


def urgent_tasks_escalate(*, now: dt.datetime | None = None) -> int:
    """Escalate every task still open (unacknowledged) past its ``escalate_at`` to the location's manager.

    Claimed by a conditional UPDATE, so a task escalates once however many workers run the sweep.
    """
    now = now or timezone.now()
    escalated = 0
    due = UrgentTask.objects.filter(
        status=UrgentTask.Status.OPEN, escalated_at__isnull=True, escalate_at__lte=now
    ).select_related("location", "patient")
    for task in due:
        manager = manager_for(task.location)
        claimed = UrgentTask.objects.filter(
            pk=task.pk, status=UrgentTask.Status.OPEN, escalated_at__isnull=True
        ).update(escalated_at=now, escalated_to=manager, updated_at=now)
        if not claimed:
            continue
        escalated += 1
        audit(
            Action.UPDATE,
            obj=task,
            patient_uuid=task.patient.uuid,
            location=task.location,
            detail=f"urgent task unacknowledged after {int(_escalate_after().total_seconds() // 60)} min: "
            f"escalated to {manager.username if manager else 'nobody (no manager)'}",
            actor_label="outcomes escalation",
        )
        if manager is not None and manager.email:
            try:
                _notify_staff(manager, task.pk, escalated=True)
            except Exception:  # noqa: BLE001 - escalation is recorded; a mail failure must not undo it
                log.warning("escalation email failed for task %s", task.uuid)
    return escalated


def intake_response_check(*, response: QuestionnaireResponse) -> UrgentTask | None:
    """Intake PHQ-9 / C-SSRS answers: the same escalation, inside intake's own transaction (post_save hook)."""
    reason = suicidality_reason(response.instrument, list(response.answers), response.result)
    if not reason:
        return None
    return urgent_task_create(
        patient=response.patient,
        reason=f"Intake: {reason}",
        location=patient_location(response.patient),
        response=response,
    )
