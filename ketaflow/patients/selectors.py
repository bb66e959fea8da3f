from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet
from django.http import Http404

from ketaflow.accounts.roles import Perm
from ketaflow.core.audit import Action, audit
from ketaflow.core.permissions import ensure_perm
from ketaflow.patients.models import Patient

PAGE_SIZE = 50


def patients_visible_to(user: Any) -> QuerySet[Patient]:
    """Staff see patients whose preferred location is one of theirs; superusers see all."""
    qs = Patient.objects.current().select_related("preferred_location")
    if user.is_superuser:
        return qs
    return qs.filter(preferred_location_id__in=user.location_ids())


def patient_search(*, user: Any, query: str = "") -> QuerySet[Patient]:
    ensure_perm(user, Perm.VIEW_PATIENT)
    qs = patients_visible_to(user)
    query = query.strip()
    if query:
        qs = qs.filter(
            Q(last_name__istartswith=query) | Q(first_name__istartswith=query) | Q(chart_number=query)
        )
    return qs.order_by("last_name", "first_name", "id")


def patient_get_for_chart(*, user: Any, patient_uuid: Any) -> Patient:
    """Fetch one patient for reading and write the read to the audit log (denials too)."""
    ensure_perm(user, Perm.VIEW_PATIENT)
    patient = Patient.objects.current().select_related("preferred_location").filter(uuid=patient_uuid).first()
    if patient is None:
        raise Http404("No such patient.")
    if not user.is_superuser and patient.preferred_location_id not in user.location_ids():
        audit(
            Action.DENIED,
            actor=user,
            obj=patient,
            patient_uuid=patient.uuid,
            detail="chart outside user's locations",
        )
        raise Http404("No such patient.")
    audit(Action.READ, actor=user, obj=patient, patient_uuid=patient.uuid, detail="chart viewed")
    return patient
