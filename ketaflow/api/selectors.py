"""Read-only lookups the API needs that the apps do not offer yet (kept here rather than editing their apps).

Each applies the same object-level rule as the app: staff see their locations only; outside them the
answer is 404, never a hint that the object exists.
"""

from __future__ import annotations

from typing import Any

from django.http import Http404

from ketaflow.accounts.models import User
from ketaflow.accounts.roles import Perm, Role
from ketaflow.clinics.models import Location
from ketaflow.clinics.selectors import locations_for_user
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm
from ketaflow.scheduling.models import Appointment, ConsultationType


def location_for_user(user: Any, location_uuid: Any) -> Location:
    location = locations_for_user(user).filter(uuid=location_uuid).select_related("clinic").first()
    if location is None:
        raise Http404("No such location.")
    return location


def location_ids_for(user: Any) -> set[int] | None:
    return None if user.is_superuser else user.location_ids()


def appointments_visible_to(user: Any) -> Any:
    ensure_perm(user, Perm.VIEW_SCHEDULE)
    qs = Appointment.objects.select_related("location", "provider", "consultation_type", "patient", "room")
    ids = location_ids_for(user)
    return qs if ids is None else qs.filter(location_id__in=ids)


def appointment_get(
    *, user: Any, appointment_uuid: Any, detail: str, for_update: bool = False
) -> Appointment:
    """One appointment at the user's locations; the read is audited (it names a patient)."""
    appointment = appointments_visible_to(user).filter(uuid=appointment_uuid).first()
    if appointment is None:
        raise Http404("No such appointment.")
    if not for_update:
        audit(
            Action.READ,
            actor=user,
            obj=appointment,
            patient_uuid=appointment.patient.uuid if appointment.patient else None,
            location=appointment.location,
            detail=detail,
        )
    return appointment


def consultation_type_by_slug(slug: str) -> ConsultationType:
    found = ConsultationType.objects.filter(slug=slug, is_active=True).first()
    if found is None:
        raise Http404("No such consultation type.")
    return found


def prescriber_by_uuid(provider_uuid: Any) -> User:
    found = User.objects.filter(uuid=provider_uuid, role=Role.PRESCRIBER, is_active=True).first()
    if found is None:
        raise Http404("No such prescriber.")
    return found


def provider_appointments(user: Any) -> Any:
    """A clinician's own live and past appointments (for their calendar feed)."""
    return (
        Appointment.objects.filter(
            provider=user, status__in=[Appointment.Status.BOOKED, Appointment.Status.COMPLETED]
        )
        .select_related("location", "consultation_type")
        .order_by("starts_at")
    )
