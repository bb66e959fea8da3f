"""Consultation types, prescriber availability and appointments (the booking engine's rows)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketaflow.core.models import ClinicalRecord, TrackedModel


class ConsultationType(TrackedModel):
    class Mode(models.TextChoices):
        IN_PERSON = "in_person", "In person"
        TELEHEALTH = "telehealth", "Telehealth (video)"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    mode = models.CharField(max_length=20, choices=Mode.choices)
    duration_minutes = models.PositiveSmallIntegerField(default=30)
    buffer_before_minutes = models.PositiveSmallIntegerField(default=0)
    buffer_after_minutes = models.PositiveSmallIntegerField(default=10)
    is_new_patient = models.BooleanField(default=True)
    bookable_online = models.BooleanField(default=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.duration_minutes} min)"

    @property
    def needs_room(self) -> bool:
        return self.mode == self.Mode.IN_PERSON


class ProviderAvailability(TrackedModel):
    """A weekly window in which a prescriber sees consultations at a location."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability"
    )
    location = models.ForeignKey("clinics.Location", on_delete=models.CASCADE, related_name="availability")
    weekday = models.PositiveSmallIntegerField()
    starts_at = models.TimeField()
    ends_at = models.TimeField()
    valid_from = models.DateField(null=True, blank=True)
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="availability_end_after_start"
            ),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="availability_weekday_range"),
        ]


class AvailabilityException(TrackedModel):
    """A one-day change: extra hours at a location, or time off (whole day when no times)."""

    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    location = models.ForeignKey(
        "clinics.Location", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    on = models.DateField()
    available = models.BooleanField(default=False)
    starts_at = models.TimeField(null=True, blank=True)
    ends_at = models.TimeField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["on", "starts_at"]


class Appointment(ClinicalRecord):
    class Status(models.TextChoices):
        HELD = "held", "Held (being booked)"
        BOOKED = "booked", "Booked"
        CANCELLED = "cancelled", "Cancelled"
        EXPIRED = "expired", "Hold expired"
        COMPLETED = "completed", "Completed"
        NO_SHOW = "no_show", "Did not attend"

    class Channel(models.TextChoices):
        ONLINE = "online", "Online"
        PHONE = "phone", "Phone"
        IN_PERSON = "in_person", "At the desk"

    class Reason(models.TextChoices):
        PAIN = "pain", "Chronic pain"
        DEPRESSION = "depression", "Depression"

    class InboxStatus(models.TextChoices):
        NEW = "new", "New"
        CONTACTED = "contacted", "Contacted"
        BOOKED = "booked", "Booked"
        NOT_A_CANDIDATE = "not_a_candidate", "Not a candidate"

    ACTIVE = (Status.HELD, Status.BOOKED)

    patient = models.ForeignKey(
        "patients.Patient", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider_appointments"
    )
    room = models.ForeignKey(
        "clinics.Room", null=True, blank=True, on_delete=models.PROTECT, related_name="appointments"
    )
    consultation_type = models.ForeignKey(
        ConsultationType, on_delete=models.PROTECT, related_name="appointments"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.HELD)
    channel = models.CharField(max_length=20, choices=Channel.choices, default=Channel.ONLINE)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    hold_key = models.CharField(
        max_length=64, blank=True, help_text="Random key of the browser session holding it."
    )
    reason = models.CharField(max_length=20, choices=Reason.choices, blank=True)
    heard_about = models.CharField(max_length=120, blank=True)
    consent_to_contact = models.BooleanField(default=False)
    screening_uuid = models.UUIDField(null=True, blank=True)
    manage_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    min_notice_override_reason = models.CharField(max_length=300, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    inbox_status = models.CharField(max_length=20, choices=InboxStatus.choices, default=InboxStatus.NEW)
    is_new_patient = models.BooleanField(default=True)
    booked_at = models.DateTimeField(null=True, blank=True)
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["starts_at"]
        indexes = [
            models.Index(fields=["provider", "starts_at"]),
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["status", "starts_at"]),
            # The API's keyset pages walk (starts_at, uuid) in order: an index scan, not a sort of every row.
            models.Index(fields=["starts_at", "uuid"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="appointment_end_after_start"
            ),
            # The database refuses a second live appointment for the same provider at the same start, and a
            # second live new-patient consultation for the same patient (services also lock the provider row
            # and check overlaps, which covers different starts).
            models.UniqueConstraint(
                fields=["provider", "starts_at"],
                condition=Q(status__in=["held", "booked"]),
                name="appointment_one_live_per_provider_start",
            ),
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["held", "booked"], is_new_patient=True),
                name="appointment_one_live_new_patient_consultation",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.consultation_type.name} {self.starts_at:%Y-%m-%d %H:%M} ({self.get_status_display()})"


class Reminder(models.Model):
    """One reminder (48 h or 2 h, email or SMS) for one appointment. The unique row makes sending idempotent."""

    class Kind(models.TextChoices):
        H48 = "48h", "48 hours before"
        H2 = "2h", "2 hours before"

    class Channel(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=5, choices=Kind.choices)
    channel = models.CharField(max_length=5, choices=Channel.choices)
    claimed_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["appointment", "kind", "channel"], name="reminder_once")
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.channel} reminder"


class ScheduleVersion(models.Model):
    """A counter bumped in the same transaction as every appointment write.

    Slot searches cache the busy intervals per process and reuse them while the counter is unchanged, so the
    public booking page does not re-read thousands of appointments on every request.
    """

    version = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"schedule v{self.version}"
