"""Treatment pages: day board (htmx), course and series booking, the session record, chart SVG, session PDF."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from ketaflow.accounts.roles import Perm
from ketaflow.clinics.models import Chair, Location
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, staff_required
from ketaflow.domain import monitoring
from ketaflow.patients.models import Patient
from ketaflow.treatment import booking, forms, selectors, services
from ketaflow.treatment.models import (
    AdministrationEvent,
    Course,
    DoseProposal,
    InfusionSession,
    Protocol,
    SessionAlert,
)


def _location(request: HttpRequest) -> Location:
    location = getattr(request, "location", None)
    if not location:  # a lazy object wrapping None for staff without a location
        raise Http404("No location")
    return location


def _day(request: HttpRequest, tz: Any) -> dt.date:
    try:
        return dt.date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        return timezone.localdate(timezone.now(), tz)


def _board_rows(location: Location, day: dt.date) -> list[selectors.BoardRow]:
    """The board's rows, each movable card with its chair ``<option>`` list.

    The options are escaped once per chair, not once per card and chair in the template: a board of 40 chairs
    and 60 open sessions would otherwise render 2,400 options through the template engine on every refresh.
    """
    rows = selectors.board(location=location, day=day)
    options = {
        row.chair.pk: (
            format_html('<option value="{}">{}</option>', row.chair.uuid, row.chair.label),
            format_html('<option value="{}" selected>{}</option>', row.chair.uuid, row.chair.label),
        )
        for row in rows
    }
    for row in rows:
        for card in row.cards:
            if card.session.status != "discharged":
                chair_id = card.session.chair_id
                card.chair_options = mark_safe(  # noqa: S308 - every part is escaped by format_html above
                    "".join(pair[pk == chair_id] for pk, pair in options.items())
                )
    return rows


@staff_required(Perm.VIEW_SCHEDULE)
def board(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    day = _day(request, location.tz)
    rows = _board_rows(location, day)
    context = {
        "location": location,
        "day": day,
        "rows": rows,
        "hours": [f"{h:02d}:00" for h in range(selectors.BOARD_OPENS.hour, selectors.BOARD_CLOSES.hour)],
        "now": timezone.localtime(timezone.now(), location.tz),
        "prev_day": day - dt.timedelta(days=1),
        "next_day": day + dt.timedelta(days=1),
    }
    template = "treatment/board.html#chairs" if request.htmx else "treatment/board.html"  # type: ignore[attr-defined]
    return render(request, template, context)


@require_POST
@staff_required(Perm.MANAGE_SCHEDULE)
def session_move(request: HttpRequest, session_uuid: Any) -> HttpResponse:
    session = get_object_or_404(InfusionSession, uuid=session_uuid)
    ensure_location(request.user, session.location_id)
    form = forms.MoveForm(request.POST)
    message = ""
    if form.is_valid():
        chair = get_object_or_404(Chair, uuid=form.cleaned_data["chair"])
        try:
            booking.session_move(session=session, chair=chair, moved_by=request.user)
        except booking.BookingError as exc:
            message = exc.message
    else:
        message = "Choose a chair."
    day = timezone.localdate(session.starts_at, session.location.tz)
    if request.htmx:  # type: ignore[attr-defined]
        location = session.location
        return render(
            request,
            "treatment/board.html#chairs",
            {
                "location": location,
                "day": day,
                "rows": _board_rows(location, day),
                "move_error": message,
            },
        )
    return redirect(f"{reverse('treatment:board')}?day={day.isoformat()}")


@staff_required(Perm.VIEW_SCHEDULE)
def protocols(request: HttpRequest) -> HttpResponse:
    return render(request, "treatment/protocols.html", {"protocols": selectors.active_protocols()})


@staff_required(Perm.MANAGE_SCHEDULE)
def course_new(request: HttpRequest, patient_uuid: Any) -> HttpResponse:
    patient = get_object_or_404(Patient, uuid=patient_uuid)
    location = patient.preferred_location or _location(request)
    ensure_location(request.user, location.pk)
    form = forms.CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = services.course_create(
            patient=patient,
            protocol=form.cleaned_data["protocol"],
            location=location,
            created_by=request.user,
            planned_sessions=form.cleaned_data["planned_sessions"],
            booster_plan=form.cleaned_data["booster_plan"],
        )
        return redirect("treatment:course", course_uuid=course.uuid)
    gates = {p.pathway: booking.booking_gate(patient, p.pathway) for p in selectors.active_protocols()}
    courses = list(selectors.courses_for_patient(patient))
    audit(Action.READ, obj=patient, patient_uuid=patient.uuid, detail="treatment courses")
    return render(
        request,
        "treatment/course_new.html",
        {"patient": patient, "form": form, "gates": gates, "courses": courses, "location": location},
    )


@staff_required(Perm.MANAGE_SCHEDULE)
def course_detail(request: HttpRequest, course_uuid: Any) -> HttpResponse:
    course = get_object_or_404(
        Course.objects.select_related("patient", "protocol", "location"), uuid=course_uuid
    )
    ensure_location(request.user, course.location_id)
    tz = course.location.tz
    gate = booking.booking_gate(course.patient, course.pathway)
    sessions = list(
        course.sessions.current().select_related("chair", "nurse", "prescriber").order_by("starts_at")
    )
    status_form = forms.CourseStatusForm(
        request.POST if request.POST.get("action") == "status" else None,
        initial={"status": course.status, "booster_plan": course.booster_plan},
    )
    status_error = ""
    if request.method == "POST" and request.POST.get("action") == "status" and status_form.is_valid():
        try:
            if status_form.cleaned_data["booster_plan"]:
                course.booster_plan = status_form.cleaned_data["booster_plan"]
            services.course_status_set(
                course=course,
                status=status_form.cleaned_data["status"],
                changed_by=request.user,
                reason=status_form.cleaned_data["reason"],
            )
            return redirect("treatment:course", course_uuid=course.uuid)
        except services.TreatmentError as exc:
            status_error = " ".join(exc.messages)
            course.refresh_from_db()
    initial_day = timezone.localdate(timezone.now(), tz) + dt.timedelta(days=1)
    form = forms.SeriesForm(
        request.POST if request.POST.get("action") in ("propose", "book") else None,
        initial={
            "first_day": initial_day,
            "preferred_time": dt.time(9, 0),
            "count": max(
                1,
                course.planned_sessions
                - len([s for s in sessions if s.status not in ("cancelled", "missed")]),
            ),
        },
    )
    proposal = None
    error = ""
    booked = None
    if form.is_bound and form.is_valid():
        earliest = dt.datetime.combine(form.cleaned_data["first_day"], dt.time(0, 0), tzinfo=tz)
        earliest = max(earliest, timezone.now())
        try:
            if gate:
                raise booking.BookingError(" ".join(gate))
            proposal = booking.series_propose(
                course=course,
                earliest_start=earliest,
                preferred_time=form.cleaned_data["preferred_time"],
                count=form.cleaned_data["count"],
            )
            if request.POST.get("action") == "book":
                starts = [dt.datetime.fromisoformat(v) for v in request.POST.getlist("start")]
                booked = booking.series_book(
                    course=course,
                    starts=starts or [s.start for s in proposal.plan.sessions],
                    booked_by=request.user,
                    first_sequence=len(sessions) + 1,
                )
                return redirect("treatment:course", course_uuid=course.uuid)
        except booking.BookingError as exc:
            error = exc.message
        except ValueError:
            error = "The proposal was changed; propose again."
    chairs = {c.pk: c for c in Chair.objects.filter(location=course.location)}
    rows = []
    if proposal is not None:
        conflicts = {c.session_index: c for c in proposal.plan.conflicts}
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
                    "alternatives": [
                        timezone.localtime(a.start, tz) for a in (conflict.alternatives if conflict else ())
                    ],
                }
            )
    rebook = {}
    for s in sessions:
        if s.status in (
            InfusionSession.Status.CANCELLED,
            InfusionSession.Status.MISSED,
        ) and s.starts_at > timezone.now() - dt.timedelta(days=30):
            try:
                rebook[s.pk] = [
                    timezone.localtime(x.start, tz) for x in booking.rebook_suggestion(session=s)
                ][:1]
            except booking.BookingError as exc:
                rebook[s.pk] = exc.message
    audit(Action.READ, obj=course, patient_uuid=course.patient.uuid, location=course.location)
    return render(
        request,
        "treatment/course.html",
        {
            "course": course,
            "patient": course.patient,
            "sessions": [(s, rebook.get(s.pk)) for s in sessions],
            "gate": gate,
            "form": form,
            "proposal": proposal,
            "rows": rows,
            "error": error,
            "booked": booked,
            "status_form": status_form,
            "can_record": request.user.has_role_perm(Perm.RECORD_CLINICAL),  # type: ignore[union-attr]
            "status_error": status_error,
            "infusion": proposal.infusion
            if proposal
            else booking.chair_minutes(course.protocol, booking.latest_weight_kg(course.patient)),
        },
    )


def _session(request: HttpRequest, session_uuid: Any) -> InfusionSession:
    try:
        session = selectors.session_for_page(session_uuid)
    except InfusionSession.DoesNotExist:
        raise Http404 from None
    ensure_location(request.user, session.location_id)
    return session


def _whole(value: float | None) -> str:
    """A reading as a whole number, rounded half up (what the ``floatformat:0`` filter showed)."""
    if value is None:
        return ""
    return str(Decimal(repr(value)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _vitals_rows(vitals: list[Any]) -> list[tuple[Any, ...]]:
    """The flowsheet's cells, formatted once in Python: a long session has dozens of readings of ten values,
    and formatting each through template filters cost more than the rest of the table."""
    return [
        (
            v.taken_at,
            f"{_whole(v.sbp_mmhg)}/{_whole(v.dbp_mmhg)}" if v.sbp_mmhg else "",
            _whole(v.hr_per_min),
            _whole(v.spo2_pct),
            _whole(v.rr_per_min),
            "" if v.etco2_mmhg is None else v.etco2_mmhg,
            "" if v.temperature_c is None else v.temperature_c,
            "" if v.moaas is None else v.moaas,
            "" if v.cadss is None else v.cadss,
            "" if v.pain_nrs is None else v.pain_nrs,
        )
        for v in vitals
    ]


def _session_context(
    request: HttpRequest,
    session: InfusionSession,
    bound: dict[str, Any] | None = None,
    errors: list[str] | None = None,
) -> dict[str, Any]:
    tz = session.location.tz
    protocol = session.course.protocol
    order = next(
        iter(
            sorted(
                (o for o in session.orders.all() if not o.entered_in_error),
                key=lambda o: o.signed_at,
                reverse=True,
            )
        ),
        None,
    )
    checklist = next(iter(sorted(session.checklists.all(), key=lambda c: c.created_at, reverse=True)), None)
    events = list(session.events.all())
    now = timezone.now()
    try:
        current_events = [e for e in events if not e.entered_in_error]
        delivered = services.delivered_mg(session, as_of=now, fetched=current_events) if events else 0.0
    except Exception:  # noqa: BLE001 - a shown figure must never break the page
        delivered = None
    vitals = list(session.vitals.all())
    due = None
    if session.status in ("infusing", "paused") and session.started_at:
        due = monitoring.vitals_due_status(
            phase=monitoring.Phase.INFUSION,
            phase_started_at=session.started_at,
            last_reading_at=vitals[-1].taken_at if vitals else None,
            now=now,
        )
    elif session.status in ("recovering", "ready") and session.stopped_at:
        due = monitoring.vitals_due_status(
            phase=monitoring.Phase.RECOVERY,
            phase_started_at=session.stopped_at,
            last_reading_at=vitals[-1].taken_at if vitals else None,
            now=now,
        )
    discharge = services.discharge_decision(session) if session.status in ("recovering", "ready") else None
    bound = bound or {}
    checks = list(order.double_checks.all()) if order else []
    is_esk = protocol.kind == Protocol.Kind.ESKETAMINE
    escort_initial = _checklist_initial(session, checklist, tz)
    escort_initial |= {
        "escort_name": session.escort_name or session.patient.escort_name,
        "escort_phone": session.escort_phone or session.patient.escort_phone,
    }
    proposal = (
        next(iter(session.dose_proposals.all()), None) if protocol.kind == Protocol.Kind.IV_DOSE else None
    )
    decided_dose = (
        proposal.decided_mg_per_kg
        if proposal is not None and proposal.decision in ("accepted", "edited")
        else protocol.mg_per_kg
    )
    pmf = None
    if protocol.kind == Protocol.Kind.ESKETAMINE:
        pmf = monitoring.rems_pmf_status(
            session_date=timezone.localtime(session.starts_at, tz).date(),
            today=timezone.localdate(now, tz),
            submitted_on=session.rems_pmf_submitted_on,
        )
    return {
        "session": session,
        "protocol": protocol,
        "patient": session.patient,
        "order": order,
        "checks": checks,
        "order_checked": any(c.matches for c in checks),
        # The second clinician re-enters weight and vial without seeing them (independent double check)
        "blind": bool(
            order
            and not is_esk
            and not any(c.matches for c in checks)
            and order.signed_by_id != request.user.pk
        ),
        "checklist": checklist,
        "events": events,
        "vitals": vitals,
        "vitals_rows": _vitals_rows(vitals),
        "alerts": list(session.alerts.all()),
        "adverse_events": list(session.adverse_events.all()),
        "scores": list(session.recovery_scores.all()),
        "delivered_mg": delivered,
        "due": due,
        "discharge": discharge,
        "ready_text": selectors.ready_text(session, tz),
        "pmf": pmf,
        "pmf_data": selectors.rems_pmf_data(session) if pmf is not None else None,
        "errors": errors or [],
        "checklist_form": bound.get("checklist") or forms.ChecklistForm(initial=escort_initial),
        "override_form": bound.get("override") or forms.OverrideForm(),
        "order_form": bound.get("order")
        or forms.OrderForm(
            initial={
                "mg_per_kg": decided_dose,
                "mg_per_kg_per_h": protocol.mg_per_kg_per_h,
                "concentration_mg_per_ml": protocol.default_concentration_mg_per_ml,
                "bag_ml": protocol.default_bag_ml,
            }
        ),
        "double_check_form": bound.get("double_check") or forms.DoubleCheckForm(),
        "proposal": proposal,
        "propose_form": bound.get("propose") or forms.ProposalForm(),
        "decide_form": bound.get("decide")
        or forms.ProposalDecisionForm(initial={"proposal": proposal.uuid if proposal else None}),
        "event_form": bound.get("event") or forms.EventForm(),
        "vitals_form": bound.get("vitals") or forms.VitalsForm(),
        "import_form": bound.get("import") or forms.ImportForm(),
        "adverse_form": bound.get("adverse") or forms.AdverseEventForm(),
        "score_form": bound.get("score") or forms.AldreteForm(),
        "discharge_form": bound.get("discharge") or forms.DischargeForm(),
        "can_prescribe": request.user.has_role_perm(Perm.PRESCRIBE),  # type: ignore[union-attr]
        "can_override": request.user.has_role_perm(Perm.OVERRIDE_SAFETY),  # type: ignore[union-attr]
        "can_record": request.user.has_role_perm(Perm.RECORD_CLINICAL),  # type: ignore[union-attr]
        "is_esketamine": protocol.kind == Protocol.Kind.ESKETAMINE,
        "local_start": timezone.localtime(session.starts_at, tz),
        "local_end": timezone.localtime(session.ends_at, tz),
    }


def _checklist_initial(session: InfusionSession, checklist: Any, tz: Any) -> dict[str, Any]:
    """A failed checklist comes back filled in with what was entered, so only the failed items need work."""
    if checklist is None:
        return {}
    facts = checklist.facts or {}
    initial = {
        key: facts.get(key)
        for key in (
            "identity_confirmed",
            "escort_confirmed",
            "medication_changes_reviewed",
            "pre_treatment_rating_done",
            "iv_access_confirmed",
        )
    }
    for key in ("last_solid_food_at", "last_clear_liquid_at"):
        if facts.get(key):
            initial[key] = timezone.localtime(dt.datetime.fromisoformat(facts[key]), tz).time()
    initial.update(facts.get("baseline_vitals") or {})
    initial["weight_kg"] = session.weight_kg
    initial["pregnancy_test"] = facts.get("pregnancy_test_result") or (
        "" if facts.get("pregnancy_test_applicable") else "not_applicable"
    )
    return initial


@staff_required(Perm.VIEW_CLINICAL)
def session_detail(request: HttpRequest, session_uuid: Any) -> HttpResponse:
    session = _session(request, session_uuid)
    audit(Action.READ, obj=session, patient_uuid=session.patient.uuid, location=session.location)
    return render(request, "treatment/session.html", _session_context(request, session))


FORMS = {
    "checklist": forms.ChecklistForm,
    "override": forms.OverrideForm,
    "order": forms.OrderForm,
    "double_check": forms.DoubleCheckForm,
    "event": forms.EventForm,
    "vitals": forms.VitalsForm,
    "import": forms.ImportForm,
    "adverse": forms.AdverseEventForm,
    "score": forms.AldreteForm,
    "discharge": forms.DischargeForm,
    "propose": forms.ProposalForm,
    "decide": forms.ProposalDecisionForm,
}


@require_POST
@staff_required(Perm.MANAGE_SCHEDULE)
def session_action(request: HttpRequest, session_uuid: Any, action: str) -> HttpResponse:
    """Every write on a session page; on bad input the page comes back with the errors and nothing saved."""
    session = get_object_or_404(
        InfusionSession.objects.select_related("location", "patient", "course__protocol"), uuid=session_uuid
    )
    ensure_location(request.user, session.location_id)
    user = request.user
    url = reverse("treatment:session", kwargs={"session_uuid": session.uuid})
    if action == "check_in":
        with contextlib.suppress(services.TreatmentError):
            services.session_check_in(session=session, checked_in_by=user)
        nxt = request.POST.get("next", "")
        return redirect(nxt if nxt.startswith("/treatment/") else reverse("treatment:board"))
    if action == "cancel":
        form = forms.CancelForm(request.POST)
        if form.is_valid():
            with contextlib.suppress(booking.BookingError):
                booking.session_cancel(
                    session=session,
                    cancelled_by=user,
                    reason=form.cleaned_data["reason"],
                    missed=form.cleaned_data["missed"],
                )
        return redirect("treatment:course", course_uuid=session.course.uuid)
    if not user.has_role_perm(Perm.RECORD_CLINICAL):  # type: ignore[union-attr]
        raise PermissionDenied
    if action == "ack":
        alert = get_object_or_404(SessionAlert, uuid=request.POST.get("alert"), session=session)
        services.alert_acknowledge(alert=alert, acknowledged_by=user)
        return redirect(url + "#alerts")
    if action == "error":
        event = get_object_or_404(AdministrationEvent, uuid=request.POST.get("event"), session=session)
        try:
            services.event_enter_in_error(event=event, by=user, reason=request.POST.get("reason", ""))
        except services.TreatmentError as exc:
            return _again(request, session, {}, exc.messages)
        return redirect(url + "#mar")
    if action == "pmf":
        services.rems_pmf_mark_submitted(
            session=session, submitted_by=user, submitted_on=timezone.localdate()
        )
        return redirect(url)
    form_class = FORMS.get(action)
    if form_class is None:
        raise Http404
    form = form_class(request.POST, request.FILES)
    if not form.is_valid():
        return _again(request, session, {action: form}, [])
    data = form.cleaned_data
    try:
        if action == "checklist":
            services.checklist_record(session=session, data=form.facts(session.location.tz), recorded_by=user)
        elif action == "override":
            services.checklist_override(session=session, overridden_by=user, reason=data["reason"])
        elif action == "order":
            services.dose_order_sign(session=session, signed_by=user, **data)
        elif action == "double_check":
            order = services.current_order(session)
            if order is None:
                raise services.TreatmentError(services.NO_ORDER)
            services.dose_double_check(order=order, checked_by=user, **data)
        elif action == "event":
            services.infusion_event_record(session=session, recorded_by=user, **data)
        elif action == "vitals":
            services.vitals_record(session=session, values=data, recorded_by=user)
        elif action == "import":
            services.vitals_import_csv(
                session=session, text=data["file"].read().decode("utf-8-sig", "replace"), imported_by=user
            )
        elif action == "adverse":
            services.adverse_event_record(session=session, recorded_by=user, **data)
        elif action == "score":
            services.recovery_score_record(
                session=session, instrument=data["instrument"], answers=form.answers(), scored_by=user
            )
        elif action == "discharge":
            services.session_discharge(
                session=session, discharged_by=user, escort_present=data["escort_present"]
            )
        elif action == "propose":
            services.dose_proposal_create(session=session, requested_by=user, **data)
        elif action == "decide":
            proposal = get_object_or_404(DoseProposal, uuid=data["proposal"], session=session)
            services.dose_proposal_decide(
                proposal=proposal,
                decided_by=user,
                decision=data["decision"],
                mg_per_kg=data["mg_per_kg"],
                reason=data["reason"],
            )
    except services.TreatmentError as exc:
        return _again(request, session, {action: form}, exc.messages)
    except PermissionDenied:
        raise
    return redirect(f"{url}#{'proposal' if action in ('propose', 'decide') else action}")


def _again(
    request: HttpRequest, session: InfusionSession, bound: dict[str, Any], errors: list[str]
) -> HttpResponse:
    fresh = selectors.session_for_page(session.uuid)
    return render(
        request, "treatment/session.html", _session_context(request, fresh, bound, errors), status=200
    )


@staff_required(Perm.VIEW_CLINICAL)
def session_chart(request: HttpRequest, session_uuid: Any) -> HttpResponse:
    from ketaflow.treatment.charts import session_chart_svg

    session = _session(request, session_uuid)
    response = HttpResponse(session_chart_svg(session), content_type="image/svg+xml")
    response["Cache-Control"] = "no-store"
    return response


@staff_required(Perm.VIEW_CLINICAL)
def session_pdf(request: HttpRequest, session_uuid: Any) -> HttpResponse:
    from ketaflow.treatment.pdf import session_note_pdf

    session = _session(request, session_uuid)
    audit(
        Action.EXPORT,
        obj=session,
        patient_uuid=session.patient.uuid,
        location=session.location,
        detail="session note PDF",
    )
    pdf = session_note_pdf(session, _session_context(request, session))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="session-{session.uuid}.pdf"'
    return response


@staff_required(Perm.VIEW_CLINICAL)
def rems_tracker(request: HttpRequest) -> HttpResponse:
    location = _location(request)
    rows = selectors.rems_pmf_tracker(
        location_ids={location.pk}, today=timezone.localdate(timezone.now(), location.tz)
    )
    return render(request, "treatment/rems.html", {"rows": rows, "location": location})
