"""Any change to what slot search reads bumps the schedule version, so cached inputs are never stale."""

from __future__ import annotations

from typing import Any

from django.db.models.signals import post_delete, post_save

from ketaflow.accounts.roles import Role


def _bump(sender: Any, instance: Any, **kwargs: Any) -> None:
    from ketaflow.scheduling.selectors import schedule_changed

    if sender._meta.label == "accounts.User" and instance.role != Role.PRESCRIBER:
        return
    schedule_changed()


def connect() -> None:
    from django.apps import apps

    for label in [
        "clinics.Location",
        "clinics.OpeningHours",
        "clinics.Closure",
        "clinics.Room",
        "scheduling.ProviderAvailability",
        "scheduling.AvailabilityException",
        "scheduling.ConsultationType",
        "scheduling.Appointment",
        "accounts.User",
    ]:
        model = apps.get_model(label)
        post_save.connect(_bump, sender=model, dispatch_uid=f"schedule-version-{label}-save")
        post_delete.connect(_bump, sender=model, dispatch_uid=f"schedule-version-{label}-delete")
