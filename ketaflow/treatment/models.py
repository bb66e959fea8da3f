"""Protocols, treatment courses, infusion sessions and everything recorded during one (issue #6).

Chair and nurse capacity are enforced by the database: every booked session inserts one ``ChairClaim`` per
15-minute slot it covers (unique per chair and slot) and one ``NurseClaim`` per slot (unique per nurse,
slot and seat, seats numbered below the nurse-to-chair ratio). See docs/adr/0005-chair-booking-concurrency.md.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from ketaflow.core.models import ClinicalRecord, TrackedModel

SLOT_MINUTES = 15  # claims are per 15-minute slot; session times are on this grid


class Pathway(models.TextChoices):
    """Same values as ``ketaflow.intake.models.Pathway``."""

    IV_KETAMINE_DEPRESSION = "iv_ketamine_depression", "IV ketamine for depression"
    IV_KETAMINE_PAIN = "iv_ketamine_pain", "IV ketamine for chronic pain"
    ESKETAMINE_NASAL = "esketamine_nasal", "Esketamine (SPRAVATO) nasal spray"


class Protocol(TrackedModel):
    """A clinic's protocol: dose rule, series, monitoring plan, alert thresholds, fasting and discharge.

    Manager-editable data (Django admin); seeded by a data migration with sourced defaults.
    """

    class Kind(models.TextChoices):
        IV_DOSE = "iv_dose", "IV fixed dose (mg/kg over minutes)"
        IV_RATE = "iv_rate", "IV rate (mg/kg/h over hours)"
        ESKETAMINE = "esketamine", "Esketamine nasal spray"

    class WeightBasis(models.TextChoices):
        ACTUAL = "actual", "Actual body weight"
        IDEAL = "ideal", "Ideal body weight (Devine)"
        ADJUSTED = "adjusted", "Adjusted body weight"

    slug = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=120)
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    is_active = models.BooleanField(default=True)
    # Dose
    mg_per_kg = models.FloatField(null=True, blank=True)
    infusion_minutes = models.PositiveIntegerField(default=40)
    min_mg_per_kg = models.FloatField(null=True, blank=True)
    max_mg_per_kg = models.FloatField(null=True, blank=True)
    mg_per_kg_per_h = models.FloatField(null=True, blank=True)
    min_mg_per_kg_per_h = models.FloatField(null=True, blank=True)
    max_mg_per_kg_per_h = models.FloatField(null=True, blank=True)
    max_dose_mg = models.FloatField(null=True, blank=True, help_text="Cap on a single session's dose.")
    weight_basis = models.CharField(max_length=10, choices=WeightBasis.choices, default=WeightBasis.ACTUAL)
    esketamine_doses_mg = models.JSONField(default=list, blank=True, help_text="e.g. [56, 84]")
    default_concentration_mg_per_ml = models.FloatField(default=10.0)
    default_bag_ml = models.FloatField(null=True, blank=True, default=100.0)
    # Series
    induction_sessions = models.PositiveSmallIntegerField(default=6)
    induction_max_span_days = models.PositiveSmallIntegerField(default=21)
    min_gap_days = models.PositiveSmallIntegerField(default=1)
    series_text = models.CharField(max_length=300, blank=True)
    # Monitoring
    vitals_interval_min = models.PositiveSmallIntegerField(default=15)
    recovery_vitals_interval_min = models.PositiveSmallIntegerField(default=15)
    scales = models.JSONField(default=list, blank=True, help_text='e.g. ["moaas", "cadss6"]')
    alert_thresholds = models.JSONField(
        default=dict,
        blank=True,
        help_text="Overrides of the default alert thresholds (clinical.md §4): sbp_very_high, dbp_very_high, "
        "sbp_high, dbp_high, hr_high, spo2_low, moaas_deep, rr_low, rr_high.",
    )
    # Recovery, fasting, discharge
    min_recovery_minutes = models.PositiveSmallIntegerField(default=30)
    fasting_solids_hours = models.FloatField(default=6.0)
    fasting_liquids_hours = models.FloatField(default=2.0)
    discharge_min_score = models.PositiveSmallIntegerField(default=9)
    discharge_score_system = models.CharField(max_length=20, default="aldrete")
    pregnancy_test_required = models.BooleanField(default=True)
    sources = models.TextField(blank=True)

    class Meta:
        ordering = ["pathway", "name"]

    def __str__(self) -> str:
        return self.name


class PrnMedicine(TrackedModel):
    """The clinic's PRN formulary (ondansetron, clonidine, labetalol, midazolam...)."""

    name = models.CharField(max_length=80, unique=True)
    usual_dose = models.CharField(max_length=80)
    route = models.CharField(max_length=20, default="IV")
    indication = models.CharField(max_length=120, blank=True)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} {self.usual_dose} {self.route}"


class LocationCapacity(TrackedModel):
    """Staffing ratios per location (default 2 chairs per nurse, 4 infusions per prescriber)."""

    location = models.OneToOneField("clinics.Location", on_delete=models.CASCADE, related_name="capacity")
    chairs_per_nurse = models.PositiveSmallIntegerField(default=2)
    infusions_per_prescriber = models.PositiveSmallIntegerField(default=4)


class Course(ClinicalRecord):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        INDUCTION = "induction", "Induction"
        MAINTENANCE = "maintenance", "Maintenance"
        PAUSED = "paused", "Paused"
        COMPLETED = "completed", "Completed"
        STOPPED = "stopped", "Stopped"

    patient = models.ForeignKey("patients.Patient", on_delete=models.PROTECT, related_name="courses")
    protocol = models.ForeignKey(Protocol, on_delete=models.PROTECT, related_name="courses")
    pathway = models.CharField(max_length=30, choices=Pathway.choices)
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PLANNED)
    planned_sessions = models.PositiveSmallIntegerField(default=6)
    booster_plan = models.CharField(max_length=300, blank=True)
    stop_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]


class InfusionSession(ClinicalRecord):
    """One booked treatment session: a chair, a nurse and a prescriber from ``starts_at`` to ``ends_at``."""

    class Status(models.TextChoices):
        BOOKED = "booked", "Booked"
        ARRIVED = "arrived", "Arrived"
        CHECKLIST_DONE = "checklist_done", "Checklist done"
        INFUSING = "infusing", "Infusing"
        PAUSED = "paused", "Paused"
        RECOVERING = "recovering", "Recovering"
        READY = "ready", "Ready for discharge"
        DISCHARGED = "discharged", "Discharged"
        CANCELLED = "cancelled", "Cancelled"
        MISSED = "missed", "Missed"

    LIVE = ("booked", "arrived", "checklist_done", "infusing", "paused", "recovering", "ready")
    ACTIVE_TREATMENT = ("infusing", "paused")

    course = models.ForeignKey(Course, on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey(
        "patients.Patient", on_delete=models.PROTECT, related_name="infusion_sessions"
    )
    location = models.ForeignKey("clinics.Location", on_delete=models.PROTECT, related_name="+")
    chair = models.ForeignKey("clinics.Chair", on_delete=models.PROTECT, related_name="sessions")
    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    prescriber = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    sequence = models.PositiveSmallIntegerField(default=1)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    infusion_minutes = models.PositiveSmallIntegerField()
    recovery_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.BOOKED)
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    arrived_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    stopped_at = models.DateTimeField(null=True, blank=True)
    discharged_at = models.DateTimeField(null=True, blank=True)
    discharged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    weight_kg = models.FloatField(null=True, blank=True, help_text="Weighed today, at the checklist.")
    height_cm = models.FloatField(null=True, blank=True)
    escort_name = models.CharField(max_length=150, blank=True)
    escort_phone = models.CharField(max_length=30, blank=True)
    escort_present = models.BooleanField(default=False)
    cancel_reason = models.CharField(max_length=300, blank=True)
    forecast = models.JSONField(default=dict, blank=True)
    forecast_engine_version = models.CharField(max_length=20, blank=True)
    rems_pmf_submitted_on = models.DateField(null=True, blank=True)
    esketamine_devices = models.PositiveSmallIntegerField(null=True, blank=True)
    esketamine_lot = models.CharField(max_length=60, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [
            models.Index(fields=["location", "starts_at"]),
            models.Index(fields=["patient", "status"]),
            # Analytics: a course's first/last given infusion (ketaflow/analytics/selectors.py).
            models.Index(fields=["course", "starts_at"], name="treatment_session_course_start"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")), name="session_end_after_start"
            ),
            # Backs up the service check: one patient never has two infusions running at once.
            models.UniqueConstraint(
                fields=["patient"],
                condition=Q(status__in=["infusing", "paused"]),
                name="one_active_infusion_per_patient",
            ),
        ]

    def __str__(self) -> str:
        return f"Session {self.sequence} {self.starts_at:%Y-%m-%d %H:%M}"

    @property
    def is_esketamine(self) -> bool:
        return self.course.protocol.kind == Protocol.Kind.ESKETAMINE


class ChairClaim(models.Model):
    """One chair held for one 15-minute slot by one session. Unique: the database refuses double use."""

    chair = models.ForeignKey("clinics.Chair", on_delete=models.PROTECT, related_name="+")
    slot_start = models.DateTimeField()
    session = models.ForeignKey(InfusionSession, on_delete=models.CASCADE, related_name="chair_claims")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["chair", "slot_start"], name="one_session_per_chair_slot")
        ]

    def __str__(self) -> str:
        return f"chair {self.chair_id} at {self.slot_start:%Y-%m-%d %H:%M}"


class NurseClaim(models.Model):
    """One seat of a nurse's capacity for one 15-minute slot. Seats are numbered 0..ratio-1."""

    nurse = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    slot_start = models.DateTimeField()
    seat = models.PositiveSmallIntegerField()
    session = models.ForeignKey(InfusionSession, on_delete=models.CASCADE, related_name="nurse_claims")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["nurse", "slot_start", "seat"], name="one_claim_per_nurse_seat_slot"
            )
        ]

    def __str__(self) -> str:
        return f"nurse {self.nurse_id} seat {self.seat} at {self.slot_start:%Y-%m-%d %H:%M}"


class ChecklistRecord(ClinicalRecord):
    """One evaluation of the pre-infusion checklist: the facts entered, the result, an override if any."""

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="checklists")
    facts = models.JSONField()
    result = models.JSONField()
    passed = models.BooleanField()
    engine_version = models.CharField(max_length=30)
    override_reason = models.CharField(max_length=300, blank=True)
    overridden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]


class DoseOrder(ClinicalRecord):
    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="orders")
    inputs = models.JSONField()
    result = models.JSONField()
    engine_version = models.CharField(max_length=20)
    signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    signed_at = models.DateTimeField()

    class Meta:
        ordering = ["-signed_at", "-id"]


class DoubleCheck(ClinicalRecord):
    order = models.ForeignKey(DoseOrder, on_delete=models.PROTECT, related_name="double_checks")
    weight_kg = models.FloatField()
    concentration_mg_per_ml = models.FloatField()
    matches = models.BooleanField()
    mismatches = models.JSONField(default=list)
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    checked_at = models.DateTimeField()


class AdministrationEvent(ClinicalRecord):
    class Kind(models.TextChoices):
        START = "start", "Start"
        PAUSE = "pause", "Pause"
        RESUME = "resume", "Resume"
        RATE_CHANGE = "rate_change", "Rate change"
        STOP = "stop", "Stop"
        BOLUS = "bolus", "Bolus"
        DEVICE = "device", "Nasal device"

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    at = models.DateTimeField()
    rate_mg_per_h = models.FloatField(null=True, blank=True)
    bolus_mg = models.FloatField(null=True, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    lot = models.CharField(max_length=60, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["at", "id"]


class VitalsReading(ClinicalRecord):
    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="vitals")
    taken_at = models.DateTimeField()
    sbp_mmhg = models.FloatField(null=True, blank=True)
    dbp_mmhg = models.FloatField(null=True, blank=True)
    hr_per_min = models.FloatField(null=True, blank=True)
    spo2_pct = models.FloatField(null=True, blank=True)
    rr_per_min = models.FloatField(null=True, blank=True)
    etco2_mmhg = models.FloatField(null=True, blank=True)
    temperature_c = models.FloatField(null=True, blank=True)
    moaas = models.PositiveSmallIntegerField(null=True, blank=True)
    cadss = models.PositiveSmallIntegerField(null=True, blank=True)
    pain_nrs = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=10, default="manual")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["taken_at", "id"]


class SessionAlert(TrackedModel):
    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="alerts")
    rule_id = models.CharField(max_length=40)
    severity = models.CharField(max_length=10)
    message = models.CharField(max_length=300)
    suggested_action = models.CharField(max_length=300)
    detail = models.CharField(max_length=300, blank=True)
    raised_at = models.DateTimeField()
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["raised_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["session", "rule_id", "raised_at"], name="one_alert_per_episode")
        ]


class AdverseEvent(ClinicalRecord):
    class Kind(models.TextChoices):
        NAUSEA = "nausea", "Nausea or vomiting"
        HYPERTENSION = "hypertension", "Hypertension"
        EMERGENCE = "emergence", "Emergence reaction"
        ANXIETY = "anxiety", "Anxiety"
        HYPOXIA = "hypoxia", "Hypoxia"
        SEDATION = "sedation", "Excessive sedation"
        OTHER = "other", "Other"

    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="adverse_events")
    kind = models.CharField(max_length=14, choices=Kind.choices)
    severity = models.CharField(max_length=10, choices=Severity.choices)
    occurred_at = models.DateTimeField()
    action_taken = models.CharField(max_length=300, blank=True)
    prn_medicine = models.ForeignKey(PrnMedicine, null=True, blank=True, on_delete=models.PROTECT)
    prn_dose = models.CharField(max_length=60, blank=True)
    outcome = models.CharField(max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["occurred_at", "id"]


class RecoveryScore(ClinicalRecord):
    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="recovery_scores")
    instrument = models.CharField(max_length=10)  # "aldrete" or "padss"
    answers = models.JSONField()
    total = models.PositiveSmallIntegerField()
    engine_version = models.CharField(max_length=20)
    scored_at = models.DateTimeField()
    scored_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        ordering = ["scored_at", "id"]


class DoseProposal(TrackedModel):
    """The PK/PD engine's suggestion for a session's dose, with its inputs and engine version.

    It is never applied by itself: a prescriber accepts it, accepts a different dose with a reason, or
    declines it, and the dose order is still written and double-checked as usual.
    """

    class Decision(models.TextChoices):
        PENDING = "pending", "Awaiting the prescriber"
        ACCEPTED = "accepted", "Accepted"
        EDITED = "edited", "Accepted with a different dose"
        DECLINED = "declined", "Declined"

    session = models.ForeignKey(InfusionSession, on_delete=models.PROTECT, related_name="dose_proposals")
    inputs = models.JSONField()
    result = models.JSONField()
    engine_version = models.CharField(max_length=20)
    proposed_mg_per_kg = models.FloatField()
    decision = models.CharField(max_length=10, choices=Decision.choices, default=Decision.PENDING)
    decided_mg_per_kg = models.FloatField(null=True, blank=True)
    decision_reason = models.CharField(max_length=300, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.proposed_mg_per_kg:.2f} mg/kg ({self.get_decision_display()})"
