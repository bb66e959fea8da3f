"""Measurement workflow services: schedule build, sending, reminders, expiry, answers, check-ins, escalation."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from ketaflow.core.models import AuditEvent
from ketaflow.domain.outcomes import default_plan, measurement_schedule
from ketaflow.intake import services as intake_services
from ketaflow.intake.models import QuestionnaireResponse
from ketaflow.outcomes import selectors, services
from ketaflow.outcomes.models import CheckIn, MeasurementRequest, UrgentTask
from ketaflow.outcomes.tests.test_workflow_factories import (
    course_with_sessions,
    open_request,
    sent_check_in,
    sent_measure_link,
)
from ketaflow.treatment.models import InfusionSession

R = MeasurementRequest.Status
PHQ9_CALM = [1, 1, 0, 1, 0, 0, 1, 0, 0]
PHQ9_ITEM9 = [2, 2, 1, 2, 1, 1, 1, 0, 1]


@pytest.fixture
def sms_outbox(settings: Any, tmp_path: Any) -> Any:
    settings.VAR_DIR = tmp_path
    settings.SMS_BACKEND = "ketaflow.core.sms.ConsoleSmsBackend"
    return tmp_path / "sms" / "outbox.jsonl"


def _sms(path: Any) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


# --- schedule ------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_schedule_is_the_domain_schedule_with_raters(clinic: Any) -> None:
    course, sessions = course_with_sessions(clinic, count=6)
    changes = services.course_schedule_rebuild(course_id=course.pk)
    calendar = services.scheduled_course(course, [s.starts_at for s in sessions])
    expected = measurement_schedule(calendar, default_plan(services.pathway_for(course)))
    rows = list(MeasurementRequest.objects.filter(course=course))
    assert changes["created"] == len(rows) == len(expected)
    assert {(r.instrument, r.due_at) for r in rows} == {(d.instrument_id, d.due_at) for d in expected}
    raters = {r.instrument: r.rater for r in rows}
    assert raters["madrs"] == "clinician"
    assert raters["phq9"] == raters["cssrs_screener"] == raters["gad7"] == "patient"
    pre_second = next(r for r in rows if r.instrument == "phq9" and r.expires_at == sessions[1].starts_at)
    assert pre_second.session_id == sessions[1].pk
    assert "pre_infusion" in pre_second.timepoints
    assert (
        AuditEvent.objects.filter(actor_label="outcomes schedule", patient_uuid=course.patient.uuid).count()
        == 1
    )


@pytest.mark.django_db
def test_rebuilding_twice_changes_nothing(clinic: Any) -> None:
    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    before = sorted(
        MeasurementRequest.objects.filter(course=course).values_list("pk", "status", "expires_at")
    )
    assert services.course_schedule_rebuild(course_id=course.pk) == {
        "created": 0,
        "updated": 0,
        "cancelled": 0,
    }
    after = sorted(MeasurementRequest.objects.filter(course=course).values_list("pk", "status", "expires_at"))
    assert before == after


@pytest.mark.django_db
def test_cancelling_a_session_cancels_its_unsent_measures_but_keeps_sent_ones(clinic: Any) -> None:
    course, sessions = course_with_sessions(clinic, count=3)
    services.course_schedule_rebuild(course_id=course.pk)
    baseline = open_request(course, "phq9")
    services.measurement_request_send(request=baseline)
    last = sessions[-1]
    after_last = MeasurementRequest.objects.get(
        course=course, instrument="phq9", due_at=last.starts_at + dt.timedelta(hours=24)
    )
    InfusionSession.objects.filter(pk=last.pk).update(status=InfusionSession.Status.CANCELLED)
    changes = services.course_schedule_rebuild(course_id=course.pk)
    assert changes["cancelled"] > 0
    after_last.refresh_from_db()
    assert after_last.status == R.CANCELLED and after_last.cancelled_reason == services.NO_LONGER_DUE
    # The PHQ-9 before the cancelled infusion stays as the day-after measure of the previous one.
    before_last = MeasurementRequest.objects.get(course=course, instrument="phq9", expires_at=last.starts_at)
    assert before_last.status == R.SCHEDULED and "pre_infusion" not in before_last.timepoints
    assert before_last.timepoints[0] == "post_infusion_24h" and before_last.session_id == sessions[1].pk
    baseline.refresh_from_db()
    assert baseline.status == R.SENT
    # Re-booking the session brings the cancelled measure back (same due time), not a duplicate.
    InfusionSession.objects.filter(pk=last.pk).update(status=InfusionSession.Status.BOOKED)
    services.course_schedule_rebuild(course_id=course.pk)
    after_last.refresh_from_db()
    assert after_last.status == R.SCHEDULED
    assert (
        MeasurementRequest.objects.filter(course=course, instrument="phq9", due_at=after_last.due_at).count()
        == 1
    )


@pytest.mark.django_db
def test_windows_already_closed_are_not_created(clinic: Any) -> None:
    first = timezone.now() - dt.timedelta(days=20)
    course, _ = course_with_sessions(clinic, first=first, count=2)
    services.course_schedule_rebuild(course_id=course.pk)
    now = timezone.now()
    assert MeasurementRequest.objects.filter(course=course).exists()
    assert not MeasurementRequest.objects.filter(course=course, expires_at__lte=now).exists()


@pytest.mark.django_db
def test_saving_a_session_rebuilds_the_schedule_after_commit(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        course, _ = course_with_sessions(clinic, count=3)
    # Three sessions saved in one transaction: one rebuild queued for the course.
    assert len(callbacks) == 1
    assert MeasurementRequest.objects.filter(course=course).count() > 0


@pytest.mark.django_db
def test_steps_of_a_running_session_do_not_rebuild_the_schedule(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        _, sessions = course_with_sessions(clinic, count=1)
    with django_capture_on_commit_callbacks() as callbacks:
        sessions[0].status = InfusionSession.Status.ARRIVED
        sessions[0].save()
    assert callbacks == []
    with django_capture_on_commit_callbacks() as callbacks:
        sessions[0].status = InfusionSession.Status.MISSED
        sessions[0].save()
    assert len(callbacks) == 1


@pytest.mark.django_db
def test_booking_a_series_through_the_engine_builds_the_schedule(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    from ketaflow.treatment import booking
    from ketaflow.treatment.tests.factories import clear_for_infusion, course_for, patient_at

    patient = clear_for_infusion(clinic, patient_at(clinic, clinic.wdm))
    course = course_for(clinic, patient)
    start = timezone.now() + dt.timedelta(days=2)
    proposal = booking.series_propose(course=course, earliest_start=start, preferred_time=dt.time(9), count=2)
    with django_capture_on_commit_callbacks(execute=True):
        booked = booking.series_book(
            course=course, starts=[s.start for s in proposal.plan.sessions], booked_by=clinic.user("frank")
        )
    assert MeasurementRequest.objects.filter(course=course, instrument="phq9", session=booked[1]).exists()
    with django_capture_on_commit_callbacks(execute=True):
        booking.session_cancel(session=booked[1], cancelled_by=clinic.user("frank"), reason="patient ill")
    assert not MeasurementRequest.objects.filter(
        course=course, session=booked[1], status=R.SCHEDULED, expires_at=booked[1].starts_at
    ).exists()


# --- sending -------------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_sweep_sends_one_message_per_patient_and_never_twice(
    clinic: Any, mailoutbox: Any, sms_outbox: Any
) -> None:
    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    now = timezone.now()
    first = services.outcomes_send_due(now=now)
    second = services.outcomes_send_due(now=now + dt.timedelta(minutes=5))
    # Baseline: PHQ-9, GAD-7 and the C-SSRS screener go to the patient; the MADRS waits for a clinician.
    assert first["sent"] == 3 and second["sent"] == 0
    assert len(mailoutbox) == 1
    assert "Patient Health Questionnaire-9" in mailoutbox[0].body
    sent = MeasurementRequest.objects.filter(course=course, status=R.SENT)
    assert sorted(sent.values_list("instrument", flat=True)) == ["cssrs_screener", "gad7", "phq9"]
    assert all(len(r.token_hash) == 64 for r in sent)
    madrs = MeasurementRequest.objects.get(course=course, instrument="madrs", due_at__lte=now)
    assert madrs.status == R.SCHEDULED and madrs.token_hash is None
    # No SMS without the patient's consent to be contacted by text.
    assert _sms(sms_outbox) == []


@pytest.mark.django_db
def test_sms_goes_out_when_the_patient_consented(clinic: Any, mailoutbox: Any, sms_outbox: Any) -> None:
    from ketaflow.scheduling.models import Appointment

    course, _ = course_with_sessions(clinic)
    Appointment.objects.filter(patient=course.patient).update(consent_to_contact=True)
    if not Appointment.objects.filter(patient=course.patient).exists():
        from ketaflow.treatment.tests.factories import clear_for_infusion

        clear_for_infusion(clinic, course.patient)
        Appointment.objects.filter(patient=course.patient).update(consent_to_contact=True)
    services.course_schedule_rebuild(course_id=course.pk)
    services.outcomes_send_due()
    messages = _sms(sms_outbox)
    assert len(messages) == 1 and "/outcomes/m/" in messages[0]["body"]
    assert "PHQ" not in messages[0]["body"]  # nothing clinical in a text message


@pytest.mark.django_db
def test_a_row_claimed_by_another_worker_is_not_sent_again(clinic: Any, mailoutbox: Any) -> None:
    course, _ = course_with_sessions(clinic)
    services.course_schedule_rebuild(course_id=course.pk)
    row = open_request(course, "phq9")
    stale_copy = MeasurementRequest.objects.get(pk=row.pk)
    services.measurement_request_send(request=row)
    assert services._claim_send(MeasurementRequest, stale_copy, timezone.now(), "m", ["email"]) is None
    assert len(mailoutbox) == 1


@pytest.mark.django_db
def test_one_reminder_half_way_to_expiry_with_the_same_link(clinic: Any, mailoutbox: Any) -> None:
    request, url = sent_measure_link(clinic)
    mailoutbox.clear()
    early = request.sent_at + (request.expires_at - request.sent_at) / 4
    assert services.measurements_remind_due(now=early) == 0
    late = request.sent_at + (request.expires_at - request.sent_at) * 3 / 4
    assert services.measurements_remind_due(now=late) == 1
    assert services.measurements_remind_due(now=late + dt.timedelta(minutes=1)) == 0
    assert len(mailoutbox) == 1 and "reminder" in mailoutbox[0].body.lower()
    assert url in mailoutbox[0].body
    request.refresh_from_db()
    assert request.reminder_count == 1


@pytest.mark.django_db
def test_unanswered_measures_expire(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)
    counts = services.expire_closed(now=request.expires_at)
    request.refresh_from_db()
    assert request.status == R.EXPIRED and counts["measures"] >= 1
    assert services.expire_closed(now=request.expires_at)["measures"] == 0


# --- answers -------------------------------------------------------------------------------------------


def _answer(request: MeasurementRequest, answers: list[int | None], **kwargs: Any) -> Any:
    return services.measurement_answer(
        token_request=request, request_uuid=request.uuid, answers=answers, **kwargs
    )


@pytest.mark.django_db
def test_answering_saves_a_scored_response_and_completes_the_request(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)
    response, task = _answer(request, PHQ9_CALM)
    request.refresh_from_db()
    assert request.status == R.COMPLETED and request.response == response
    assert response.intake is None and response.result["total"] == 4
    assert task is None and not UrgentTask.objects.exists()


@pytest.mark.django_db
def test_a_second_submit_is_refused_and_saves_nothing(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)
    _answer(request, PHQ9_CALM)
    with pytest.raises(ValidationError) as error:
        _answer(request, PHQ9_ITEM9)
    assert error.value.messages == [services.ALREADY_ANSWERED]
    assert QuestionnaireResponse.objects.count() == 1
    assert not UrgentTask.objects.exists()


@pytest.mark.django_db
def test_answers_after_expiry_are_refused_and_nothing_is_saved(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)
    with pytest.raises(ValidationError) as error:
        _answer(request, PHQ9_CALM, now=request.expires_at + dt.timedelta(seconds=1))
    assert error.value.messages == [services.LINK_EXPIRED]
    assert not QuestionnaireResponse.objects.exists()
    request.refresh_from_db()
    assert request.status == R.SENT


@pytest.mark.django_db
def test_incomplete_answers_are_refused(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)
    with pytest.raises(ValidationError) as error:
        _answer(request, [1, 1, 0, 1, 0, 0, 1, 0, None])
    assert error.value.messages == [intake_services.ANSWERS_MISSING.format(items="9")]
    request.refresh_from_db()
    assert request.status == R.SENT and not QuestionnaireResponse.objects.exists()


@pytest.mark.django_db
def test_phq9_item_9_opens_an_urgent_task_for_the_prescriber_of_todays_session(
    clinic: Any, mailoutbox: Any
) -> None:
    from ketaflow.treatment.tests.factories import place_session, today_at

    request, _ = sent_measure_link(clinic)
    other_course, _ = course_with_sessions(clinic, patient_index=1, count=1)
    # Priya runs a session at West Des Moines today: she is the prescriber on duty there.
    today = place_session(clinic, other_course, start=today_at(clinic.wdm, 8))
    InfusionSession.objects.filter(pk=today.pk).update(prescriber=clinic.user("priya"))
    response, task = _answer(request, PHQ9_ITEM9)
    assert task is not None
    assert task.assigned_to == clinic.user("priya")
    assert task.location == clinic.wdm and task.response == response
    assert "item 9" in task.reason
    assert AuditEvent.objects.filter(object_uuid=task.uuid, action="create").exists()


@pytest.mark.django_db
def test_prescriber_on_duty_falls_back_to_the_latest_session_then_the_location(clinic: Any) -> None:
    course, sessions = course_with_sessions(clinic, count=1)
    patient = course.patient
    far = timezone.now() + dt.timedelta(days=30)
    assert (
        services.prescriber_on_duty(patient=patient, location=clinic.wdm, now=far) == sessions[0].prescriber
    )
    InfusionSession.objects.filter(pk=sessions[0].pk).update(status=InfusionSession.Status.CANCELLED)
    fallback = services.prescriber_on_duty(patient=patient, location=clinic.dsm, now=far)
    assert fallback is not None and fallback.role == "prescriber" and clinic.dsm.pk in fallback.location_ids()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("answers", "escalates"),
    [
        ([1, 0, None, None, None, 0, None], False),  # wish to be dead only: low risk
        ([1, 1, 1, 0, 0, 0, None], True),  # method: moderate
        ([1, 1, 0, 1, 0, 0, None], True),  # intent: high
        ([0, 0, None, None, None, 1, 0], True),  # behaviour more than 3 months ago: moderate
        ([0, 0, None, None, None, 0, None], False),
    ],
)
def test_cssrs_moderate_or_high_escalates(clinic: Any, answers: list[int | None], escalates: bool) -> None:
    request, _ = sent_measure_link(clinic, "cssrs_screener")
    _, task = _answer(request, answers)
    assert (task is not None) is escalates
    assert UrgentTask.objects.count() == int(escalates)


@pytest.mark.django_db
def test_an_intake_phq9_with_item_9_also_opens_a_task(clinic: Any) -> None:
    from ketaflow.intake import services as intake_services
    from ketaflow.treatment.tests.factories import patient_at

    patient = patient_at(clinic, clinic.wdm)
    intake = intake_services.intake_create(
        patient=patient, reason="depression", created_by=clinic.user("frank")
    )
    response = intake_services.questionnaire_submit(intake=intake, instrument_id="phq9", answers=PHQ9_ITEM9)
    task = UrgentTask.objects.get(response=response)
    assert task.reason.startswith("Intake: PHQ-9 item 9") and task.location == clinic.wdm


# --- check-ins -----------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_discharge_creates_one_check_in_for_the_next_morning(
    clinic: Any, django_capture_on_commit_callbacks: Any
) -> None:
    course, sessions = course_with_sessions(clinic, first=timezone.now() - dt.timedelta(hours=3), count=1)
    session = sessions[0]
    with django_capture_on_commit_callbacks(execute=True):
        session.status = InfusionSession.Status.DISCHARGED
        session.discharged_at = timezone.now()
        session.save()
    check_in = CheckIn.objects.get(session=session)
    local = timezone.localtime(check_in.due_at, clinic.wdm.tz)
    assert local.hour == services.CHECK_IN_HOUR
    assert local.date() == timezone.localdate(session.discharged_at, clinic.wdm.tz) + dt.timedelta(days=1)
    assert services.check_in_create(session_id=session.pk) == check_in
    assert CheckIn.objects.count() == 1


@pytest.mark.django_db
def test_check_ins_are_sent_by_the_sweep_once(clinic: Any, mailoutbox: Any) -> None:
    check_in, _ = sent_check_in(clinic)
    CheckIn.objects.filter(pk=check_in.pk).update(status="scheduled", sent_at=None, token_hash=None)
    mailoutbox.clear()
    assert services.check_ins_send_due() == 1
    assert services.check_ins_send_due() == 0
    assert len(mailoutbox) == 1 and "/outcomes/check-in/" in mailoutbox[0].body


@pytest.mark.django_db
def test_check_in_gets_one_reminder_and_expires_unanswered(clinic: Any, mailoutbox: Any) -> None:
    check_in, url = sent_check_in(clinic)
    mailoutbox.clear()
    late = check_in.sent_at + (check_in.expires_at - check_in.sent_at) * 3 / 4
    assert services.check_ins_remind_due(now=late) == 1
    assert services.check_ins_remind_due(now=late) == 0
    assert len(mailoutbox) == 1 and url in mailoutbox[0].body and mailoutbox[0].subject.startswith("Reminder")
    counts = services.outcomes_send_due(now=check_in.expires_at)
    check_in.refresh_from_db()
    assert counts["check_ins_expired"] == 1 and check_in.status == CheckIn.Status.EXPIRED


@pytest.mark.django_db
def test_check_in_flags_urinary_symptoms_and_a_drop_in_mood(clinic: Any) -> None:
    first, _ = sent_check_in(clinic)
    services.check_in_answer(
        check_in=first, side_effects=["none"], urinary=["none"], mood=7, suicidal_thoughts=False
    )
    first.refresh_from_db()
    assert first.needs_attention is False
    second, _ = sent_check_in(clinic)
    row, task = services.check_in_answer(
        check_in=second, side_effects=["nausea"], urinary=["urgency"], mood=4, suicidal_thoughts=False
    )
    assert row.needs_attention and task is None
    assert row.answers["flags"] == ["urinary symptoms", "mood down from 7 to 4"]
    assert row.urinary_symptoms is True and row.side_effects == ["nausea"]


@pytest.mark.django_db
def test_check_in_suicidality_opens_a_task_and_a_second_answer_is_refused(clinic: Any) -> None:
    check_in, _ = sent_check_in(clinic)
    _, task = services.check_in_answer(
        check_in=check_in, side_effects=["none"], urinary=["none"], mood=2, suicidal_thoughts=True
    )
    assert task is not None and task.check_in_id == check_in.pk
    with pytest.raises(ValidationError) as error:
        services.check_in_answer(
            check_in=check_in, side_effects=["none"], urinary=["none"], mood=9, suicidal_thoughts=False
        )
    assert error.value.messages == [services.CHECK_IN_ANSWERED]
    check_in.refresh_from_db()
    assert check_in.mood == 2 and UrgentTask.objects.count() == 1


@pytest.mark.django_db
def test_a_nurse_reviews_a_check_in_with_a_note_audited(clinic: Any) -> None:
    from django.core.exceptions import PermissionDenied

    check_in, _ = sent_check_in(clinic)
    services.check_in_answer(
        check_in=check_in, side_effects=["none"], urinary=["none"], mood=6, suicidal_thoughts=False
    )
    with pytest.raises(ValidationError):
        services.check_in_review(check_in=check_in, reviewed_by=clinic.user("nina"), note="  ")
    with pytest.raises(PermissionDenied):
        services.check_in_review(check_in=check_in, reviewed_by=clinic.user("noah"), note="called")
    services.check_in_review(check_in=check_in, reviewed_by=clinic.user("nina"), note="Called, all well.")
    check_in.refresh_from_db()
    assert check_in.reviewed_by == clinic.user("nina") and check_in.review_note == "Called, all well."
    assert AuditEvent.objects.filter(object_uuid=check_in.uuid, actor=clinic.user("nina")).exists()


# --- escalation ----------------------------------------------------------------------------------------


def _open_task(clinic: Any) -> UrgentTask:
    request, _ = sent_measure_link(clinic)
    _, task = _answer(request, PHQ9_ITEM9)
    assert task is not None
    return task


@pytest.mark.django_db
def test_unacknowledged_task_escalates_to_the_manager_through_the_task_worker(
    clinic: Any, settings: Any, mailoutbox: Any
) -> None:
    from ketaflow.outcomes.tasks import urgent_tasks_escalate

    settings.OUTCOMES_ESCALATE_AFTER_MINUTES = 0
    task = _open_task(clinic)
    mailoutbox.clear()
    result = urgent_tasks_escalate.enqueue()
    assert result.return_value == 1
    task.refresh_from_db()
    assert task.escalated_to == clinic.user("mia") and task.escalated_at is not None
    assert len(mailoutbox) == 1 and mailoutbox[0].to == [clinic.user("mia").email]
    assert mailoutbox[0].subject.startswith("Escalated")
    assert urgent_tasks_escalate.enqueue().return_value == 0
    assert AuditEvent.objects.filter(object_uuid=task.uuid, actor_label="outcomes escalation").count() == 1


@pytest.mark.django_db
def test_acknowledged_or_recent_tasks_do_not_escalate(clinic: Any) -> None:
    task = _open_task(clinic)
    assert services.urgent_tasks_escalate(now=task.escalate_at - dt.timedelta(minutes=1)) == 0
    services.urgent_task_acknowledge(task=task, by=clinic.user("paul"))
    assert services.urgent_tasks_escalate(now=task.escalate_at + dt.timedelta(hours=1)) == 0
    task.refresh_from_db()
    assert task.status == UrgentTask.Status.ACKNOWLEDGED and task.escalated_at is None


@pytest.mark.django_db
def test_resolving_needs_a_prescriber_and_a_note(clinic: Any) -> None:
    from django.core.exceptions import PermissionDenied

    task = _open_task(clinic)
    with pytest.raises(PermissionDenied):
        services.urgent_task_resolve(task=task, by=clinic.user("nina"), note="called")
    with pytest.raises(PermissionDenied):
        services.urgent_task_resolve(task=task, by=clinic.user("priya"), note="called")  # Des Moines only
    with pytest.raises(ValidationError):
        services.urgent_task_resolve(task=task, by=clinic.user("paul"), note="")
    services.urgent_task_resolve(task=task, by=clinic.user("paul"), note="Safety plan reviewed by phone.")
    task.refresh_from_db()
    assert task.status == UrgentTask.Status.RESOLVED and task.acknowledged_by == clinic.user("paul")
    with pytest.raises(ValidationError):
        services.urgent_task_resolve(task=task, by=clinic.user("paul"), note="again")


@pytest.mark.django_db(transaction=True)
def test_escalation_through_the_database_task_worker(clinic: Any, settings: Any, mailoutbox: Any) -> None:
    from django.core.management import call_command

    from ketaflow.outcomes.tasks import outcomes_send_due_task

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.OUTCOMES_ESCALATE_AFTER_MINUTES = 0
    task = _open_task(clinic)
    outcomes_send_due_task.enqueue()
    outcomes_send_due_task.enqueue()  # two sweeps queued: the task still escalates once
    call_command("db_worker", "--batch", "--no-startup-delay", "--queue-name", "*", verbosity=0)
    task.refresh_from_db()
    assert task.escalated_to == clinic.user("mia")
    assert sum(1 for m in mailoutbox if m.subject.startswith("Escalated")) == 1


# --- completion rates ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_completion_rates_by_instrument_location_and_timepoint(clinic: Any) -> None:
    request, _ = sent_measure_link(clinic)
    _answer(request, PHQ9_CALM)
    gad7 = open_request(request.course, "gad7")
    MeasurementRequest.objects.filter(pk=gad7.pk).update(status=R.EXPIRED)
    dsm_request, _ = sent_measure_link(clinic, location=clinic.dsm)
    MeasurementRequest.objects.filter(pk=dsm_request.pk).update(status=R.EXPIRED)
    today = timezone.localdate()
    rows = selectors.completion_rates(
        start=today - dt.timedelta(days=30), end=today + dt.timedelta(days=1), location_ids=[clinic.wdm.pk]
    )
    by_key = {(r["instrument"], r["timepoint"]): r for r in rows}
    assert by_key[("phq9", "baseline")]["rate"] == 1.0
    assert by_key[("gad7", "baseline")] | {} == {
        "instrument": "gad7",
        "location_id": clinic.wdm.pk,
        "location": clinic.wdm.name,
        "timepoint": "baseline",
        "completed": 0,
        "expired": 1,
        "total": 1,
        "rate": 0.0,
    }
    everywhere = selectors.completion_rates(start=today - dt.timedelta(days=30), end=today)
    assert {r["location_id"] for r in everywhere} == {clinic.wdm.pk, clinic.dsm.pk}
    assert (
        selectors.completion_rates(start=today + dt.timedelta(days=5), end=today + dt.timedelta(days=6)) == []
    )
