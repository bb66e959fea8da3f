"""Weight bases for mg/kg dosing: actual, ideal (Devine) and adjusted body weight, and BMI.

No guideline settles which weight IV ketamine should be dosed on (clinical.md §1.1), so the basis is a
protocol choice and every order records the basis, the formula and its source.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from ketaflow.domain.dosing import errors
from ketaflow.domain.dosing.errors import DoseError

# Accepted input ranges: an adult outpatient clinic. These catch typing slips (8 kg for 80 kg) and unit
# mix-ups (pounds, inches); they are engineering limits, not clinical thresholds.
MIN_WEIGHT_KG = 20.0
MAX_WEIGHT_KG = 300.0
MIN_HEIGHT_CM = 100.0
MAX_HEIGHT_CM = 250.0

CM_PER_INCH = 2.54
# Devine 1974: 50 kg (men) / 45.5 kg (women) for 60 in, plus 2.3 kg per inch above 60 in (clinical.md §1.1)
DEVINE_BASE_KG_MALE = 50.0
DEVINE_BASE_KG_FEMALE = 45.5
DEVINE_KG_PER_INCH = 2.3
DEVINE_BASE_HEIGHT_IN = 60.0
# Adjusted body weight: IBW + 0.4 x (actual - IBW) (clinical.md §1.1)
ADJUSTED_WEIGHT_FACTOR = 0.4
# WHO adult BMI class "obese" starts at 30; clinical.md §1.1 mentions considering ideal/adjusted weight
# above BMI 30 (attribution to APA-2017 UNVERIFIED), so we only warn.
BMI_WARNING_THRESHOLD = 30.0


class WeightBasis(StrEnum):
    ACTUAL = "actual"
    IDEAL = "ideal"
    ADJUSTED = "adjusted"


class Sex(StrEnum):
    """Sex used by the Devine formula (it has only these two branches)."""

    MALE = "male"
    FEMALE = "female"


@dataclass(frozen=True)
class WeightFormula:
    """A formula as data, so the UI can show what was used and where it comes from."""

    name: str
    expression: str
    source: str


ACTUAL_BODY_WEIGHT_FORMULA = WeightFormula(
    name="Actual body weight",
    expression="dosing weight = weight measured today (kg)",
    source="Measured on the clinic scale on the day of treatment.",
)
DEVINE_IDEAL_BODY_WEIGHT_FORMULA = WeightFormula(
    name="Ideal body weight (Devine)",
    expression="men: 50 kg + 2.3 kg x (height in inches - 60); women: 45.5 kg + 2.3 kg x (height in inches - 60); "
    "1 in = 2.54 cm",
    source="Devine BJ, Drug Intell Clin Pharm 1974;8:650-655 (as given in clinical.md §1.1).",
)
ADJUSTED_BODY_WEIGHT_FORMULA = WeightFormula(
    name="Adjusted body weight",
    expression="IBW + 0.4 x (actual weight - IBW), IBW by Devine",
    source="Standard 0.4 correction factor for obese patients (as given in clinical.md §1.1).",
)
BMI_FORMULA = WeightFormula(
    name="Body mass index",
    expression="weight (kg) / height (m)^2",
    source="Quetelet index; WHO adult classification.",
)

FORMULA_FOR_BASIS: dict[WeightBasis, WeightFormula] = {
    WeightBasis.ACTUAL: ACTUAL_BODY_WEIGHT_FORMULA,
    WeightBasis.IDEAL: DEVINE_IDEAL_BODY_WEIGHT_FORMULA,
    WeightBasis.ADJUSTED: ADJUSTED_BODY_WEIGHT_FORMULA,
}

WARNING_DEVINE_SHORT = "Height is under 152.4 cm (60 in); the Devine formula was not designed for it."
WARNING_DOSING_WEIGHT_ABOVE_ACTUAL = (
    "The {basis} body weight ({dosing_kg:.1f} kg) is more than the actual weight ({actual_kg:.1f} kg); "
    "consider dosing on actual weight."
)
WARNING_HIGH_BMI = (
    "BMI is {bmi:.1f} (30 or more) and the dose uses actual weight; consider ideal or adjusted weight."
)


@dataclass(frozen=True)
class DosingWeight:
    """The weight an order is calculated on, with how it was obtained.

    All weights are in kg and unrounded; ``bmi`` is in kg/m² and is ``None`` without a height.
    """

    basis: WeightBasis
    actual_weight_kg: float
    dosing_weight_kg: float
    formula: WeightFormula
    height_cm: float | None = None
    sex: Sex | None = None
    ideal_weight_kg: float | None = None
    bmi: float | None = None
    warnings: tuple[str, ...] = ()


def ideal_body_weight_kg(*, height_cm: float, sex: Sex) -> float:
    """Ideal body weight in kg by Devine from height in cm (see ``DEVINE_IDEAL_BODY_WEIGHT_FORMULA``).

    Below 60 in the formula is extended linearly; ``dosing_weight`` warns about it.
    """
    base = DEVINE_BASE_KG_MALE if sex is Sex.MALE else DEVINE_BASE_KG_FEMALE
    return base + DEVINE_KG_PER_INCH * (height_cm / CM_PER_INCH - DEVINE_BASE_HEIGHT_IN)


def adjusted_body_weight_kg(*, actual_weight_kg: float, height_cm: float, sex: Sex) -> float:
    """Adjusted body weight in kg: IBW + 0.4 × (actual − IBW), with IBW by Devine."""
    ideal = ideal_body_weight_kg(height_cm=height_cm, sex=sex)
    return ideal + ADJUSTED_WEIGHT_FACTOR * (actual_weight_kg - ideal)


def body_mass_index(*, weight_kg: float, height_cm: float) -> float:
    """Body mass index in kg/m² from weight in kg and height in cm."""
    height_m = height_cm / 100.0
    return weight_kg / (height_m * height_m)


def check_number(field: str, value: float | None) -> list[str]:
    """Return a hard-stop message if ``value`` is NaN or infinite (``None`` is allowed)."""
    if value is not None and not math.isfinite(value):
        return [errors.NOT_A_NUMBER.format(field=field)]
    return []


def weight_problems(*, weight_kg: float, height_cm: float | None) -> list[str]:
    """Hard-stop messages for a weight (kg) or height (cm) outside the accepted ranges."""
    problems = check_number("weight_kg", weight_kg) + check_number("height_cm", height_cm)
    if problems:
        return problems
    if not MIN_WEIGHT_KG <= weight_kg <= MAX_WEIGHT_KG:
        problems.append(
            errors.WEIGHT_OUT_OF_RANGE.format(value=weight_kg, low=MIN_WEIGHT_KG, high=MAX_WEIGHT_KG)
        )
    if height_cm is not None and not MIN_HEIGHT_CM <= height_cm <= MAX_HEIGHT_CM:
        problems.append(
            errors.HEIGHT_OUT_OF_RANGE.format(value=height_cm, low=MIN_HEIGHT_CM, high=MAX_HEIGHT_CM)
        )
    return problems


def weight_input_problems(
    *, actual_weight_kg: float, basis: WeightBasis, height_cm: float | None, sex: Sex | None
) -> list[str]:
    """Every hard-stop message for the weight inputs (empty when they are usable)."""
    problems = weight_problems(weight_kg=actual_weight_kg, height_cm=height_cm)
    if basis is not WeightBasis.ACTUAL:
        if height_cm is None:
            problems.append(errors.HEIGHT_REQUIRED)
        if sex is None:
            problems.append(errors.SEX_REQUIRED)
    return problems


def dosing_weight(
    *,
    actual_weight_kg: float,
    basis: WeightBasis = WeightBasis.ACTUAL,
    height_cm: float | None = None,
    sex: Sex | None = None,
) -> DosingWeight:
    """Work out the dosing weight in kg on ``basis``; raises ``DoseError`` on unsafe inputs.

    Height (cm) and sex are required for the ideal and adjusted bases. A dosing weight above the actual
    weight, a height under 60 in, and BMI ≥ 30 on actual weight give warnings, not hard stops.
    """
    problems = weight_input_problems(
        actual_weight_kg=actual_weight_kg, basis=basis, height_cm=height_cm, sex=sex
    )
    if problems:
        raise DoseError(problems)

    warnings: list[str] = []
    bmi = body_mass_index(weight_kg=actual_weight_kg, height_cm=height_cm) if height_cm is not None else None
    ideal = (
        ideal_body_weight_kg(height_cm=height_cm, sex=sex)
        if height_cm is not None and sex is not None
        else None
    )
    if basis is WeightBasis.ACTUAL:
        weight_kg = actual_weight_kg
        if bmi is not None and bmi >= BMI_WARNING_THRESHOLD:
            warnings.append(WARNING_HIGH_BMI.format(bmi=bmi))
    else:
        assert ideal is not None and height_cm is not None
        if height_cm < DEVINE_BASE_HEIGHT_IN * CM_PER_INCH:
            warnings.append(WARNING_DEVINE_SHORT)
        weight_kg = (
            ideal
            if basis is WeightBasis.IDEAL
            else ideal + ADJUSTED_WEIGHT_FACTOR * (actual_weight_kg - ideal)
        )
        if weight_kg > actual_weight_kg:
            warnings.append(
                WARNING_DOSING_WEIGHT_ABOVE_ACTUAL.format(
                    basis=basis.value, dosing_kg=weight_kg, actual_kg=actual_weight_kg
                )
            )
    return DosingWeight(
        basis=basis,
        actual_weight_kg=actual_weight_kg,
        dosing_weight_kg=weight_kg,
        formula=FORMULA_FOR_BASIS[basis],
        height_cm=height_cm,
        sex=sex,
        ideal_weight_kg=ideal,
        bmi=bmi,
        warnings=tuple(warnings),
    )
