"""Intake writes: links, answers, questionnaires, candidacy decisions, consent and REMS enrolment.

Each service checks permission (and the patient's location for staff), runs in one transaction and writes
an audit line. Error messages are module constants so tests assert them exactly.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import io
import secrets
from dataclasses import asdict
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm
from ketaflow.core.sms import SmsMessage, get_sms_backend
from ketaflow.domain import instruments, screening
from ketaflow.intake.models import (
    AntidepressantTrial,
    CandidacyReview,
    ConsentTemplate,
    Intake,
    IntakeLink,
    Pathway,
    QuestionnaireResponse,
    RemsEnrollment,
    SignedConsent,
)
from ketaflow.intake.pdf import render_consent_pdf, store_pdf
from ketaflow.intake.selectors import (
    answered_instruments,
    candidacy_facts,
    intake_questionnaires,
    intake_steps,
    latest_submitted_intake,
    link_for_token,
    token_hash,
)
from ketaflow.patients.models import Patient
from ketaflow.patients.services import ensure_patient_access, medication_record

LINK_UNKNOWN = "This link is not valid. Ask the clinic to send you a new one."
LINK_EXPIRED = "This link has expired. Ask the clinic to send you a new one."
LINK_USED = "This intake has already been submitted; the link cannot be used again."
NO_EMAIL = "The patient has no email address on file."
NO_MOBILE = "The patient has no mobile number on file."
INTAKE_CLOSED = "This intake has already been submitted."
ALREADY_ANSWERED = "This questionnaire has already been completed; it cannot be answered twice."
ANSWERS_MISSING = "Answer every question (missing: {items})."
UNKNOWN_QUESTIONNAIRE = "This questionnaire is not part of your intake."
STEPS_MISSING = "Finish every section before submitting: {steps}."
PATHWAY_NOT_ALLOWED = "This pathway does not fit the reason for referral."
PROTOCOL_REQUIRED = "Name the protocol for an approval."
REASON_REQUIRED = "Give a reason."
REFERRED_TO_REQUIRED = "Say where the patient is referred."
TEMPLATE_NOT_CURRENT = (
    "This consent form version is no longer in use (superseded or withdrawn); open the current one."
)
SIGNATURE_REQUIRED = "Sign in the box, or type your signature."
SIGNATURE_INVALID = (
    "The drawn signature could not be read; clear the box and sign again, or type your signature."
)
SIGNER_NAME_REQUIRED = "Type your full name."
ALREADY_COUNTERSIGNED = "This consent is already counter-signed."
CONSENT_REVOKED = "This consent has been revoked."
DATE_IN_FUTURE = "The date cannot be in the future."
AGREE_REQUIRED = "Confirm that you have read and understood the form."

LINK_LIFETIME = dt.timedelta(days=7)
MAX_SIGNATURE_BYTES = 200_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def _actor(user: Any) -> Any:
    return user if getattr(user, "pk", None) else None


def _ensure_open(intake: Intake) -> None:
    if intake.status != Intake.Status.OPEN:
        raise ValidationError(INTAKE_CLOSED)


# --- intake bundle -----------------------------------------------------------------------------------


@transaction.atomic
def intake_create(*, patient: Patient, reason: str, created_by: Any) -> Intake:
    ensure_patient_access(created_by, patient, Perm.EDIT_PATIENT)
    intake = Intake.objects.create(patient=patient, reason=reason, created_by=_actor(created_by))
    audit(Action.CREATE, actor=created_by, obj=intake, patient_uuid=patient.uuid, detail="intake created")
    return intake


@transaction.atomic
def intake_link_send(*, intake: Intake, channel: str, sent_by: Any) -> str:
    """Create a single-use link (token stored hashed) and send it. Returns the raw token (tests, tablet)."""
    patient = intake.patient
    ensure_patient_access(sent_by, patient, Perm.EDIT_PATIENT)
    _ensure_open(intake)
    if channel == IntakeLink.Channel.EMAIL and not patient.email:
        raise ValidationError({"channel": NO_EMAIL})
    if channel == IntakeLink.Channel.SMS and not patient.mobile_phone:
        raise ValidationError({"channel": NO_MOBILE})
    raw = secrets.token_urlsafe(32)
    now = timezone.now()
    # Only the newest link works: a resent link replaces any earlier one still alive.
    intake.links.filter(used_at__isnull=True, expires_at__gt=now).update(expires_at=now)
    link = IntakeLink.objects.create(
        intake=intake,
        token_sha256=token_hash(raw),
        channel=channel,
        expires_at=now + LINK_LIFETIME,
        created_by=_actor(sent_by),
    )
    url = settings.SITE_URL.rstrip("/") + reverse("intake:start", args=[raw])
    text = (
        "Hello,\n\nBefore your consultation, please fill in your intake questionnaire. You can stop and "
        f"come back to it with the same link until you submit it. The link works for {LINK_LIFETIME.days} days:\n\n"
        f"{url}\n\nIf you are thinking about suicide or are in crisis, call or text 988.\n"
    )
    # No clinical data in the message: only the link.
    transaction.on_commit(lambda: _deliver(channel, patient, url, text))
    audit(
        Action.CREATE,
        actor=sent_by,
        obj=link,
        patient_uuid=patient.uuid,
        detail=f"intake link sent by {channel}",
    )
    return raw


def _deliver(channel: str, patient: Patient, url: str, text: str) -> None:
    if channel == IntakeLink.Channel.EMAIL:
        send_mail("Your intake questionnaire", text, None, [patient.email])
    else:
        get_sms_backend().send(SmsMessage(to=patient.mobile_phone, body=f"Your clinic intake link: {url}"))


def intake_link_open(*, raw_token: str) -> Intake:
    """Check a link token: unknown, expired or used links raise ValidationError with a clear message."""
    link = link_for_token(raw_token)
    if link is None:
        raise ValidationError(LINK_UNKNOWN)
    if link.used_at is not None or link.intake.status != Intake.Status.OPEN:
        raise ValidationError(LINK_USED)
    if link.expires_at <= timezone.now():
        raise ValidationError(LINK_EXPIRED)
    IntakeLink.objects.filter(pk=link.pk).update(last_opened_at=timezone.now())
    audit(
        Action.READ,
        obj=link.intake,
        patient_uuid=link.intake.patient.uuid,
        detail="intake link opened",
        actor_label="intake link",
    )
    return link.intake


def _audit_patient_write(intake: Intake, detail: str, obj: Any = None) -> None:
    audit(
        Action.UPDATE if obj is None else Action.CREATE,
        obj=obj or intake,
        patient_uuid=intake.patient.uuid,
        detail=detail,
        actor_label="patient (intake)",
    )


@transaction.atomic
def intake_demographics_confirm(*, intake: Intake, changes: dict[str, Any]) -> Intake:
    from ketaflow.patients.services import DEMOGRAPHIC_FIELDS

    _ensure_open(intake)
    patient = Patient.objects.select_for_update().get(pk=intake.patient_id)
    changed = []
    for name, value in changes.items():
        if name not in DEMOGRAPHIC_FIELDS or name in (
            "preferred_location",
            "first_name",
            "last_name",
            "date_of_birth",
        ):
            raise ValueError(f"patients may not change {name!r} in the intake")
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed.append(name)
    if changed:
        patient.save()
    intake.demographics_confirmed_at = timezone.now()
    intake.save(update_fields=["demographics_confirmed_at", "updated_at"])
    _audit_patient_write(
        intake, "intake: details confirmed" + (f" ({', '.join(sorted(changed))} changed)" if changed else "")
    )
    return intake


@transaction.atomic
def intake_history_save(*, intake: Intake, answers: dict[str, str]) -> Intake:
    _ensure_open(intake)
    intake.history = {**answers, "_answered_at": timezone.now().isoformat()}
    intake.history_answered_at = timezone.now()
    intake.save(update_fields=["history", "history_answered_at", "updated_at"])
    _audit_patient_write(intake, "intake: health history saved")
    return intake


@transaction.atomic
def intake_medication_add(*, intake: Intake, **fields: Any) -> Any:
    _ensure_open(intake)
    row = medication_record(
        patient=intake.patient, recorded_by=None, source="intake", by_patient=True, **fields
    )
    return row


@transaction.atomic
def intake_trial_add(*, intake: Intake, **fields: Any) -> AntidepressantTrial:
    _ensure_open(intake)
    trial = AntidepressantTrial.objects.create(intake=intake, patient=intake.patient, **fields)
    _audit_patient_write(intake, "intake: antidepressant trial added", obj=trial)
    return trial


@transaction.atomic
def intake_section_confirm(*, intake: Intake, section: str) -> Intake:
    """Mark the medicines or antidepressant list as complete (possibly empty)."""
    _ensure_open(intake)
    field = {"medications": "medications_confirmed_at", "antidepressants": "trials_confirmed_at"}[section]
    setattr(intake, field, timezone.now())
    intake.save(update_fields=[field, "updated_at"])
    _audit_patient_write(intake, f"intake: {section} confirmed")
    return intake


@transaction.atomic
def intake_pain_save(
    *, intake: Intake, conditions: list[str], duration: str, treatments: list[str], details: str
) -> Intake:
    _ensure_open(intake)
    intake.pain_history = {
        "conditions": conditions,
        "duration": duration,
        "treatments": treatments,
        "details": details,
        "_answered_at": timezone.now().isoformat(),
    }
    intake.pain_answered_at = timezone.now()
    intake.save(update_fields=["pain_history", "pain_answered_at", "updated_at"])
    _audit_patient_write(intake, "intake: pain history saved")
    return intake


def questionnaire_score(instrument_id: str, answers: list[int | None]) -> instruments.ScoreResult:
    """Score a complete set of answers; an unknown instrument or a missing answer is a ValidationError."""
    try:
        result = instruments.score(instrument_id, answers)
    except instruments.InstrumentError as error:
        raise ValidationError(str(error)) from None
    if not result.complete:
        missing = result.details.get("missing_items") or [i + 1 for i, a in enumerate(answers) if a is None]
        raise ValidationError(ANSWERS_MISSING.format(items=", ".join(str(m) for m in missing)))
    return result


@transaction.atomic
def questionnaire_submit(
    *, intake: Intake, instrument_id: str, answers: list[int | None]
) -> QuestionnaireResponse:
    """Score and store one questionnaire of the intake. Incomplete answers and second answers are refused."""
    _ensure_open(intake)
    if instrument_id not in intake_questionnaires(intake):
        raise ValidationError(UNKNOWN_QUESTIONNAIRE)
    # Lock the intake row so two tabs cannot both store an answer (the unique constraint is the backstop).
    Intake.objects.select_for_update().filter(pk=intake.pk).first()
    if QuestionnaireResponse.objects.current().filter(intake=intake, instrument=instrument_id).exists():
        raise ValidationError(ALREADY_ANSWERED)
    result = questionnaire_score(instrument_id, answers)
    now = timezone.now()
    try:
        with transaction.atomic():
            response = QuestionnaireResponse.objects.create(
                patient=intake.patient,
                intake=intake,
                instrument=instrument_id,
                answers=list(answers),
                result=result.as_dict(),
                engine_version=instruments.VERSION,
                completed_at=now,
            )
    except IntegrityError:
        raise ValidationError(ALREADY_ANSWERED) from None
    _audit_patient_write(intake, f"intake: {instrument_id} answered", obj=response)
    return response


@transaction.atomic
def intake_submit(*, intake: Intake) -> Intake:
    intake = Intake.objects.select_for_update().get(pk=intake.pk)
    _ensure_open(intake)
    missing = [step.title for step in intake_steps(intake, answered_instruments(intake)) if not step.done]
    if missing:
        raise ValidationError(STEPS_MISSING.format(steps=", ".join(missing)))
    now = timezone.now()
    intake.status = Intake.Status.SUBMITTED
    intake.submitted_at = now
    intake.save(update_fields=["status", "submitted_at", "updated_at"])
    # The link's job is done: it cannot be used again.
    intake.links.filter(used_at__isnull=True).update(used_at=now)
    _audit_patient_write(intake, "intake submitted")
    return intake


# --- candidacy ---------------------------------------------------------------------------------------

PATHWAYS_FOR_REASON = {
    "depression": (Pathway.IV_KETAMINE_DEPRESSION, Pathway.ESKETAMINE_NASAL),
    "pain": (Pathway.IV_KETAMINE_PAIN,),
    "both": tuple(Pathway),
}


def candidacy_preview(*, patient: Patient) -> tuple[Intake | None, screening.CandidacyFacts, dict[str, Any]]:
    """The facts and the rule output for every pathway, as the prescriber sees them before deciding."""
    intake = latest_submitted_intake(patient)
    facts = candidacy_facts(patient=patient, intake=intake)
    decisions = {str(p): d for p, d in screening.assess_all(facts).items()}
    return intake, facts, decisions


@transaction.atomic
def candidacy_decide(
    *,
    patient: Patient,
    pathway: str,
    decision: str,
    decided_by: Any,
    protocol_name: str = "",
    reason: str = "",
    referred_to: str = "",
    note: str = "",
) -> CandidacyReview:
    """Record one version of the prescriber's decision with the facts and rule output it was made against."""
    ensure_patient_access(decided_by, patient, Perm.PRESCRIBE)
    errors: dict[str, str] = {}
    if decision == CandidacyReview.Decision.APPROVE and not protocol_name.strip():
        errors["protocol_name"] = PROTOCOL_REQUIRED
    if decision == CandidacyReview.Decision.DECLINE and not reason.strip():
        errors["reason"] = REASON_REQUIRED
    if decision == CandidacyReview.Decision.REFER and not referred_to.strip():
        errors["referred_to"] = REFERRED_TO_REQUIRED
    if errors:
        raise ValidationError(errors)
    intake = latest_submitted_intake(patient)
    facts = candidacy_facts(patient=patient, intake=intake)
    output = screening.assess(facts, pathway)
    now = timezone.now()
    review = CandidacyReview.objects.create(
        patient=patient,
        intake=intake,
        pathway=pathway,
        decision=decision,
        protocol_name=protocol_name.strip() if decision == CandidacyReview.Decision.APPROVE else "",
        reason=reason.strip(),
        referred_to=referred_to.strip(),
        note=note.strip(),
        facts=_jsonable(asdict(facts)),
        rule_output=_jsonable(output.as_dict()),
        engine_version=screening.VERSION,
        decided_by=decided_by,
        decided_at=now,
        created_by=decided_by,
    )
    audit(
        Action.CREATE,
        actor=decided_by,
        obj=review,
        patient_uuid=patient.uuid,
        detail=f"candidacy {decision} for {pathway} (rules say {output.candidate})",
    )
    return review


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


# --- consent -----------------------------------------------------------------------------------------


@transaction.atomic
def consent_template_publish(
    *, pathway: str, title: str, body: str, includes_rems_enrolment: bool, published_by: Any
) -> ConsentTemplate:
    """Publish a new version; the previous current version of the pathway becomes superseded."""
    ensure_perm(published_by, Perm.MANAGE_CLINIC)
    previous = list(ConsentTemplate.objects.select_for_update().filter(pathway=pathway).order_by("-version"))
    ConsentTemplate.objects.filter(pathway=pathway, status=ConsentTemplate.Status.CURRENT).update(
        status=ConsentTemplate.Status.SUPERSEDED
    )
    body = body.replace("\r\n", "\n").strip()
    template = ConsentTemplate.objects.create(
        pathway=pathway,
        version=(previous[0].version + 1) if previous else 1,
        title=title.strip(),
        body=body,
        includes_rems_enrolment=includes_rems_enrolment,
        body_sha256=hashlib.sha256(body.encode()).hexdigest(),
        created_by=_actor(published_by),
    )
    audit(
        Action.CREATE,
        actor=published_by,
        obj=template,
        detail=f"consent template {pathway} v{template.version}",
    )
    return template


@transaction.atomic
def consent_template_withdraw(
    *, template: ConsentTemplate, reason: str, withdrawn_by: Any
) -> ConsentTemplate:
    ensure_perm(withdrawn_by, Perm.MANAGE_CLINIC)
    if not reason.strip():
        raise ValidationError({"reason": REASON_REQUIRED})
    template.status = ConsentTemplate.Status.WITHDRAWN
    template.withdrawn_reason = reason.strip()
    template.updated_by = _actor(withdrawn_by)
    template.save()
    audit(Action.UPDATE, actor=withdrawn_by, obj=template, detail="consent template withdrawn")
    return template


def signature_png_from_data_url(data_url: str) -> bytes:
    """Validate a canvas PNG data URL: prefix, base64, size, PNG magic bytes, decodable, not blank."""
    prefix = "data:image/png;base64,"
    if not data_url.startswith(prefix) or len(data_url) > MAX_SIGNATURE_BYTES * 4 // 3 + len(prefix) + 4:
        raise ValidationError({"signature_png": SIGNATURE_INVALID})
    try:
        data = base64.b64decode(data_url[len(prefix) :], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError({"signature_png": SIGNATURE_INVALID}) from None
    if not data.startswith(PNG_MAGIC) or len(data) > MAX_SIGNATURE_BYTES:
        raise ValidationError({"signature_png": SIGNATURE_INVALID})
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            image.load()
            if image.width > 2000 or image.height > 1000:
                raise ValidationError({"signature_png": SIGNATURE_INVALID})
            if image.convert("RGBA").getchannel("A").getbbox() is None:
                raise ValidationError({"signature_png": SIGNATURE_REQUIRED})
    except ValidationError:
        raise
    except Exception:
        raise ValidationError({"signature_png": SIGNATURE_INVALID}) from None
    return data


@transaction.atomic
def consent_sign(
    *,
    patient: Patient,
    template: ConsentTemplate,
    signer_name: str,
    signature_png: str = "",
    signature_text: str = "",
    channel: str,
    signed_by: Any,
    ip_address: str | None,
) -> SignedConsent:
    """The patient signs a template version (portal, or a clinic tablet under a staff session)."""
    if channel == SignedConsent.Channel.PORTAL:
        if getattr(signed_by, "patient", None) != patient:
            raise PermissionDenied("You can only sign your own consent.")
    else:
        ensure_patient_access(signed_by, patient, Perm.EDIT_PATIENT)
    template = ConsentTemplate.objects.select_for_update().get(pk=template.pk)
    if template.status != ConsentTemplate.Status.CURRENT:
        raise ValidationError(TEMPLATE_NOT_CURRENT)
    errors: dict[str, str] = {}
    if not signer_name.strip():
        errors["signer_name"] = SIGNER_NAME_REQUIRED
    png: bytes | None = None
    if signature_png:
        try:
            png = signature_png_from_data_url(signature_png)
        except ValidationError as error:
            errors.update({k: v[0] for k, v in error.message_dict.items()})
    elif not signature_text.strip():
        errors["signature_text"] = SIGNATURE_REQUIRED
    if errors:
        raise ValidationError(errors)
    consent = SignedConsent.objects.create(
        patient=patient,
        template=template,
        pathway=template.pathway,
        signer_name=signer_name.strip(),
        signature_kind=SignedConsent.SignatureKind.DRAWN if png else SignedConsent.SignatureKind.TYPED,
        signature_png=png,
        signature_text="" if png else signature_text.strip(),
        channel=channel,
        signed_at=timezone.now(),
        ip_address=ip_address,
        document_sha256=template.body_sha256,
        created_by=_actor(signed_by),
    )
    path = f"consents/{consent.uuid}-signed.pdf"
    consent.pdf_sha256 = store_pdf(path, render_consent_pdf(consent, countersigned=False))
    consent.pdf_path = path
    consent.save(update_fields=["pdf_path", "pdf_sha256"])
    audit(
        Action.CREATE,
        actor=signed_by,
        obj=consent,
        patient_uuid=patient.uuid,
        detail=f"consent signed ({template.pathway} v{template.version}, {channel})",
    )
    return consent


@transaction.atomic
def consent_countersign(*, consent: SignedConsent, countersigned_by: Any) -> SignedConsent:
    consent = (
        SignedConsent.objects.select_for_update().select_related("patient", "template").get(pk=consent.pk)
    )
    ensure_patient_access(countersigned_by, consent.patient, Perm.RECORD_CLINICAL)
    if consent.revoked_at:
        raise ValidationError(CONSENT_REVOKED)
    if consent.countersigned_at:
        raise ValidationError(ALREADY_COUNTERSIGNED)
    consent.countersigned_by = countersigned_by
    consent.countersigned_at = timezone.now()
    path = f"consents/{consent.uuid}-countersigned.pdf"
    consent.countersigned_pdf_sha256 = store_pdf(path, render_consent_pdf(consent, countersigned=True))
    consent.countersigned_pdf_path = path
    consent.save()
    audit(
        Action.UPDATE,
        actor=countersigned_by,
        obj=consent,
        patient_uuid=consent.patient.uuid,
        detail="consent counter-signed",
    )
    return consent


class ConsentRevokeAction:
    """A sensitive change as an action object: check permission, execute, log (design.md §3)."""

    def __init__(self, *, consent: SignedConsent, revoked_by: Any, reason: str) -> None:
        self.consent = consent
        self.revoked_by = revoked_by
        self.reason = reason.strip()

    def check(self) -> None:
        ensure_patient_access(self.revoked_by, self.consent.patient, Perm.RECORD_CLINICAL)
        if not self.reason:
            raise ValidationError({"reason": REASON_REQUIRED})
        if self.consent.revoked_at:
            raise ValidationError(CONSENT_REVOKED)

    def execute(self) -> None:
        self.consent.revoked_at = timezone.now()
        self.consent.revoked_by = self.revoked_by
        self.consent.revoked_reason = self.reason[:300]
        self.consent.save(update_fields=["revoked_at", "revoked_by", "revoked_reason", "updated_at"])

    def log(self) -> None:
        audit(
            Action.UPDATE,
            actor=self.revoked_by,
            obj=self.consent,
            patient_uuid=self.consent.patient.uuid,
            detail="consent revoked",
        )

    @transaction.atomic
    def run(self) -> SignedConsent:
        self.consent = (
            SignedConsent.objects.select_for_update().select_related("patient").get(pk=self.consent.pk)
        )
        self.check()
        self.execute()
        self.log()
        return self.consent


def consent_revoke(*, consent: SignedConsent, revoked_by: Any, reason: str) -> SignedConsent:
    return ConsentRevokeAction(consent=consent, revoked_by=revoked_by, reason=reason).run()


# --- REMS --------------------------------------------------------------------------------------------


@transaction.atomic
def rems_enrol(
    *, patient: Patient, enrolled_on: dt.date, enrollment_id: str, recorded_by: Any
) -> RemsEnrollment:
    ensure_patient_access(recorded_by, patient, Perm.PRESCRIBE)
    if enrolled_on > timezone.localdate():
        raise ValidationError({"enrolled_on": DATE_IN_FUTURE})
    if not enrollment_id.strip():
        raise ValidationError({"enrollment_id": "Enter the REMS enrolment id."})
    row = RemsEnrollment.objects.create(
        patient=patient,
        enrolled_on=enrolled_on,
        enrollment_id=enrollment_id.strip(),
        recorded_by=recorded_by,
        created_by=recorded_by,
    )
    audit(
        Action.CREATE,
        actor=recorded_by,
        obj=row,
        patient_uuid=patient.uuid,
        detail="REMS patient enrolment recorded",
    )
    return row
