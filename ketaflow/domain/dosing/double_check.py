"""Independent double check: a second clinician re-enters the key numbers without seeing the order.

Comparison is on unrounded values with an absolute tolerance per field. The default tolerances are
UNVERIFIED engineering choices (the resolution of a clinic scale, of the dose display and of a pump
keypad); a clinic can set its own.
"""

from __future__ import annotations

from dataclasses import dataclass

from ketaflow.domain.dosing.orders import DoseOrder

# UNVERIFIED defaults, configurable per clinic
DEFAULT_WEIGHT_TOLERANCE_KG = 0.1  # clinic scales read to 0.1 kg
DEFAULT_CONCENTRATION_TOLERANCE_MG_PER_ML = 0.0  # a vial strength is exact: 10, 50 or 100 mg/mL
DEFAULT_DOSE_TOLERANCE_MG = 0.1  # doses are shown to 0.1 mg
DEFAULT_PUMP_RATE_TOLERANCE_ML_PER_H = 0.1  # pumps are programmed to 0.1 mL/h
FLOAT_NOISE = 1e-9

MISMATCH_MESSAGE = (
    "{field}: order says {ordered:g}, second check entered {entered:g} (tolerance ±{tolerance:g})."
)


@dataclass(frozen=True)
class DoubleCheckEntry:
    """What the second clinician entered: weight (kg), vial (mg/mL), and optionally dose (mg), pump (mL/h)."""

    weight_kg: float
    concentration_mg_per_ml: float
    dose_mg: float | None = None
    pump_rate_ml_per_h: float | None = None


@dataclass(frozen=True)
class Mismatch:
    field: str
    ordered: float
    entered: float
    tolerance: float
    message: str


@dataclass(frozen=True)
class DoubleCheckResult:
    matches: bool
    mismatches: tuple[Mismatch, ...]


def double_check(
    order: DoseOrder,
    entry: DoubleCheckEntry,
    *,
    weight_tolerance_kg: float = DEFAULT_WEIGHT_TOLERANCE_KG,
    concentration_tolerance_mg_per_ml: float = DEFAULT_CONCENTRATION_TOLERANCE_MG_PER_ML,
    dose_tolerance_mg: float = DEFAULT_DOSE_TOLERANCE_MG,
    pump_rate_tolerance_ml_per_h: float = DEFAULT_PUMP_RATE_TOLERANCE_ML_PER_H,
) -> DoubleCheckResult:
    """Compare a second clinician's entries with ``order``; every field outside its tolerance is listed.

    Weight is compared with the actual (scale) weight in kg, not the dosing weight; dose (mg) and pump rate
    (mL/h) are compared only when the second clinician entered them.
    """
    pairs: list[tuple[str, float, float | None, float]] = [
        ("weight_kg", order.weight.actual_weight_kg, entry.weight_kg, weight_tolerance_kg),
        (
            "concentration_mg_per_ml",
            order.concentration_mg_per_ml,
            entry.concentration_mg_per_ml,
            concentration_tolerance_mg_per_ml,
        ),
        ("dose_mg", order.dose_mg, entry.dose_mg, dose_tolerance_mg),
        (
            "pump_rate_ml_per_h",
            order.pump_rate_ml_per_h,
            entry.pump_rate_ml_per_h,
            pump_rate_tolerance_ml_per_h,
        ),
    ]
    mismatches = []
    for field, ordered, entered, tolerance in pairs:
        if entered is None:
            continue
        if not abs(entered - ordered) <= tolerance + FLOAT_NOISE:  # `not <=` also catches NaN
            message = MISMATCH_MESSAGE.format(
                field=field, ordered=ordered, entered=entered, tolerance=tolerance
            )
            mismatches.append(Mismatch(field, ordered, entered, tolerance, message))
    return DoubleCheckResult(matches=not mismatches, mismatches=tuple(mismatches))
