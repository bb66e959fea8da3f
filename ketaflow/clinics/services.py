"""Clinic configuration writes. Only managers of the location may change it."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from ketaflow.accounts.roles import Perm
from ketaflow.clinics.models import Chair, Closure, Location, Room
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_location, ensure_perm


@transaction.atomic
def location_update(*, location: Location, form: Any, hours_formset: Any, updated_by: Any) -> Location:
    ensure_perm(updated_by, Perm.MANAGE_CLINIC)
    ensure_location(updated_by, location.pk)
    location = form.save(commit=False)
    location.updated_by = updated_by
    location.save()
    hours_formset.instance = location
    hours_formset.save()
    audit(Action.UPDATE, actor=updated_by, obj=location, location=location, detail="location settings saved")
    return location


@transaction.atomic
def location_child_save(*, location: Location, form: Any, saved_by: Any) -> Chair | Room | Closure:
    """Create or update a chair, room or closure of ``location``."""
    ensure_perm(saved_by, Perm.MANAGE_CLINIC)
    ensure_location(saved_by, location.pk)
    obj = form.save(commit=False)
    creating = obj.pk is None
    obj.location = location
    if creating:
        obj.created_by = saved_by
    obj.updated_by = saved_by
    obj.save()
    audit(Action.CREATE if creating else Action.UPDATE, actor=saved_by, obj=obj, location=location)
    return obj  # type: ignore[no-any-return]
