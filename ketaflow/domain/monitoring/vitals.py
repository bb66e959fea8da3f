"""Vital-sign readings and the check that refuses impossible values.

The accepted ranges are wide on purpose: they catch typing slips and unit mix-ups (SBP 400, SpO2 120,
temperature in °F), never a real but alarming reading. Apnoea (RR 0, EtCO2 0) is a real reading. The
limits are engineering choices, not clinical thresholds (UNVERIFIED, configurable per clinic); alert
thresholds live in ``alerts.py``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Vital(StrEnum):
    """A measured quantity; the value is the ``VitalSigns`` field name (with its unit)."""

    SBP = "sbp_mmhg"
    DBP = "dbp_mmhg"
    HR = "hr_per_min"
    SPO2 = "spo2_pct"
    RR = "rr_per_min"
    ETCO2 = "etco2_mmhg"
    TEMPERATURE = "temperature_c"
    MOAAS = "moaas"


@dataclass(frozen=True)
class VitalSigns:
    """One set of readings taken at ``taken_at`` (timezone-aware). Units are in the field names;
    ``moaas`` is the Modified Observer's Assessment of Alertness/Sedation, 0 (no response) to 5 (alert).
    A value not measured is ``None``."""

    taken_at: datetime
    sbp_mmhg: float | None = None
    dbp_mmhg: float | None = None
    hr_per_min: float | None = None
    spo2_pct: float | None = None
    rr_per_min: float | None = None
    etco2_mmhg: float | None = None
    temperature_c: float | None = None
    moaas: int | None = None

    def value(self, vital: Vital) -> float | None:
        """The reading of ``vital`` in its unit, or ``None`` if it was not measured."""
        value: float | None = getattr(self, vital.value)
        return value


@dataclass(frozen=True)
class VitalInfo:
    """How a vital is shown, and the range of values that can physically be read."""

    label: str
    unit: str  # written straight after the number, so it carries its own leading space
    low: float
    high: float


# UNVERIFIED engineering limits (physically possible readings on clinic monitors), configurable
DEFAULT_PLAUSIBLE_RANGES: Mapping[Vital, VitalInfo] = {
    Vital.SBP: VitalInfo("Systolic BP", " mmHg", 40.0, 300.0),
    Vital.DBP: VitalInfo("Diastolic BP", " mmHg", 20.0, 200.0),
    Vital.HR: VitalInfo("Heart rate", "/min", 20.0, 250.0),
    Vital.SPO2: VitalInfo("SpO2", "%", 50.0, 100.0),
    Vital.RR: VitalInfo("Respiratory rate", "/min", 0.0, 70.0),
    Vital.ETCO2: VitalInfo("EtCO2", " mmHg", 0.0, 100.0),
    Vital.TEMPERATURE: VitalInfo("Temperature", " °C", 30.0, 44.0),
    # MOAAS (Chernik 1990): 0 = no response to a painful stimulus ... 5 = responds readily to name
    Vital.MOAAS: VitalInfo("MOAA/S", "", 0.0, 5.0),
}

IMPLAUSIBLE_VALUE = (
    "{label} {value:g}{unit} is not a possible reading (accepted {low:g}-{high:g}{unit}); re-measure or correct "
    "the entry."
)
NOT_A_NUMBER = "{label} is not a number; re-enter it."
MOAAS_NOT_WHOLE = "MOAA/S is a whole number from 0 to 5."
DIASTOLIC_NOT_BELOW_SYSTOLIC = "Diastolic BP must be lower than systolic BP; check the reading."
EMPTY_READING = "A set of vital signs needs at least one value."


class VitalSignError(ValueError):
    """A reading with impossible values; ``messages`` lists every problem."""

    def __init__(self, messages: Iterable[str]) -> None:
        self.messages: tuple[str, ...] = tuple(messages)
        super().__init__(" ".join(self.messages))


def label(vital: Vital) -> str:
    return DEFAULT_PLAUSIBLE_RANGES[vital].label


def vital_sign_problems(
    reading: VitalSigns, ranges: Mapping[Vital, VitalInfo] = DEFAULT_PLAUSIBLE_RANGES
) -> tuple[str, ...]:
    """Every reason ``reading`` cannot be real (empty tuple when it is plausible)."""
    problems: list[str] = []
    measured = 0
    for vital in Vital:
        value = reading.value(vital)
        if value is None:
            continue
        measured += 1
        info = ranges[vital]
        if not math.isfinite(value):
            problems.append(NOT_A_NUMBER.format(label=info.label))
        elif vital is Vital.MOAAS and value != int(value):
            problems.append(MOAAS_NOT_WHOLE)
        elif not info.low <= value <= info.high:
            problems.append(
                IMPLAUSIBLE_VALUE.format(
                    label=info.label, value=value, unit=info.unit, low=info.low, high=info.high
                )
            )
    if measured == 0:
        problems.append(EMPTY_READING)
    sbp, dbp = reading.sbp_mmhg, reading.dbp_mmhg
    if sbp is not None and dbp is not None and not problems and dbp >= sbp:
        problems.append(DIASTOLIC_NOT_BELOW_SYSTOLIC)
    return tuple(problems)


def validate_vital_signs(
    reading: VitalSigns, ranges: Mapping[Vital, VitalInfo] = DEFAULT_PLAUSIBLE_RANGES
) -> VitalSigns:
    """Return ``reading`` unchanged if plausible; raise ``VitalSignError`` listing every problem."""
    problems = vital_sign_problems(reading, ranges)
    if problems:
        raise VitalSignError(problems)
    return reading
