"""Measurement workflow pages: the patient's questionnaire and check-in links (public, no login) and the staff
Follow-up worklist (urgent tasks, check-ins to review, clinician-rated measures)."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import staff_required
from ketaflow.domain import instruments
from ketaflow.intake.forms import QuestionnaireForm
from ketaflow.outcomes import forms, selectors, services
from ketaflow.outcomes.models import CheckIn, MeasurementRequest
from ketaflow.patients.views import apply_errors

R = MeasurementRequest.Status
# Link errors and their HTTP status: unknown 404, already answered 409, expired 410.
_STATUS = {
    services.LINK_UNKNOWN: 404,
    services.NOT_YOURS: 404,
    services.ALREADY_ANSWERED: 409,
    services.ALL_ANSWERED: 409,
    services.CHECK_IN_ANSWERED: 409,
}


def _link_error(request: HttpRequest, message: str) -> HttpResponse:
    return render(
        request, "outcomes/workflow/link_error.html", {"message": message}, status=_STATUS.get(message, 410)
    )


def _as_uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _crisis(request: HttpRequest, *, next_url: str | None, urgent: bool) -> HttpResponse:
    return render(request, "outcomes/workflow/crisis.html", {"next_url": next_url, "urgent": urgent})


@never_cache
def measure_link(request: HttpRequest, token: str) -> HttpResponse:
    """Answer every open questionnaire of the patient the link was sent to, one page each."""
    anchor = selectors.request_for_token(token)
    if anchor is None:
        return _link_error(request, services.LINK_UNKNOWN)
    now = timezone.now()
    open_rows = selectors.open_requests_for_patient(anchor.patient_id, now=now)
    link_alive = (anchor.status == R.SENT and anchor.expires_at > now) or anchor.status == R.COMPLETED
    if request.method == "POST":
        return _measure_post(request, token, anchor, open_rows, link_alive)
    if not open_rows:
        if anchor.status == R.COMPLETED:
            if request.GET.get("answered"):
                return render(request, "outcomes/workflow/done.html", {"patient": anchor.patient})
            return _link_error(request, services.ALL_ANSWERED)
        return _link_error(request, services.LINK_EXPIRED)
    if not link_alive:
        return _link_error(request, services.LINK_EXPIRED)
    current = open_rows[0]
    if not request.GET.get("answered"):
        audit(
            Action.READ,
            obj=current,
            patient_uuid=anchor.patient.uuid,
            detail="measurement link opened",
            actor_label="patient (outcomes link)",
        )
    form = QuestionnaireForm(instrument_id=current.instrument)
    return _measure_page(request, current, open_rows, form)


def _measure_page(
    request: HttpRequest,
    current: MeasurementRequest,
    open_rows: list[MeasurementRequest],
    form: Any,
    status: int = 200,
) -> HttpResponse:
    position = next(i for i, r in enumerate(open_rows) if r.pk == current.pk)
    context = {
        "current": current,
        "form": form,
        "instrument": form.instrument,
        "remaining": [instruments.get_instrument(r.instrument).title for r in open_rows],
        "position": position + 1,
        "count": len(open_rows),
        "closes": timezone.localtime(current.expires_at, current.course.location.tz),
    }
    return render(request, "outcomes/workflow/measure.html", context, status=status)


def _measure_post(
    request: HttpRequest,
    token: str,
    anchor: MeasurementRequest,
    open_rows: list[MeasurementRequest],
    link_alive: bool,
) -> HttpResponse:
    answered_uuid = _as_uuid(request.POST.get("request"))
    if answered_uuid is None:
        return _link_error(request, services.NOT_YOURS)
    if not link_alive:
        return _link_error(request, services.LINK_EXPIRED)
    row = next((r for r in open_rows if r.uuid == answered_uuid), None)
    if row is None:
        # Not open any more: ask the service why (answered, expired, someone else's); nothing is saved.
        try:
            services.measurement_answer(
                token_request=anchor, request_uuid=answered_uuid, answers=[], now=timezone.now()
            )
        except ValidationError as error:
            return _link_error(request, error.messages[0])
        return _link_error(request, services.LINK_EXPIRED)
    form = QuestionnaireForm(request.POST, instrument_id=row.instrument)
    if form.is_valid():
        try:
            response, task = services.measurement_answer(
                token_request=anchor, request_uuid=row.uuid, answers=form.answers()
            )
        except ValidationError as error:
            if error.messages[0] in (services.ALREADY_ANSWERED, services.LINK_EXPIRED, services.NOT_YOURS):
                return _link_error(request, error.messages[0])
            apply_errors(form, error)
        else:
            url = reverse("outcomes:measure_link", args=[token])
            more = len(open_rows) > 1
            if task is not None or "suicidality" in response.result.get("flags", []):
                return _crisis(request, next_url=url if more else None, urgent=task is not None)
            return redirect(f"{url}?answered=1")
    return _measure_page(request, row, open_rows, form, status=400)


@never_cache
def check_in_link(request: HttpRequest, token: str) -> HttpResponse:
    check_in = selectors.check_in_for_token(token)
    if check_in is None:
        return _link_error(request, services.LINK_UNKNOWN)
    if check_in.status == CheckIn.Status.ANSWERED:
        if request.method == "GET" and request.GET.get("answered"):
            return render(
                request, "outcomes/workflow/done.html", {"patient": check_in.patient, "check_in": True}
            )
        return _link_error(request, services.CHECK_IN_ANSWERED)
    if check_in.status != CheckIn.Status.SENT or check_in.expires_at <= timezone.now():
        return _link_error(request, services.CHECK_IN_EXPIRED)
    form = forms.CheckInForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            _, task = services.check_in_answer(
                check_in=check_in,
                side_effects=form.cleaned_data["side_effects"],
                urinary=form.cleaned_data["urinary"],
                mood=form.cleaned_data["mood"],
                suicidal_thoughts=form.cleaned_data["suicidal_thoughts"],
            )
        except ValidationError as error:
            return _link_error(request, error.messages[0])
        if task is not None:
            return _crisis(request, next_url=None, urgent=True)
        return redirect(f"{reverse('outcomes:check_in_link', args=[token])}?answered=1")
    if request.method == "GET":
        audit(
            Action.READ,
            obj=check_in,
            patient_uuid=check_in.patient.uuid,
            detail="check-in link opened",
            actor_label="patient (check-in link)",
        )
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "check_in": check_in, "session": check_in.session}
    return render(request, "outcomes/workflow/check_in.html", context, status=status)


# --- staff -----------------------------------------------------------------------------------------------


@staff_required(Perm.VIEW_CLINICAL)
def worklist(request: HttpRequest) -> HttpResponse:
    """Follow-up: open urgent tasks, answered check-ins to review, clinician-rated measures due."""
    data = selectors.worklist(user=request.user)
    audit(
        Action.READ, actor=request.user, object_type="outcomes.worklist", detail="follow-up worklist viewed"
    )
    user: Any = request.user
    context = {
        **data,
        "can_review": user.has_role_perm(Perm.RECORD_CLINICAL),
        "can_act": user.has_role_perm(Perm.PRESCRIBE),
        "now": timezone.now(),
    }
    return render(request, "outcomes/workflow/worklist.html", context)


@require_POST
@staff_required(Perm.RECORD_CLINICAL)
def check_in_review(request: HttpRequest, check_in_uuid: Any) -> HttpResponse:
    check_in = selectors.check_in_for_staff(user=request.user, uuid=check_in_uuid)
    if check_in is None:
        raise Http404("No such check-in at your locations.")
    form = forms.NoteForm(request.POST)
    if not form.is_valid():
        messages.error(request, services.NOTE_REQUIRED)
        return redirect("outcomes:worklist")
    try:
        services.check_in_review(check_in=check_in, reviewed_by=request.user, note=form.cleaned_data["note"])
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, f"Check-in of {check_in.patient.full_name} marked reviewed.")
    return redirect("outcomes:worklist")


@require_POST
@staff_required(Perm.PRESCRIBE)
def task_action(request: HttpRequest, task_uuid: Any, action: str) -> HttpResponse:
    if action not in ("acknowledge", "resolve"):
        raise Http404("Unknown action.")
    task = selectors.urgent_task_for_staff(user=request.user, uuid=task_uuid)
    if task is None:
        raise Http404("No such task at your locations.")
    form = forms.TaskActionForm(request.POST, note_required=action == "resolve")
    if not form.is_valid():
        messages.error(request, services.NOTE_REQUIRED)
        return redirect("outcomes:worklist")
    try:
        if action == "acknowledge":
            services.urgent_task_acknowledge(task=task, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"Task for {task.patient.full_name} acknowledged.")
        else:
            services.urgent_task_resolve(task=task, by=request.user, note=form.cleaned_data["note"])
            messages.success(request, f"Task for {task.patient.full_name} resolved.")
    except ValidationError as error:
        messages.error(request, error.messages[0])
    return redirect("outcomes:worklist")


@staff_required(Perm.RECORD_CLINICAL)
def clinician_measure(request: HttpRequest, request_uuid: Any) -> HttpResponse:
    row = selectors.clinician_measure_for_staff(user=request.user, uuid=request_uuid)
    if row is None:
        raise Http404("No such measure at your locations.")
    form = QuestionnaireForm(request.POST or None, instrument_id=row.instrument)
    if request.method == "POST" and form.is_valid():
        try:
            services.clinician_measure_record(request=row, answers=form.answers(), recorded_by=request.user)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, f"{form.instrument.title} saved for {row.patient.full_name}.")
            return redirect("outcomes:worklist")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "outcomes/workflow/clinician_measure.html",
        {"row": row, "form": form, "instrument": form.instrument, "open": row.status == R.SCHEDULED},
        status=status,
    )
