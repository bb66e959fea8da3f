"""Intake bundles sent to patients, questionnaire responses, candidacy decisions, consent and REMS enrolment."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketaflow.core.models import ClinicalRecord, TrackedModel


class Pathway(models.TextChoices):
    """Values match ``ketaflow.domain.screening.Pathway``."""

    IV_KETAMINE_DEPRESSION = "iv_ketamine_depression", "IV ketamine for depression"
    IV_KETAMINE_PAIN = "iv_ketamine_pain", "IV ketamine for chronic pain"
    ESKETAMINE_NASAL = "esketamine_nasal", "Esketamine (SPRAVATO) nasal spray"


class Reason(models.TextChoices):
    DEPRESSION = "depression", "Depression"
    PAIN = "pain", "Chronic pain"
    BOTH = "both", "Depression and chronic pain"


class Intake(ClinicalRecord):
    """One intake bundle: what the patient answers before the candidacy review.

    Each section carries the time it was answered (``*_answered_at``); questionnaires are their own rows.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        SUBMITTED = "submitted", "Submitted"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="intakes")
    reason = models.CharField(max_length=12, choices=Reason.choices, default=Reason.DEPRESSION)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    demographics_confirmed_at = models.DateTimeField(null=True, blank=True)
    history = models.JSONField(default=dict, blank=True)
    history_answered_at = models.DateTimeField(null=True, blank=True)
    medications_confirmed_at = models.DateTimeField(null=True, blank=True)
    trials_confirmed_at = models.DateTimeField(null=True, blank=True)
    pain_history = models.JSONField(default=dict, blank=True)
    pain_answered_at = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def includes_pain(self) -> bool:
        return self.reason in (Reason.PAIN, Reason.BOTH)

    @property
    def includes_depression(self) -> bool:
        return self.reason in (Reason.DEPRESSION, Reason.BOTH)


class IntakeLink(TrackedModel):
    """A tokenised link to one intake. Only the SHA-256 of the token is stored; the link dies at submission."""

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "Text message"

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="links")
    token_sha256 = models.CharField(max_length=64, unique=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    last_opened_at = models.DateTimeField(null=True, blank=True)


class AntidepressantTrial(ClinicalRecord):
    class Response(models.TextChoices):
        NONE = "none", "No improvement"
        PARTIAL = "partial", "Some improvement"
        GOOD = "good", "Clear improvement"
        UNSURE = "unsure", "Not sure"

    intake = models.ForeignKey(Intake, on_delete=models.PROTECT, related_name="trials")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="antidepressant_trials"
    )
    drug = models.CharField(max_length=100)
    dose = models.CharField(max_length=60, blank=True)
    duration_weeks = models.PositiveSmallIntegerField()
    response = models.CharField(max_length=10, choices=Response.choices)
    side_effects = models.CharField(max_length=300, blank=True)
    current_episode = models.BooleanField(default=True)

    class Meta:
        ordering = ["created_at", "id"]


class QuestionnaireResponse(ClinicalRecord):
    """Answers to one instrument, with the score result and the scoring engine version."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="questionnaires")
    intake = models.ForeignKey(
        Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="questionnaires"
    )
    instrument = models.CharField(max_length=30)
    answers = models.JSONField()
    result = models.JSONField()
    engine_version = models.CharField(max_length=20)
    completed_at = models.DateTimeField()

    class Meta:
        ordering = ["-completed_at", "-id"]
        indexes = [
            # Trajectories and analytics: one instrument of one patient in time order (baseline, latest score).
            models.Index(
                fields=["patient", "instrument", "completed_at"], name="intake_response_patient_instr"
            ),
        ]
        constraints = [
            # A completed questionnaire is answered once per intake; a correction goes through entered-in-error.
            models.UniqueConstraint(
                fields=["intake", "instrument"],
                condition=Q(entered_in_error=False, intake__isnull=False),
                name="one_answer_per_instrument_per_intake",
            )
        ]


class CandidacyReview(ClinicalRecord):
    """One version of a prescriber's candidacy decision, with the rule output it was made against."""

    class Decision(models.TextChoices):
        APPROVE = "approve", "Approve"
        DECLINE = "decline", "Decline"
        REFER = "refer", "Refer elsewhere"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="candidacy_reviews"
    )
    intake = models.ForeignKey(
        Intake, null=True, blank=True, on_delete=models.PROTECT, related_name="reviews"
    )
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    decision = models.CharField(max_length=10, choices=Decision.choices)
    protocol_name = models.CharField(max_length=120, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    referred_to = models.CharField(max_length=150, blank=True)
    note = models.TextField(blank=True)
    facts = models.JSONField()
    rule_output = models.JSONField()
    engine_version = models.CharField(max_length=20)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField()

    class Meta:
        ordering = ["-decided_at", "-id"]
        indexes = [models.Index(fields=["patient", "pathway", "decided_at"])]


class ConsentTemplate(TrackedModel):
    """A version of a consent form for one pathway. Published versions are never edited: a new version is made."""

    class Status(models.TextChoices):
        CURRENT = "current", "Current"
        SUPERSEDED = "superseded", "Superseded"
        WITHDRAWN = "withdrawn", "Withdrawn"

    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    version = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Plain text; blank lines separate paragraphs.")
    includes_rems_enrolment = models.BooleanField(
        default=False, help_text="Esketamine: the form also records the SPRAVATO REMS patient enrolment."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.CURRENT)
    body_sha256 = models.CharField(max_length=64)
    withdrawn_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["pathway", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["pathway", "version"], name="one_consent_version_number"),
            models.UniqueConstraint(
                fields=["pathway"], condition=Q(status="current"), name="one_current_consent_per_pathway"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class SignedConsent(ClinicalRecord):
    """A patient's signature on one template version, the staff counter-signature and the stored PDFs."""

    class SignatureKind(models.TextChoices):
        DRAWN = "drawn", "Drawn"
        TYPED = "typed", "Typed"

    class Channel(models.TextChoices):
        PORTAL = "portal", "Patient portal"
        TABLET = "tablet", "Clinic tablet"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="consents")
    template = models.ForeignKey(ConsentTemplate, on_delete=models.PROTECT, related_name="signatures")
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    signer_name = models.CharField(max_length=150)
    signature_kind = models.CharField(max_length=6, choices=SignatureKind.choices)
    signature_png = models.BinaryField(null=True, blank=True, editable=False)
    signature_text = models.CharField(max_length=150, blank=True)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    signed_at = models.DateTimeField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    document_sha256 = models.CharField(max_length=64, help_text="SHA-256 of the template text signed.")
    pdf_path = models.CharField(max_length=200, blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    countersigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    countersigned_at = models.DateTimeField(null=True, blank=True)
    countersigned_pdf_path = models.CharField(max_length=200, blank=True)
    countersigned_pdf_sha256 = models.CharField(max_length=64, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    revoked_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-signed_at", "-id"]
        indexes = [models.Index(fields=["patient", "pathway", "signed_at"])]

    @property
    def status(self) -> str:
        if self.revoked_at:
            return "revoked"
        if self.countersigned_at:
            return "in force"
        return "awaiting counter-signature"


class RemsEnrollment(ClinicalRecord):
    """SPRAVATO REMS patient enrolment: required before the first esketamine dose (clinical.md §3.3)."""

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="rems_enrollments")
    enrolled_on = models.DateField()
    enrollment_id = models.CharField("REMS enrolment id", max_length=40)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["-enrolled_on", "-id"]
