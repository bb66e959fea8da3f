"""Roles and the named permissions each one holds. Services check these, not only views."""

from __future__ import annotations

from django.db import models


class Role(models.TextChoices):
    PATIENT = "patient", "Patient"
    FRONT_DESK = "front_desk", "Front desk"
    NURSE = "nurse", "Nurse"
    PRESCRIBER = "prescriber", "Prescriber"
    CUSTODIAN = "custodian", "Controlled-substance custodian"
    MANAGER = "manager", "Clinic manager"
    AUDITOR = "auditor", "Auditor (read-only)"
    API_CLIENT = "api_client", "API client"


class PrescriberType(models.TextChoices):
    PHYSICIAN = "physician", "Physician"
    CRNA = "crna", "CRNA"
    NP = "np", "Nurse practitioner"


STAFF_ROLES = frozenset(
    {Role.FRONT_DESK, Role.NURSE, Role.PRESCRIBER, Role.CUSTODIAN, Role.MANAGER, Role.AUDITOR}
)
LICENSED_ROLES = frozenset({Role.NURSE, Role.PRESCRIBER, Role.CUSTODIAN})


class Perm:
    """Named permission constants. Each is a plain string so it can be stored and compared."""

    VIEW_DASHBOARD = "view_dashboard"
    VIEW_SCHEDULE = "view_schedule"
    MANAGE_SCHEDULE = "manage_schedule"
    VIEW_PATIENT = "view_patient"
    EDIT_PATIENT = "edit_patient"
    VIEW_CLINICAL = "view_clinical"
    RECORD_CLINICAL = "record_clinical"
    PRESCRIBE = "prescribe"
    OVERRIDE_SAFETY = "override_safety"
    DRAW_CONTROLLED = "draw_controlled"
    WITNESS_CONTROLLED = "witness_controlled"
    MANAGE_STOCK = "manage_stock"
    VIEW_LEDGER = "view_ledger"
    MANAGE_CLINIC = "manage_clinic"
    MANAGE_CONTENT = "manage_content"
    MANAGE_STAFF = "manage_staff"
    VIEW_AUDIT = "view_audit"
    VIEW_ANALYTICS = "view_analytics"
    USE_ADMIN = "use_admin"


_READ_ALL = {
    Perm.VIEW_DASHBOARD,
    Perm.VIEW_SCHEDULE,
    Perm.VIEW_PATIENT,
    Perm.VIEW_CLINICAL,
    Perm.VIEW_LEDGER,
    Perm.VIEW_AUDIT,
    Perm.VIEW_ANALYTICS,
}

ROLE_PERMISSIONS: dict[str, frozenset[str]] = {
    Role.PATIENT: frozenset(),
    Role.FRONT_DESK: frozenset(
        {Perm.VIEW_DASHBOARD, Perm.VIEW_SCHEDULE, Perm.MANAGE_SCHEDULE, Perm.VIEW_PATIENT, Perm.EDIT_PATIENT}
    ),
    Role.NURSE: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_SCHEDULE,
            Perm.MANAGE_SCHEDULE,
            Perm.VIEW_PATIENT,
            Perm.EDIT_PATIENT,
            Perm.VIEW_CLINICAL,
            Perm.RECORD_CLINICAL,
            Perm.DRAW_CONTROLLED,
            Perm.WITNESS_CONTROLLED,
            Perm.VIEW_LEDGER,
        }
    ),
    Role.PRESCRIBER: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_SCHEDULE,
            Perm.MANAGE_SCHEDULE,
            Perm.VIEW_PATIENT,
            Perm.EDIT_PATIENT,
            Perm.VIEW_CLINICAL,
            Perm.RECORD_CLINICAL,
            Perm.PRESCRIBE,
            Perm.OVERRIDE_SAFETY,
            Perm.DRAW_CONTROLLED,
            Perm.WITNESS_CONTROLLED,
            Perm.VIEW_LEDGER,
            Perm.VIEW_ANALYTICS,
        }
    ),
    Role.CUSTODIAN: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_LEDGER,
            Perm.MANAGE_STOCK,
            Perm.DRAW_CONTROLLED,
            Perm.WITNESS_CONTROLLED,
        }
    ),
    Role.MANAGER: frozenset(
        {
            Perm.VIEW_DASHBOARD,
            Perm.VIEW_SCHEDULE,
            Perm.MANAGE_SCHEDULE,
            Perm.VIEW_PATIENT,
            Perm.EDIT_PATIENT,
            Perm.VIEW_CLINICAL,
            Perm.VIEW_LEDGER,
            Perm.MANAGE_STOCK,
            Perm.MANAGE_CLINIC,
            Perm.MANAGE_CONTENT,
            Perm.MANAGE_STAFF,
            Perm.VIEW_AUDIT,
            Perm.VIEW_ANALYTICS,
            Perm.USE_ADMIN,
        }
    ),
    Role.AUDITOR: frozenset(_READ_ALL),
    Role.API_CLIENT: frozenset(),
}


def permissions_for(role: str) -> frozenset[str]:
    return ROLE_PERMISSIONS.get(role, frozenset())
