from __future__ import annotations

import uuid
from typing import Any

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

from ketaflow.accounts.roles import LICENSED_ROLES, STAFF_ROLES, PrescriberType, Role, permissions_for


class User(AbstractUser):
    """A person who logs in: staff (with a role and locations) or a patient (portal)."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.PATIENT)
    prescriber_type = models.CharField(max_length=20, choices=PrescriberType.choices, blank=True)
    license_number = models.CharField(max_length=40, blank=True)
    phone = models.CharField(max_length=30, blank=True)
    locations = models.ManyToManyField("clinics.Location", blank=True, related_name="staff")

    objects = UserManager()

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        full = self.get_full_name()
        return full or self.username

    @property
    def is_clinic_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_licensed(self) -> bool:
        return self.role in LICENSED_ROLES

    @property
    def role_label(self) -> str:
        label = Role(self.role).label if self.role in Role.values else self.role
        if self.role == Role.PRESCRIBER and self.prescriber_type:
            return f"{label} ({PrescriberType(self.prescriber_type).label})"
        return str(label)

    def has_role_perm(self, perm: str) -> bool:
        return self.is_active and perm in permissions_for(self.role)

    def location_ids(self) -> set[int]:
        cached: set[int] | None = getattr(self, "_location_ids", None)
        if cached is None:
            cached = set(self.locations.values_list("id", flat=True))
            self._location_ids = cached
        return cached

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Django admin is for managers only; is_staff mirrors that.
        self.is_staff = self.role == Role.MANAGER or self.is_superuser
        super().save(*args, **kwargs)
