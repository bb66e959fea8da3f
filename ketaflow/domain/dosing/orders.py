"""Dose orders: from mg/kg (or mg/kg/h), weight and vial to mg, mg/h, mL and pump mL/h.

Numbers are plain floats end to end, never rounded during the calculation: rounding a drug volume and
then multiplying it again would make the pump rate drift from the ordered dose. Rounding happens once,
in ``DoseOrder.display()``, for what a person reads or types into a pump. Floats (not Decimal) because
these are physiological quantities measured to 2-3 significant figures (design.md §6); ledger
quantities, which must add up to the last microgram, use Decimal in ``domain.ledger``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ketaflow.domain.dosing import errors
from ketaflow.domain.dosing.errors import DoseError
from ketaflow.domain.dosing.protocols import (
    ESKETAMINE_DEFAULT,
    IV_DEPRESSION_DEFAULT,
    IV_PAIN_DEFAULT,
    EsketamineSpec,
    IvDoseProtocol,
    IvRateProtocol,
)
from ketaflow.domain.dosing.version import VERSION
from ketaflow.domain.dosing.weight import (
    DosingWeight,
    Sex,
    WeightBasis,
    check_number,
    dosing_weight,
    weight_input_problems,
)

# KETALAR-PI: vials of 10, 50 and 100 mg/mL; nothing stronger is marketed
KNOWN_VIAL_CONCENTRATIONS_MG_PER_ML = (10.0, 50.0, 100.0)
MAX_VIAL_CONCENTRATION_MG_PER_ML = 100.0
# KETALAR-PI: the 100 mg/mL strength must be diluted (at least 1:1) before IV use, so nothing above
# 50 mg/mL may reach the vein
MAX_IV_CONCENTRATION_MG_PER_ML = 50.0

WARNING_UNUSUAL_VIAL = (
    "Vial concentration {value:g} mg/mL is not one of the marketed strengths (10, 50, 100 mg/mL)."
)
WARNING_ABOVE_USUAL_MG_PER_KG = "Dose {value:g} mg/kg is above {limit:g} mg/kg; check it is intended."
WARNING_SHORT_INFUSION = "Infusion over {value:g} min is shorter than the usual {limit:g} min."
WARNING_ABOVE_USUAL_RATE = "Rate {value:g} mg/kg/h is above {limit:g} mg/kg/h, the top of the usual range."
WARNING_ABOVE_USUAL_BOLUS = "A bolus of {value:g} mg/kg is above the usual {limit:g} mg/kg."

# How many decimals each quantity is shown with (display only)
DISPLAY_DECIMALS = {
    "mg": 1,
    "mg_per_h": 1,
    "ml": 2,
    "ml_per_h": 1,
    "kg": 1,
    "mg_per_ml": 3,
}


@dataclass(frozen=True)
class IvInfusionInputs:
    """A fixed-dose IV order as entered: mg/kg over minutes, today's weight (kg), vial (mg/mL), bag (mL).

    ``bag_ml`` is the final volume after dilution (drug included); ``None`` means the drug runs undiluted
    from a syringe. ``max_dose_mg`` overrides the protocol cap for this order.
    """

    mg_per_kg: float
    minutes: float
    weight_kg: float
    concentration_mg_per_ml: float
    bag_ml: float | None
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    height_cm: float | None = None
    sex: Sex | None = None
    max_dose_mg: float | None = None


@dataclass(frozen=True)
class IvRateInputs:
    """A rate-based IV order as entered: mg/kg/h over hours, plus an optional bolus in mg/kg."""

    mg_per_kg_per_h: float
    hours: float
    weight_kg: float
    concentration_mg_per_ml: float
    bag_ml: float | None
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    height_cm: float | None = None
    sex: Sex | None = None
    bolus_mg_per_kg: float = 0.0
    max_dose_mg: float | None = None


@dataclass(frozen=True)
class DoseOrder:
    """A calculated order. All values are unrounded; call ``display()`` for what people read.

    ``dose_mg`` is the total for the session (infusion + bolus). ``drug_volume_ml`` is the volume drawn
    from the vial into the bag; ``final_volume_ml`` is the bag after dilution, run at
    ``pump_rate_ml_per_h`` over ``minutes``. The bolus is drawn separately (``bolus_volume_ml``).
    """

    protocol_name: str
    weight: DosingWeight
    mg_per_kg: float
    mg_per_kg_per_h: float
    minutes: float
    infusion_mg: float
    bolus_mg: float
    dose_mg: float
    rate_mg_per_h: float
    concentration_mg_per_ml: float
    drug_volume_ml: float
    bolus_volume_ml: float
    final_volume_ml: float
    diluent_volume_ml: float
    final_concentration_mg_per_ml: float
    pump_rate_ml_per_h: float
    max_dose_mg: float | None
    warnings: tuple[str, ...]
    engine_version: str = VERSION

    def display(self) -> dict[str, Any]:
        """Rounded values for screens, labels and ``--json`` (rounding happens here and only here)."""
        d = DISPLAY_DECIMALS
        return {
            "protocol": self.protocol_name,
            "weight_basis": self.weight.basis.value,
            "weight_formula": self.weight.formula.expression,
            "weight_formula_source": self.weight.formula.source,
            "actual_weight_kg": round(self.weight.actual_weight_kg, d["kg"]),
            "dosing_weight_kg": round(self.weight.dosing_weight_kg, d["kg"]),
            "bmi": None if self.weight.bmi is None else round(self.weight.bmi, 1),
            "mg_per_kg": self.mg_per_kg,
            "mg_per_kg_per_h": round(self.mg_per_kg_per_h, 4),
            "minutes": self.minutes,
            "dose_mg": round(self.dose_mg, d["mg"]),
            "bolus_mg": round(self.bolus_mg, d["mg"]),
            "rate_mg_per_h": round(self.rate_mg_per_h, d["mg_per_h"]),
            "concentration_mg_per_ml": self.concentration_mg_per_ml,
            "drug_volume_ml": round(self.drug_volume_ml, d["ml"]),
            "bolus_volume_ml": round(self.bolus_volume_ml, d["ml"]),
            "final_volume_ml": round(self.final_volume_ml, d["ml"]),
            "diluent_volume_ml": round(self.diluent_volume_ml, d["ml"]),
            "final_concentration_mg_per_ml": round(self.final_concentration_mg_per_ml, d["mg_per_ml"]),
            "pump_rate_ml_per_h": round(self.pump_rate_ml_per_h, d["ml_per_h"]),
            "max_dose_mg": self.max_dose_mg,
            "warnings": list(self.warnings),
            "engine_version": self.engine_version,
        }


def exceeds(value: float, limit: float) -> bool:
    """True when ``value`` is above ``limit`` by more than float noise (1e-9 relative)."""
    return value > limit and not math.isclose(value, limit, rel_tol=1e-9)


def outside(value: float, low: float, high: float) -> bool:
    """True when ``value`` is outside [low, high] by more than float noise."""
    return exceeds(value, high) or exceeds(low, value)


def _vial_and_bag_problems(concentration_mg_per_ml: float, bag_ml: float | None) -> list[str]:
    problems: list[str] = []
    if concentration_mg_per_ml <= 0:
        problems.append(errors.CONCENTRATION_NOT_POSITIVE)
    elif exceeds(concentration_mg_per_ml, MAX_VIAL_CONCENTRATION_MG_PER_ML):
        problems.append(
            errors.CONCENTRATION_TOO_HIGH.format(
                value=concentration_mg_per_ml, high=MAX_VIAL_CONCENTRATION_MG_PER_ML
            )
        )
    if bag_ml is not None and bag_ml <= 0:
        problems.append(errors.BAG_NOT_POSITIVE)
    return problems


def _build_order(
    *,
    protocol_name: str,
    weight: DosingWeight,
    mg_per_kg: float,
    mg_per_kg_per_h: float,
    minutes: float,
    infusion_mg: float,
    bolus_mg: float,
    concentration_mg_per_ml: float,
    bag_ml: float | None,
    max_dose_mg: float | None,
    max_rate_mg_per_h: float | None,
    warnings: list[str],
) -> DoseOrder:
    hours = minutes / 60.0
    dose_mg = infusion_mg + bolus_mg
    rate_mg_per_h = infusion_mg / hours
    drug_volume_ml = infusion_mg / concentration_mg_per_ml
    bolus_volume_ml = bolus_mg / concentration_mg_per_ml
    final_volume_ml = drug_volume_ml if bag_ml is None else bag_ml
    final_concentration = infusion_mg / final_volume_ml if final_volume_ml > 0 else 0.0

    problems: list[str] = []
    if max_dose_mg is not None and max_dose_mg <= 0:
        problems.append(errors.CAP_NOT_POSITIVE)
    elif max_dose_mg is not None and exceeds(dose_mg, max_dose_mg):
        problems.append(errors.DOSE_ABOVE_CAP.format(dose_mg=dose_mg, cap_mg=max_dose_mg))
    if max_rate_mg_per_h is not None and exceeds(rate_mg_per_h, max_rate_mg_per_h):
        problems.append(
            errors.RATE_ABOVE_CAP.format(rate_mg_per_h=rate_mg_per_h, cap_mg_per_h=max_rate_mg_per_h)
        )
    if bag_ml is not None and exceeds(drug_volume_ml, bag_ml):
        problems.append(errors.DRUG_VOLUME_EXCEEDS_BAG.format(drug_ml=drug_volume_ml, bag_ml=bag_ml))
    elif exceeds(final_concentration, MAX_IV_CONCENTRATION_MG_PER_ML):
        problems.append(
            errors.FINAL_CONCENTRATION_TOO_HIGH.format(
                value=final_concentration, high=MAX_IV_CONCENTRATION_MG_PER_ML
            )
        )
    if bolus_mg > 0 and exceeds(concentration_mg_per_ml, MAX_IV_CONCENTRATION_MG_PER_ML):
        problems.append(
            errors.FINAL_CONCENTRATION_TOO_HIGH.format(
                value=concentration_mg_per_ml, high=MAX_IV_CONCENTRATION_MG_PER_ML
            )
        )
    if problems:
        raise DoseError(problems)

    if not any(math.isclose(concentration_mg_per_ml, c) for c in KNOWN_VIAL_CONCENTRATIONS_MG_PER_ML):
        warnings.append(WARNING_UNUSUAL_VIAL.format(value=concentration_mg_per_ml))
    return DoseOrder(
        protocol_name=protocol_name,
        weight=weight,
        mg_per_kg=mg_per_kg,
        mg_per_kg_per_h=mg_per_kg_per_h,
        minutes=minutes,
        infusion_mg=infusion_mg,
        bolus_mg=bolus_mg,
        dose_mg=dose_mg,
        rate_mg_per_h=rate_mg_per_h,
        concentration_mg_per_ml=concentration_mg_per_ml,
        drug_volume_ml=drug_volume_ml,
        bolus_volume_ml=bolus_volume_ml,
        final_volume_ml=final_volume_ml,
        diluent_volume_ml=final_volume_ml - drug_volume_ml,
        final_concentration_mg_per_ml=final_concentration,
        pump_rate_ml_per_h=final_volume_ml / hours,
        max_dose_mg=max_dose_mg,
        warnings=(*weight.warnings, *warnings),
    )


def calculate_iv_infusion(
    inputs: IvInfusionInputs, protocol: IvDoseProtocol = IV_DEPRESSION_DEFAULT
) -> DoseOrder:
    """Calculate a fixed-dose IV order (mg/kg over minutes) under ``protocol``.

    dose (mg) = mg/kg × dosing weight (kg); rate (mg/h) = dose ÷ (minutes ÷ 60);
    drug volume (mL) = dose ÷ vial concentration (mg/mL); pump rate (mL/h) = final volume ÷ hours.
    Raises ``DoseError`` listing every hard stop; soft concerns go to ``DoseOrder.warnings``.
    """
    problems = [
        *check_number("mg_per_kg", inputs.mg_per_kg),
        *check_number("minutes", inputs.minutes),
        *check_number("concentration_mg_per_ml", inputs.concentration_mg_per_ml),
        *check_number("bag_ml", inputs.bag_ml),
        *check_number("max_dose_mg", inputs.max_dose_mg),
    ]
    if not problems:
        problems += weight_input_problems(
            actual_weight_kg=inputs.weight_kg,
            basis=inputs.weight_basis,
            height_cm=inputs.height_cm,
            sex=inputs.sex,
        )
        if outside(inputs.mg_per_kg, protocol.min_mg_per_kg, protocol.max_mg_per_kg):
            problems.append(
                errors.MG_PER_KG_OUT_OF_RANGE.format(
                    value=inputs.mg_per_kg, low=protocol.min_mg_per_kg, high=protocol.max_mg_per_kg
                )
            )
        if inputs.minutes <= 0:
            problems.append(errors.DURATION_NOT_POSITIVE)
        elif outside(inputs.minutes, protocol.min_minutes, protocol.max_minutes):
            problems.append(
                errors.MINUTES_OUT_OF_RANGE.format(
                    value=inputs.minutes, low=protocol.min_minutes, high=protocol.max_minutes
                )
            )
        problems += _vial_and_bag_problems(inputs.concentration_mg_per_ml, inputs.bag_ml)
    if problems:
        raise DoseError(problems)

    weight = dosing_weight(
        actual_weight_kg=inputs.weight_kg,
        basis=inputs.weight_basis,
        height_cm=inputs.height_cm,
        sex=inputs.sex,
    )
    warnings: list[str] = []
    if exceeds(inputs.mg_per_kg, protocol.warn_above_mg_per_kg):
        warnings.append(
            WARNING_ABOVE_USUAL_MG_PER_KG.format(value=inputs.mg_per_kg, limit=protocol.warn_above_mg_per_kg)
        )
    if exceeds(protocol.warn_below_minutes, inputs.minutes):
        warnings.append(
            WARNING_SHORT_INFUSION.format(value=inputs.minutes, limit=protocol.warn_below_minutes)
        )
    infusion_mg = inputs.mg_per_kg * weight.dosing_weight_kg
    return _build_order(
        protocol_name=protocol.name,
        weight=weight,
        mg_per_kg=inputs.mg_per_kg,
        mg_per_kg_per_h=inputs.mg_per_kg / (inputs.minutes / 60.0),
        minutes=inputs.minutes,
        infusion_mg=infusion_mg,
        bolus_mg=0.0,
        concentration_mg_per_ml=inputs.concentration_mg_per_ml,
        bag_ml=inputs.bag_ml,
        max_dose_mg=protocol.max_dose_mg if inputs.max_dose_mg is None else inputs.max_dose_mg,
        max_rate_mg_per_h=None,
        warnings=warnings,
    )


def calculate_iv_rate_infusion(inputs: IvRateInputs, protocol: IvRateProtocol = IV_PAIN_DEFAULT) -> DoseOrder:
    """Calculate a rate-based IV order (mg/kg/h for hours, optional bolus in mg/kg) under ``protocol``.

    rate (mg/h) = mg/kg/h × dosing weight (kg); infusion (mg) = rate × hours; bolus (mg) = mg/kg × weight;
    dose (mg) = infusion + bolus. The cap applies to the whole session dose.
    """
    problems = [
        *check_number("mg_per_kg_per_h", inputs.mg_per_kg_per_h),
        *check_number("hours", inputs.hours),
        *check_number("bolus_mg_per_kg", inputs.bolus_mg_per_kg),
        *check_number("concentration_mg_per_ml", inputs.concentration_mg_per_ml),
        *check_number("bag_ml", inputs.bag_ml),
        *check_number("max_dose_mg", inputs.max_dose_mg),
    ]
    if not problems:
        problems += weight_input_problems(
            actual_weight_kg=inputs.weight_kg,
            basis=inputs.weight_basis,
            height_cm=inputs.height_cm,
            sex=inputs.sex,
        )
        if outside(inputs.mg_per_kg_per_h, protocol.min_mg_per_kg_per_h, protocol.max_mg_per_kg_per_h):
            problems.append(
                errors.MG_PER_KG_PER_H_OUT_OF_RANGE.format(
                    value=inputs.mg_per_kg_per_h,
                    low=protocol.min_mg_per_kg_per_h,
                    high=protocol.max_mg_per_kg_per_h,
                )
            )
        if inputs.hours <= 0:
            problems.append(errors.DURATION_NOT_POSITIVE)
        elif outside(inputs.hours, protocol.min_hours, protocol.max_hours):
            problems.append(
                errors.HOURS_OUT_OF_RANGE.format(
                    value=inputs.hours, low=protocol.min_hours, high=protocol.max_hours
                )
            )
        if outside(inputs.bolus_mg_per_kg, 0.0, protocol.max_bolus_mg_per_kg):
            problems.append(
                errors.BOLUS_OUT_OF_RANGE.format(
                    value=inputs.bolus_mg_per_kg, high=protocol.max_bolus_mg_per_kg
                )
            )
        problems += _vial_and_bag_problems(inputs.concentration_mg_per_ml, inputs.bag_ml)
    if problems:
        raise DoseError(problems)

    weight = dosing_weight(
        actual_weight_kg=inputs.weight_kg,
        basis=inputs.weight_basis,
        height_cm=inputs.height_cm,
        sex=inputs.sex,
    )
    warnings: list[str] = []
    if exceeds(inputs.mg_per_kg_per_h, protocol.warn_above_mg_per_kg_per_h):
        warnings.append(
            WARNING_ABOVE_USUAL_RATE.format(
                value=inputs.mg_per_kg_per_h, limit=protocol.warn_above_mg_per_kg_per_h
            )
        )
    if exceeds(inputs.bolus_mg_per_kg, protocol.warn_above_bolus_mg_per_kg):
        warnings.append(
            WARNING_ABOVE_USUAL_BOLUS.format(
                value=inputs.bolus_mg_per_kg, limit=protocol.warn_above_bolus_mg_per_kg
            )
        )
    rate_mg_per_h = inputs.mg_per_kg_per_h * weight.dosing_weight_kg
    return _build_order(
        protocol_name=protocol.name,
        weight=weight,
        mg_per_kg=inputs.mg_per_kg_per_h * inputs.hours,
        mg_per_kg_per_h=inputs.mg_per_kg_per_h,
        minutes=inputs.hours * 60.0,
        infusion_mg=rate_mg_per_h * inputs.hours,
        bolus_mg=inputs.bolus_mg_per_kg * weight.dosing_weight_kg,
        concentration_mg_per_ml=inputs.concentration_mg_per_ml,
        bag_ml=inputs.bag_ml,
        max_dose_mg=protocol.max_dose_mg if inputs.max_dose_mg is None else inputs.max_dose_mg,
        max_rate_mg_per_h=protocol.max_rate_mg_per_h,
        warnings=warnings,
    )


@dataclass(frozen=True)
class EsketaminePlan:
    """How a nasal esketamine dose is given: whole devices, rest between them, minimum observation.

    ``minimum_monitoring_minutes`` counts from the first device, as the REMS Patient Monitoring Form does.
    """

    dose_mg: int
    devices: int
    device_mg: int
    minutes_between_devices: int
    minimum_monitoring_minutes: int
    engine_version: str = VERSION


def esketamine_plan(dose_mg: int, spec: EsketamineSpec = ESKETAMINE_DEFAULT) -> EsketaminePlan:
    """Turn an esketamine dose (mg) into a number of 28 mg devices; raises ``DoseError`` if not allowed."""
    if dose_mg not in spec.allowed_doses_mg or dose_mg % spec.device_mg != 0:
        allowed = ", ".join(str(d) for d in spec.allowed_doses_mg)
        raise DoseError([errors.ESKETAMINE_DOSE_NOT_ALLOWED.format(dose_mg=dose_mg, allowed=allowed)])
    return EsketaminePlan(
        dose_mg=dose_mg,
        devices=dose_mg // spec.device_mg,
        device_mg=spec.device_mg,
        minutes_between_devices=spec.minutes_between_devices,
        minimum_monitoring_minutes=spec.minimum_monitoring_minutes,
    )
