"""The patient chart: demographics, body measurements, allergies, medications, diagnoses, documents.

Every clinical row is a ``ClinicalRecord``: never deleted, marked entered-in-error with a reason.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models

from ketaflow.core.models import ClinicalRecord


class Sex(models.TextChoices):
    FEMALE = "female", "Female"
    MALE = "male", "Male"
    OTHER = "other", "Other"
    UNKNOWN = "unknown", "Unknown"


class Patient(ClinicalRecord):
    """A person under the clinic's care. Demo and test patients are always synthetic."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="patient"
    )
    chart_number = models.CharField(max_length=20, unique=True)
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    sex = models.CharField(max_length=10, choices=Sex.choices, default=Sex.UNKNOWN)
    email = models.EmailField(blank=True)
    mobile_phone = models.CharField(max_length=30, blank=True)
    address_line1 = models.CharField("Address", max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=2, blank=True)
    zip_code = models.CharField("ZIP code", max_length=10, blank=True)
    emergency_contact_name = models.CharField(max_length=150, blank=True)
    emergency_contact_relationship = models.CharField(max_length=60, blank=True)
    emergency_contact_phone = models.CharField(max_length=30, blank=True)
    escort_name = models.CharField(
        "Usual escort", max_length=150, blank=True, help_text="The adult who usually drives the patient home."
    )
    escort_phone = models.CharField("Escort phone", max_length=30, blank=True)
    referring_clinician = models.CharField(max_length=150, blank=True)
    referring_practice = models.CharField(max_length=150, blank=True)
    referring_phone = models.CharField(max_length=30, blank=True)
    preferred_location = models.ForeignKey(
        "clinics.Location", on_delete=models.PROTECT, related_name="patients", null=True, blank=True
    )
    is_synthetic = models.BooleanField(
        default=False, help_text="Generated demo or test data, never a real person."
    )

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            models.Index(fields=["preferred_location", "last_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.chart_number})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def age_on(self, day: dt.date) -> int:
        years = day.year - self.date_of_birth.year
        if (day.month, day.day) < (self.date_of_birth.month, self.date_of_birth.day):
            years -= 1
        return years


class BodyMeasurement(ClinicalRecord):
    """Weight (and height when measured) on one day. BMI, ideal and adjusted weight are computed on read."""

    class Source(models.TextChoices):
        CLINIC = "clinic", "Clinic scale"
        REPORTED = "reported", "Reported by the patient"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="measurements")
    measured_on = models.DateField()
    weight_kg = models.FloatField()
    height_cm = models.FloatField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLINIC)

    class Meta:
        ordering = ["-measured_on", "-id"]
        indexes = [models.Index(fields=["patient", "measured_on"])]


class Allergy(ClinicalRecord):
    class Severity(models.TextChoices):
        MILD = "mild", "Mild"
        MODERATE = "moderate", "Moderate"
        SEVERE = "severe", "Severe"
        UNKNOWN = "unknown", "Unknown"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="allergies")
    substance = models.CharField(max_length=150)
    reaction = models.CharField(max_length=200, blank=True)
    severity = models.CharField(max_length=10, choices=Severity.choices, default=Severity.UNKNOWN)

    class Meta:
        ordering = ["substance", "id"]


class DrugClass(models.TextChoices):
    """The curated classes that matter with ketamine (clinical.md §9); ids match domain.screening."""

    NONE = "", "Other / not listed"
    BENZODIAZEPINE = "benzodiazepine", "Benzodiazepine"
    LAMOTRIGINE = "lamotrigine", "Lamotrigine"
    MAOI = "maoi", "MAOI"
    PSYCHOSTIMULANT = "psychostimulant", "Psychostimulant"
    OPIOID = "opioid", "Opioid"
    CNS_DEPRESSANT = "cns_depressant", "Other CNS depressant"
    THEOPHYLLINE = "theophylline", "Theophylline / aminophylline"
    SYMPATHOMIMETIC = "sympathomimetic", "Sympathomimetic"
    ANTIHYPERTENSIVE = "antihypertensive", "Antihypertensive"


class Medication(ClinicalRecord):
    """A medication the patient takes (or took): free-text name plus an optional curated class."""

    class Source(models.TextChoices):
        STAFF = "staff", "Clinic staff"
        INTAKE = "intake", "Patient intake"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    name = models.CharField(max_length=150)
    drug_class = models.CharField(max_length=20, choices=DrugClass.choices, blank=True)
    dose_text = models.CharField("Dose and frequency", max_length=150, blank=True)
    daily_dose_mg = models.FloatField("Total daily dose (mg)", null=True, blank=True)
    diazepam_equivalent_mg_per_day = models.FloatField(
        "Diazepam-equivalent (mg/day)",
        null=True,
        blank=True,
        help_text="Benzodiazepines only; computed from the daily dose for known drugs when left empty.",
    )
    started_on = models.DateField(null=True, blank=True)
    stopped_on = models.DateField(null=True, blank=True)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)

    class Meta:
        ordering = ["stopped_on", "name", "id"]
        indexes = [models.Index(fields=["patient", "stopped_on"])]

    @property
    def is_current(self) -> bool:
        return self.stopped_on is None


class Diagnosis(ClinicalRecord):
    """A diagnosis with its codes. TRD is a documented clinical judgement, so it needs a note."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="diagnoses")
    condition = models.CharField(max_length=40)
    label = models.CharField(max_length=200)
    icd10_code = models.CharField("ICD-10-CM", max_length=10, blank=True)
    snomed_code = models.CharField("SNOMED CT", max_length=20, blank=True)
    onset_on = models.DateField(null=True, blank=True)
    is_active = models.BooleanField(default=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-is_active", "label", "id"]


def document_upload_to(instance: PatientDocument, filename: str) -> str:
    # No patient data in file names: the row's public id and the checked extension only.
    return f"patient-documents/{instance.uuid}{instance.extension}"


class PatientDocument(ClinicalRecord):
    class Kind(models.TextChoices):
        REFERRAL = "referral", "Referral letter"
        RECORDS = "records", "Outside records"
        ECG = "ecg", "ECG"
        LAB = "lab", "Laboratory result"
        ID = "id", "Identification / insurance"
        OTHER = "other", "Other"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="documents")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=150)
    file = models.FileField(upload_to=document_upload_to)
    content_type = models.CharField(max_length=40)
    size_bytes = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)

    class Meta:
        ordering = ["-created_at", "-id"]

    @property
    def extension(self) -> str:
        return {"application/pdf": ".pdf", "image/png": ".png", "image/jpeg": ".jpg"}.get(
            self.content_type, ""
        )
