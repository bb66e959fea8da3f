"""Progress pages: trajectories and classifications, the progress report PDF, and the booster decision page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.clinics.models import Chair
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, staff_required
from ketaflow.outcomes import boosters
from ketaflow.outcomes.models import BoosterReview
from ketaflow.outcomes.progress import patient_progress
from ketaflow.patients.selectors import patient_get_for_chart
from ketaflow.treatment import booking
from ketaflow.treatment.forms import SeriesForm

PROPOSAL_CHANGED = "The proposal was changed; propose again."


class DeclineForm(forms.Form):
    reason = forms.CharField(
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Reason for declining",
        help_text="Shown in the patient's record and the audit log.",
    )


def _can_prescribe(request: HttpRequest) -> bool:
    return bool(request.user.has_role_perm(Perm.PRESCRIBE))  # type: ignore[union-attr]


@staff_required(Perm.VIEW_CLINICAL)
def progress(request: HttpRequest, patient_uuid: Any) -> HttpResponse:
    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="progress viewed", perm=Perm.VIEW_CLINICAL
    )
    data = patient_progress(patient=patient)
    return render(
        request,
        "outcomes/progress/page.html",
        {"patient": patient, "progress": data, "can_prescribe": _can_prescribe(request)},
    )


@staff_required(Perm.VIEW_CLINICAL)
def progress_pdf(request: HttpRequest, patient_uuid: Any) -> HttpResponse:
    from ketaflow.outcomes.pdf import progress_report_pdf

    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="progress report", perm=Perm.VIEW_CLINICAL
    )
    audit(
        Action.EXPORT,
        obj=patient,
        patient_uuid=patient.uuid,
        location=patient.preferred_location,
        detail="progress report PDF",
    )
    pdf = progress_report_pdf(patient_progress(patient=patient), prepared_by=request.user)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'inline; filename="progress-{patient.chart_number or patient.uuid}.pdf"'
    )
    response["Cache-Control"] = "no-store"
    return response


def _proposal_rows(proposal: booking.Proposal, course: Any) -> list[dict[str, Any]]:
    tz = course.location.tz
    chairs = {c.pk: c for c in Chair.objects.filter(location=course.location)}
    conflicts = {c.session_index: c for c in proposal.plan.conflicts}
    rows = []
    for index, s in enumerate(proposal.plan.sessions):
        conflict = conflicts.get(index)
        rows.append(
            {
                "index": index + 1,
                "start": s.start,
                "local": timezone.localtime(s.start, tz),
                "end": timezone.localtime(s.end, tz),
                "chair": chairs.get(s.chair_id),
                "conflict": conflict,
            }
        )
    return rows


@staff_required(Perm.PRESCRIBE)
def booster_review(request: HttpRequest, review_uuid: Any) -> HttpResponse:
    review = get_object_or_404(
        BoosterReview.objects.select_related("patient", "course__protocol", "course__location", "decided_by"),
        uuid=review_uuid,
    )
    ensure_location(request.user, review.course.location_id)
    course = review.course
    tz = course.location.tz
    action = request.POST.get("action", "") if request.method == "POST" else ""
    series_form = SeriesForm(
        request.POST if action in ("propose", "book") else None,
        initial={
            "first_day": timezone.localdate(timezone.now(), tz) + dt.timedelta(days=1),
            "preferred_time": dt.time(9, 0),
            "count": boosters.booster_session_count(course.booster_plan),
        },
    )
    decline_form = DeclineForm(request.POST if action == "decline" else None)
    error = ""
    rows: list[dict[str, Any]] = []
    status = 200
    if action == "decline":
        # The service is the authority on the reason (required, length); the form only collects it.
        try:
            boosters.booster_decline(
                review=review, reason=request.POST.get("reason", ""), declined_by=request.user
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field_name, errors in exc.error_dict.items():
                    decline_form.add_error(field_name if field_name in decline_form.fields else None, errors)
            else:
                error = " ".join(exc.messages)
            status = 400
        else:
            return redirect("outcomes:progress", patient_uuid=review.patient.uuid)
    elif action in ("propose", "book"):
        if not series_form.is_valid():
            status = 400
        else:
            earliest = dt.datetime.combine(series_form.cleaned_data["first_day"], dt.time(0, 0), tzinfo=tz)
            earliest = max(earliest, timezone.now())
            try:
                if action == "book":
                    starts = [dt.datetime.fromisoformat(v) for v in request.POST.getlist("start")]
                    boosters.booster_accept(
                        review=review,
                        starts=starts,
                        accepted_by=request.user,
                        note=request.POST.get("note", ""),
                    )
                    return redirect("outcomes:progress", patient_uuid=review.patient.uuid)
                gate = booking.booking_gate(course.patient, course.pathway)
                if gate:
                    raise booking.BookingError(" ".join(gate))
                proposal = booking.series_propose(
                    course=course,
                    earliest_start=earliest,
                    preferred_time=series_form.cleaned_data["preferred_time"],
                    count=series_form.cleaned_data["count"],
                )
                rows = _proposal_rows(proposal, course)
            except booking.BookingError as exc:
                error = exc.message
                status = 400
            except ValidationError as exc:
                error = " ".join(exc.messages)
                status = 400
            except ValueError:
                error = PROPOSAL_CHANGED
                status = 400
    audit(Action.READ, obj=review, patient_uuid=review.patient.uuid, detail="booster review viewed")
    return render(
        request,
        "outcomes/progress/booster.html",
        {
            "review": review,
            "patient": review.patient,
            "course": course,
            "series_form": series_form,
            "decline_form": decline_form,
            "rows": rows,
            "error": error,
        },
        status=status,
    )
