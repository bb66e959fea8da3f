"""Patient writes. Every write is audited; clinical rows are never deleted."""

from __future__ import annotations

import datetime as dt
import secrets
from typing import Any

from django.db import transaction

from ketaflow.core.audit import Action, audit
from ketaflow.patients.models import Patient, Sex


def _new_chart_number() -> str:
    while True:
        number = f"KF-{secrets.randbelow(10**7):07d}"
        if not Patient.objects.filter(chart_number=number).exists():
            return number


@transaction.atomic
def patient_register(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: dt.date,
    email: str = "",
    mobile_phone: str = "",
    preferred_location: Any = None,
    sex: str = Sex.UNKNOWN,
    registered_by: Any = None,
) -> Patient:
    """Create a patient record (e.g. from an online booking or a phone call) and audit it."""
    patient = Patient.objects.create(
        chart_number=_new_chart_number(),
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        date_of_birth=date_of_birth,
        email=email.strip().lower(),
        mobile_phone=mobile_phone.strip(),
        preferred_location=preferred_location,
        sex=sex,
        created_by=registered_by if getattr(registered_by, "pk", None) else None,
    )
    audit(
        Action.CREATE,
        actor=registered_by,
        obj=patient,
        patient_uuid=patient.uuid,
        location=preferred_location,
        detail="patient registered",
    )
    return patient
