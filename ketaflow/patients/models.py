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
