"""De-identification helpers for research exports.

Direct identifiers are dropped, the patient id becomes a keyed pseudonym, and every date of one patient moves
by the same secret offset so intervals survive. Shifted dates are *not* HIPAA Safe Harbor (which keeps years
only, 45 CFR 164.514(b)(2)); use this for a limited data set under a data-use agreement or with an expert
determination.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import TypeVar

SECRET_TOO_SHORT = "The export secret must be at least 16 bytes."
MIN_SECRET_BYTES = 16
DEFAULT_MAX_SHIFT_DAYS = 180
# Safe Harbor: ages over 89 are pooled into one category (45 CFR 164.514(b)(2)(i)(C)).
AGE_CEILING = 89
AGE_POOLED = "90+"

# Field names treated as direct identifiers (after Safe Harbor's list, 45 CFR 164.514(b)(2)(i)).
DIRECT_IDENTIFIERS = frozenset(
    {
        "patient_id",
        "name",
        "first_name",
        "last_name",
        "email",
        "phone",
        "fax",
        "address",
        "street",
        "city",
        "zip_code",
        "postal_code",
        "ssn",
        "mrn",
        "medical_record_number",
        "health_plan_id",
        "account_number",
        "license_number",
        "device_serial",
        "url",
        "ip_address",
        "photo",
        "date_of_birth",
        "emergency_contact",
    }
)

D = TypeVar("D", date, datetime)


def _key(secret: bytes, purpose: bytes, patient_id: str) -> bytes:
    if len(secret) < MIN_SECRET_BYTES:
        raise ValueError(SECRET_TOO_SHORT)
    # Separate purposes so a pseudonym reveals nothing about the date shift and vice versa.
    return hmac.new(secret, purpose + b"\x00" + patient_id.encode(), hashlib.sha256).digest()


def date_shift_days(secret: bytes, patient_id: str, *, max_days: int = DEFAULT_MAX_SHIFT_DAYS) -> int:
    """A non-zero whole number of days in [−max_days, max_days], the same for every call with this patient."""
    value = int.from_bytes(_key(secret, b"date-shift", patient_id)[:8], "big")
    magnitude = value % max_days + 1
    return magnitude if value >> 63 & 1 else -magnitude


def shift_date(value: D, *, secret: bytes, patient_id: str, max_days: int = DEFAULT_MAX_SHIFT_DAYS) -> D:
    """Move a date or datetime by the patient's shift; times of day are kept."""
    return value + timedelta(days=date_shift_days(secret, patient_id, max_days=max_days))


def pseudonym(secret: bytes, patient_id: str, *, length: int = 16) -> str:
    """A stable, non-reversible subject code for the export (hex, ``length`` characters)."""
    return _key(secret, b"pseudonym", patient_id).hex()[:length]


def deidentify_row(
    row: Mapping[str, object],
    *,
    secret: bytes,
    patient_id: str,
    date_fields: Iterable[str] = (),
    drop: frozenset[str] = DIRECT_IDENTIFIERS,
    age_field: str = "age_years",
    max_days: int = DEFAULT_MAX_SHIFT_DAYS,
) -> dict[str, object]:
    """Return a copy of ``row`` fit for export: identifiers dropped, ``subject`` pseudonym added, the listed
    date fields shifted, and ages above 89 pooled as "90+"."""
    shifted = set(date_fields)
    out: dict[str, object] = {"subject": pseudonym(secret, patient_id)}
    for name, value in row.items():
        if name in drop:
            continue
        if name in shifted and isinstance(value, date):
            out[name] = shift_date(value, secret=secret, patient_id=patient_id, max_days=max_days)
        elif name == age_field and isinstance(value, int | float) and value > AGE_CEILING:
            out[name] = AGE_POOLED
        else:
            out[name] = value
    return out
