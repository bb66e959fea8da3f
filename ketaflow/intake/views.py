"""Intake pages: the patient's bundle (link or portal), candidacy review, consent, REMS."""

from __future__ import annotations

import hashlib
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.storage import default_storage
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from ketaflow.accounts.roles import Perm, Role
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import NOT_ALLOWED, ensure_location, patient_required, staff_required
from ketaflow.core.request_context import client_ip
from ketaflow.domain import instruments
from ketaflow.intake import forms as intake_forms
from ketaflow.intake import services
from ketaflow.intake.models import ConsentTemplate, Intake, IntakeLink, QuestionnaireResponse, SignedConsent
from ketaflow.intake.questions import HISTORY_QUESTIONS, QUESTIONNAIRE_INTROS
from ketaflow.intake.selectors import (
    adequate_failed,
    answered_instruments,
    intake_open_for_patient,
    intake_questionnaires,
    intake_steps,
)
from ketaflow.patients.models import Medication, Patient
from ketaflow.patients.selectors import domain_medications, patient_get_for_chart
from ketaflow.patients.views import apply_errors

SESSION_LINK = "intake_link_id"
NO_INTAKE = "There is no open intake for you. Open the link from your email or text message again."


# --- the patient's bundle ----------------------------------------------------------------------------


def _intake_for(request: HttpRequest) -> Intake:
    """The intake this browser may fill in: from an opened link (re-checked every time) or the portal login."""
    link_id = request.session.get(SESSION_LINK)
    if link_id:
        link = IntakeLink.objects.select_related("intake__patient").filter(pk=link_id).first()
        if link is not None:
            try:
                _check_link(link)
            except ValidationError:
                request.session.pop(SESSION_LINK, None)
                raise
            return link.intake
    user: Any = request.user
    if user.is_authenticated and user.role == Role.PATIENT and hasattr(user, "patient"):
        intake = intake_open_for_patient(user.patient)
        if intake is not None:
            return intake
    raise PermissionDenied(NO_INTAKE)


def _check_link(link: IntakeLink) -> None:
    from django.utils import timezone

    if link.used_at is not None or link.intake.status != Intake.Status.OPEN:
        raise ValidationError(services.LINK_USED)
    if link.expires_at <= timezone.now():
        raise ValidationError(services.LINK_EXPIRED)


def _link_error(request: HttpRequest, error: ValidationError) -> HttpResponse:
    message = error.messages[0]
    status = 404 if message == services.LINK_UNKNOWN else 410
    return render(request, "intake/link_error.html", {"message": message}, status=status)


def start(request: HttpRequest, token: str) -> HttpResponse:
    """Open a tokenised link: the token is checked, then the browser session holds the link id only."""
    try:
        intake = services.intake_link_open(raw_token=token)
    except ValidationError as error:
        return _link_error(request, error)
    link = intake.links.get(token_sha256=services.token_hash(token))
    request.session.cycle_key()
    request.session[SESSION_LINK] = link.pk
    return redirect("intake:overview")


def _bundle_view(view: Any) -> Any:
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            intake = _intake_for(request)
        except ValidationError as error:
            return _link_error(request, error)
        return view(request, intake, *args, **kwargs)

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


@_bundle_view
def overview(request: HttpRequest, intake: Intake) -> HttpResponse:
    steps = intake_steps(intake, answered_instruments(intake))
    return render(
        request,
        "intake/overview.html",
        {"intake": intake, "patient": intake.patient, "steps": steps, "ready": all(s.done for s in steps)},
    )


@_bundle_view
def step(request: HttpRequest, intake: Intake, slug: str) -> HttpResponse:
    handlers = {
        "about-you": _about_you,
        "health": _health,
        "medications": _medications,
        "antidepressants": _antidepressants,
        "pain": _pain,
    }
    if slug in handlers:
        if slug == "antidepressants" and not intake.includes_depression:
            raise Http404("Not part of this intake.")
        if slug == "pain" and not intake.includes_pain:
            raise Http404("Not part of this intake.")
        return handlers[slug](request, intake)
    if slug in intake_questionnaires(intake):
        return _questionnaire(request, intake, slug)
    raise Http404("Not part of this intake.")


def _next(intake: Intake, slug: str) -> HttpResponse:
    steps = intake_steps(intake, answered_instruments(intake))
    slugs = [s.slug for s in steps]
    position = slugs.index(slug)
    for candidate in steps[position + 1 :] + steps[:position]:
        if not candidate.done:
            return redirect("intake:step", candidate.slug)
    return redirect("intake:overview")


def _render_step(
    request: HttpRequest, intake: Intake, slug: str, template: str, context: dict[str, Any]
) -> HttpResponse:
    titles = {s.slug: s.title for s in intake_steps(intake, set())}
    context = {"intake": intake, "patient": intake.patient, "slug": slug, "title": titles[slug], **context}
    status = 400 if request.method == "POST" else 200
    return render(request, template, context, status=status)


def _about_you(request: HttpRequest, intake: Intake) -> HttpResponse:
    patient = intake.patient
    if request.method == "POST":
        # Bind to a fresh copy so a failed validation leaves the patient object untouched.
        form = intake_forms.AboutYouForm(request.POST, instance=Patient.objects.get(pk=patient.pk))
        if form.is_valid():
            changes = {name: form.cleaned_data[name] for name in intake_forms.AboutYouForm.Meta.fields}
            services.intake_demographics_confirm(intake=intake, changes=changes)
            messages.success(request, "Your details are saved.")
            return _next(intake, "about-you")
    else:
        form = intake_forms.AboutYouForm(instance=patient)
    return _render_step(
        request, intake, "about-you", "intake/step_form.html", {"form": form, "show_identity": True}
    )


def _health(request: HttpRequest, intake: Intake) -> HttpResponse:
    initial = {k: v for k, v in intake.history.items() if not k.startswith("_")}
    form = intake_forms.HistoryForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        answers = {k: v for k, v in form.cleaned_data.items() if v}
        services.intake_history_save(intake=intake, answers=answers)
        messages.success(request, "Your health history is saved.")
        return _next(intake, "health")
    return _render_step(request, intake, "health", "intake/step_form.html", {"form": form})


def _medications(request: HttpRequest, intake: Intake) -> HttpResponse:
    form = intake_forms.IntakeMedicationForm()
    if request.method == "POST":
        if request.POST.get("action") == "done":
            services.intake_section_confirm(intake=intake, section="medications")
            messages.success(request, "Your medicines list is saved.")
            return _next(intake, "medications")
        form = intake_forms.IntakeMedicationForm(request.POST)
        if form.is_valid():
            try:
                services.intake_medication_add(intake=intake, **form.cleaned_data)
            except ValidationError as error:
                apply_errors(form, error)
            else:
                messages.success(request, f"Added {form.cleaned_data['name']}.")
                return redirect("intake:step", "medications")
    rows = list(Medication.objects.current().filter(patient=intake.patient, stopped_on__isnull=True))
    response = _render_step(
        request,
        intake,
        "medications",
        "intake/step_list.html",
        {"form": form, "rows": rows, "kind": "medications"},
    )
    return response


def _antidepressants(request: HttpRequest, intake: Intake) -> HttpResponse:
    form = intake_forms.TrialForm()
    if request.method == "POST":
        if request.POST.get("action") == "done":
            services.intake_section_confirm(intake=intake, section="antidepressants")
            messages.success(request, "Your antidepressant history is saved.")
            return _next(intake, "antidepressants")
        form = intake_forms.TrialForm(request.POST)
        if form.is_valid():
            services.intake_trial_add(intake=intake, **form.cleaned_data)
            messages.success(request, f"Added {form.cleaned_data['drug']}.")
            return redirect("intake:step", "antidepressants")
    rows = list(intake.trials.current())
    return _render_step(
        request,
        intake,
        "antidepressants",
        "intake/step_list.html",
        {"form": form, "rows": rows, "kind": "trials"},
    )


def _pain(request: HttpRequest, intake: Intake) -> HttpResponse:
    initial = {k: v for k, v in intake.pain_history.items() if not k.startswith("_")}
    form = intake_forms.PainForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        services.intake_pain_save(intake=intake, **form.cleaned_data)
        messages.success(request, "Your pain history is saved.")
        return _next(intake, "pain")
    return _render_step(request, intake, "pain", "intake/step_form.html", {"form": form})


def _questionnaire(request: HttpRequest, intake: Intake, instrument_id: str) -> HttpResponse:
    existing = QuestionnaireResponse.objects.current().filter(intake=intake, instrument=instrument_id).first()
    form = intake_forms.QuestionnaireForm(request.POST or None, instrument_id=instrument_id)
    if request.method == "POST" and form.is_valid():
        try:
            response = services.questionnaire_submit(
                intake=intake, instrument_id=instrument_id, answers=form.answers()
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            if "suicidality" in response.result.get("flags", []):
                messages.warning(
                    request,
                    "Thank you for telling us. A clinician will contact you. If you might act on thoughts of "
                    "suicide, call or text 988 now, or call 911.",
                )
            else:
                messages.success(request, "Saved.")
            return _next(intake, instrument_id)
    return _render_step(
        request,
        intake,
        instrument_id,
        "intake/questionnaire.html",
        {
            "form": form,
            "existing": existing,
            "instrument": form.instrument,
            "intro": QUESTIONNAIRE_INTROS.get(instrument_id, ""),
        },
    )


@require_POST
@_bundle_view
def submit(request: HttpRequest, intake: Intake) -> HttpResponse:
    try:
        services.intake_submit(intake=intake)
    except ValidationError as error:
        messages.error(request, error.messages[0])
        return redirect("intake:overview")
    request.session.pop(SESSION_LINK, None)
    return redirect("intake:done")


def done(request: HttpRequest) -> HttpResponse:
    return render(request, "intake/done.html")


@patient_required
def portal(request: HttpRequest) -> HttpResponse:
    """The patient's intake and consent home in the portal."""
    patient = getattr(request.user, "patient", None)
    if patient is None:
        return render(request, "intake/portal.html", {"patient": None})
    audit(Action.READ, obj=patient, patient_uuid=patient.uuid, detail="portal intake and consent viewed")
    from ketaflow.intake.selectors import current_templates

    consents = list(SignedConsent.objects.current().filter(patient=patient).select_related("template"))
    return render(
        request,
        "intake/portal.html",
        {
            "patient": patient,
            "intake": intake_open_for_patient(patient),
            "templates": current_templates(),
            "consents": consents,
        },
    )


# --- staff: send link, review, REMS ------------------------------------------------------------------


@require_POST
@staff_required(Perm.EDIT_PATIENT)
def send(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(user=request.user, patient_uuid=patient_uuid, detail="intake link form")
    form = intake_forms.SendLinkForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose a reason and how to send the link.")
        return redirect(reverse("patients:chart", args=[patient.uuid]) + "#intake")
    try:
        intake = intake_open_for_patient(patient) or services.intake_create(
            patient=patient, reason=form.cleaned_data["reason"], created_by=request.user
        )
        services.intake_link_send(intake=intake, channel=form.cleaned_data["channel"], sent_by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Intake link sent.")
    return redirect(reverse("patients:chart", args=[patient.uuid]) + "#intake")


@staff_required(Perm.PRESCRIBE)
def review(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(user=request.user, patient_uuid=patient_uuid, detail="candidacy review")
    form = intake_forms.CandidacyDecisionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.candidacy_decide(patient=patient, decided_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Decision recorded.")
            return redirect(reverse("patients:chart", args=[patient.uuid]) + "#intake")
    intake, facts, decisions = services.candidacy_preview(patient=patient)
    pathways = services.PATHWAYS_FOR_REASON[intake.reason] if intake else list(decisions)
    medications = list(Medication.objects.current().filter(patient=patient, stopped_on__isnull=True))
    trials = list(intake.trials.current()) if intake else []
    scores = list(
        QuestionnaireResponse.objects.current()
        .filter(patient=patient)
        .order_by("instrument", "-completed_at")
    )
    from ketaflow.domain import screening
    from ketaflow.intake.models import CandidacyReview

    history = []
    if intake:
        history = [(q, intake.history.get(q.key, "")) for q in HISTORY_QUESTIONS]
    return render(
        request,
        "intake/review.html",
        {
            "patient": patient,
            "intake": intake,
            "facts": facts,
            "decisions": [(str(p), decisions[str(p)]) for p in pathways],
            "history": history,
            "medications": medications,
            "flags": screening.interaction_flags(domain_medications(medications)),
            "trials": [(t, adequate_failed(t)) for t in trials],
            "scores": scores,
            "form": form,
            "versions": list(
                CandidacyReview.objects.filter(patient=patient)
                .select_related("decided_by")
                .order_by("-decided_at", "-id")
            ),
            "protocols": intake_forms.PROTOCOL_SUGGESTIONS,
            "screening_version": screening.VERSION,
            "instrument_titles": {
                i: instruments.get_instrument(i).title for i in instruments.instrument_ids()
            },
        },
        status=400 if request.method == "POST" else 200,
    )


@staff_required(Perm.PRESCRIBE)
def rems(request: HttpRequest, patient_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="REMS enrolment form"
    )
    form = intake_forms.RemsForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.rems_enrol(patient=patient, recorded_by=request.user, **form.cleaned_data)
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "REMS enrolment recorded.")
            return redirect(reverse("patients:chart", args=[patient.uuid]) + "#consent")
    return render(
        request,
        "patients/form.html",
        {"patient": patient, "form": form, "title": "SPRAVATO REMS patient enrolment", "anchor": "consent"},
        status=400 if request.method == "POST" else 200,
    )


# --- consent templates (manager) ---------------------------------------------------------------------


@staff_required(Perm.MANAGE_CLINIC)
def template_list(request: HttpRequest) -> HttpResponse:
    templates = list(ConsentTemplate.objects.all().order_by("pathway", "-version"))
    return render(request, "intake/template_list.html", {"templates": templates})


@staff_required(Perm.MANAGE_CLINIC)
def template_new(request: HttpRequest) -> HttpResponse:
    initial: dict[str, Any] = {}
    pathway = request.GET.get("pathway", "")
    current = ConsentTemplate.objects.filter(pathway=pathway, status=ConsentTemplate.Status.CURRENT).first()
    if current is not None:
        initial = {
            "pathway": current.pathway,
            "title": current.title,
            "body": current.body,
            "includes_rems_enrolment": current.includes_rems_enrolment,
        }
    form = intake_forms.ConsentTemplateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        template = services.consent_template_publish(published_by=request.user, **form.cleaned_data)
        messages.success(request, f"Published {template}. The previous version is superseded.")
        return redirect("intake:template_list")
    return render(
        request, "intake/template_form.html", {"form": form}, status=400 if request.method == "POST" else 200
    )


@staff_required(Perm.MANAGE_CLINIC)
def template_withdraw(request: HttpRequest, template_uuid: object) -> HttpResponse:
    template = ConsentTemplate.objects.filter(uuid=template_uuid).first()
    if template is None:
        raise Http404("No such consent form.")
    form = intake_forms.WithdrawForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.consent_template_withdraw(
            template=template, reason=form.cleaned_data["reason"], withdrawn_by=request.user
        )
        messages.success(request, f"Withdrew {template}.")
        return redirect("intake:template_list")
    return render(
        request,
        "intake/simple_form.html",
        {"form": form, "title": f"Withdraw {template}", "back": reverse("intake:template_list")},
        status=400 if request.method == "POST" else 200,
    )


# --- signing ------------------------------------------------------------------------------------------


def _template_or_404(template_uuid: object) -> ConsentTemplate:
    template = ConsentTemplate.objects.filter(uuid=template_uuid).first()
    if template is None:
        raise Http404("No such consent form.")
    return template


def _sign(request: HttpRequest, patient: Patient, template: ConsentTemplate, channel: str) -> HttpResponse:
    form = intake_forms.ConsentSignForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            consent = services.consent_sign(
                patient=patient,
                template=template,
                signer_name=form.cleaned_data["signer_name"],
                signature_png=form.cleaned_data["signature_png"],
                signature_text=form.cleaned_data["signature_text"],
                channel=channel,
                signed_by=request.user,
                ip_address=client_ip(request),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Thank you. Your consent is signed; a clinician will counter-sign it.")
            return render(request, "intake/consent_signed.html", {"consent": consent, "channel": channel})
    paragraphs = [p.strip() for p in template.body.split("\n\n") if p.strip()]
    return render(
        request,
        "intake/consent_sign.html",
        {
            "form": form,
            "template": template,
            "paragraphs": paragraphs,
            "patient": patient,
            "channel": channel,
        },
        status=400 if request.method == "POST" else 200,
    )


@patient_required
def consent_sign_portal(request: HttpRequest, template_uuid: object) -> HttpResponse:
    patient = getattr(request.user, "patient", None)
    if patient is None:
        raise PermissionDenied(NOT_ALLOWED)
    return _sign(request, patient, _template_or_404(template_uuid), SignedConsent.Channel.PORTAL)


@staff_required(Perm.EDIT_PATIENT)
def consent_sign_tablet(request: HttpRequest, patient_uuid: object, template_uuid: object) -> HttpResponse:
    patient = patient_get_for_chart(
        user=request.user, patient_uuid=patient_uuid, detail="consent form on tablet"
    )
    return _sign(request, patient, _template_or_404(template_uuid), SignedConsent.Channel.TABLET)


def _consent_for_staff(request: HttpRequest, consent_uuid: object, perm: str) -> SignedConsent:
    consent = SignedConsent.objects.select_related("patient", "template").filter(uuid=consent_uuid).first()
    if consent is None:
        raise Http404("No such consent.")
    if not request.user.has_role_perm(perm):  # type: ignore[union-attr]
        raise PermissionDenied(NOT_ALLOWED)
    try:
        ensure_location(request.user, consent.patient.preferred_location_id)
    except PermissionDenied:
        audit(
            Action.DENIED,
            obj=consent,
            patient_uuid=consent.patient.uuid,
            detail="consent outside user's locations",
        )
        raise Http404("No such consent.") from None
    return consent


@require_POST
@staff_required(Perm.RECORD_CLINICAL)
def consent_countersign(request: HttpRequest, consent_uuid: object) -> HttpResponse:
    consent = _consent_for_staff(request, consent_uuid, Perm.RECORD_CLINICAL)
    try:
        services.consent_countersign(consent=consent, countersigned_by=request.user)
    except ValidationError as error:
        messages.error(request, error.messages[0])
    else:
        messages.success(request, "Consent counter-signed.")
    return redirect(reverse("patients:chart", args=[consent.patient.uuid]) + "#consent")


@staff_required(Perm.RECORD_CLINICAL)
def consent_revoke(request: HttpRequest, consent_uuid: object) -> HttpResponse:
    consent = _consent_for_staff(request, consent_uuid, Perm.RECORD_CLINICAL)
    form = intake_forms.RevokeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.consent_revoke(
                consent=consent, revoked_by=request.user, reason=form.cleaned_data["reason"]
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            messages.success(request, "Consent revoked.")
            return redirect(reverse("patients:chart", args=[consent.patient.uuid]) + "#consent")
    return render(
        request,
        "intake/simple_form.html",
        {
            "form": form,
            "title": f"Revoke consent: {consent.template}",
            "back": reverse("patients:chart", args=[consent.patient.uuid]) + "#consent",
        },
        status=400 if request.method == "POST" else 200,
    )


def consent_pdf(request: HttpRequest, consent_uuid: object) -> HttpResponse:
    """The stored PDF, for the patient who signed it or staff with clinical read access at the location."""
    user: Any = request.user
    if not user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path())
    if user.role == Role.PATIENT:
        consent = SignedConsent.objects.select_related("patient").filter(uuid=consent_uuid).first()
        if consent is None or getattr(user, "patient", None) != consent.patient:
            raise Http404("No such consent.")
    else:
        consent = _consent_for_staff(request, consent_uuid, Perm.VIEW_CLINICAL)
    countersigned = request.GET.get("version") == "countersigned"
    path, expected = (
        (consent.countersigned_pdf_path, consent.countersigned_pdf_sha256)
        if countersigned
        else (consent.pdf_path, consent.pdf_sha256)
    )
    if not path:
        raise Http404("No such PDF.")
    with default_storage.open(path, "rb") as handle:
        data = handle.read()
    if hashlib.sha256(data).hexdigest() != expected:
        # The stored file no longer matches the hash recorded at signing: refuse and leave a trace.
        audit(
            Action.DENIED, obj=consent, patient_uuid=consent.patient.uuid, detail="consent PDF hash mismatch"
        )
        return HttpResponse(
            "The stored PDF does not match its recorded hash.", status=409, content_type="text/plain"
        )
    audit(Action.EXPORT, obj=consent, patient_uuid=consent.patient.uuid, detail="consent PDF downloaded")
    response = HttpResponse(data, content_type="application/pdf")
    name = f"consent-{consent.uuid}{'-countersigned' if countersigned else ''}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
