"""Measurement-based care: scheduled questionnaires, next-day check-ins, urgent tasks and booster reviews.

The arithmetic (what is due when, response/relapse, boosters) lives in ``ketaflow.domain.outcomes``; these
models hold what was sent, what came back and who acted on it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketaflow.core.models import TrackedModel


class MeasurementRequest(TrackedModel):
    """One instrument due for one patient in a window, anchored to a course (and a session where relevant).

    Patient-rated requests are sent as a link (the raw token is never stored, only its SHA-256); a
    clinician-rated one (MADRS) waits on the clinician's worklist instead.
    """

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        COMPLETED = "completed", "Completed"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    class Rater(models.TextChoices):
        PATIENT = "patient", "Patient"
        CLINICIAN = "clinician", "Clinician"

    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="measurement_requests"
    )
    course = models.ForeignKey(
        "treatment.Course", on_delete=models.PROTECT, related_name="measurement_requests"
    )
    session = models.ForeignKey(
        "treatment.InfusionSession",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurement_requests",
    )
    instrument = models.CharField(max_length=30)
    rater = models.CharField(max_length=10, choices=Rater.choices, default=Rater.PATIENT)
    timepoints = models.JSONField(default=list, help_text="Why it is due, e.g. ['baseline'].")
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    channels = models.JSONField(default=list, blank=True, help_text="Channels the link went out on.")
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_count = models.PositiveSmallIntegerField(default=0)
    completed_at = models.DateTimeField(null=True, blank=True)
    response = models.OneToOneField(
        "intake.QuestionnaireResponse",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="measurement_request",
    )
    cancelled_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument", "due_at"], name="one_request_per_instrument_per_due_time"
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_at"], name="outcomes_req_status_due"),
            models.Index(fields=["status", "expires_at"], name="outcomes_req_status_exp"),
            models.Index(fields=["patient", "due_at"], name="outcomes_req_patient_due"),
        ]

    def __str__(self) -> str:
        return f"{self.instrument} due {self.due_at:%Y-%m-%d %H:%M} ({self.status})"


class CheckIn(TrackedModel):
    """The next-day check-in after an infusion session: side effects, urinary symptoms, mood, suicidality."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENT = "sent", "Sent"
        ANSWERED = "answered", "Answered"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    session = models.OneToOneField(
        "treatment.InfusionSession", on_delete=models.PROTECT, related_name="check_in"
    )
    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="check_ins")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    token_hash = models.CharField(max_length=64, null=True, blank=True, unique=True, editable=False)
    channels = models.JSONField(default=list, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    answers = models.JSONField(default=dict, blank=True)
    side_effects = models.JSONField(default=list, blank=True)
    urinary_symptoms = models.BooleanField(null=True, blank=True)
    mood = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 (very low) to 10 (very good)")
    suicidal_thoughts = models.BooleanField(null=True, blank=True)
    needs_attention = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    review_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-due_at", "-id"]
        indexes = [
            models.Index(fields=["status", "due_at"], name="outcomes_chk_status_due"),
            models.Index(fields=["reviewed_at", "answered_at"], name="outcomes_chk_queue"),
        ]


class UrgentTask(TrackedModel):
    """A safety task that must be acknowledged by a clinician; escalates to a manager when it is not."""

    class Kind(models.TextChoices):
        SUICIDALITY = "suicidality", "Suicidality screen positive"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="urgent_tasks")
    location = models.ForeignKey(
        "clinics.Location", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.SUICIDALITY)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    reason = models.CharField(max_length=300)
    response = models.ForeignKey(
        "intake.QuestionnaireResponse", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    check_in = models.ForeignKey(CheckIn, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    escalate_at = models.DateTimeField()
    escalated_at = models.DateTimeField(null=True, blank=True)
    escalated_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "escalate_at"], name="outcomes_task_status_esc"),
            models.Index(fields=["location", "status"], name="outcomes_task_loc_status"),
        ]


class BoosterReview(TrackedModel):
    """A booster suggestion from the outcomes engine and the prescriber's decision on it."""

    class Status(models.TextChoices):
        OPEN = "open", "Awaiting decision"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        SUPERSEDED = "superseded", "Superseded"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="booster_reviews")
    course = models.ForeignKey("treatment.Course", on_delete=models.PROTECT, related_name="booster_reviews")
    instrument = models.CharField(max_length=30)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    why = models.JSONField(default=list, help_text="The engine's reasons, shown to the prescriber.")
    classification = models.JSONField(default=dict)
    slope_per_week = models.FloatField(null=True, blank=True)
    engine_version = models.CharField(max_length=20)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)
    booked_course = models.ForeignKey(
        "treatment.Course", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["course", "instrument"],
                condition=Q(status="open"),
                name="one_open_booster_review_per_course_instrument",
            )
        ]
