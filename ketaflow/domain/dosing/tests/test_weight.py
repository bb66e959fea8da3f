"""Weight bases: actual, ideal (Devine 1974) and adjusted body weight, and BMI."""

import math

import pytest

from ketaflow.domain.dosing import (
    ADJUSTED_BODY_WEIGHT_FORMULA,
    DEVINE_IDEAL_BODY_WEIGHT_FORMULA,
    DoseError,
    Sex,
    WeightBasis,
    adjusted_body_weight_kg,
    body_mass_index,
    dosing_weight,
    ideal_body_weight_kg,
)
from ketaflow.domain.dosing.errors import HEIGHT_REQUIRED, SEX_REQUIRED


@pytest.mark.parametrize(
    ("height_cm", "sex", "expected_kg"),
    [
        (152.4, Sex.MALE, 50.0),  # exactly 60 in: the base weight
        (152.4, Sex.FEMALE, 45.5),
        (177.8, Sex.MALE, 50.0 + 2.3 * 10),  # 70 in
        (177.8, Sex.FEMALE, 45.5 + 2.3 * 10),
        (165.1, Sex.FEMALE, 45.5 + 2.3 * 5),  # 65 in
    ],
)
def test_ideal_body_weight_follows_devine(height_cm: float, sex: Sex, expected_kg: float) -> None:
    assert math.isclose(ideal_body_weight_kg(height_cm=height_cm, sex=sex), expected_kg, rel_tol=1e-9)


def test_adjusted_body_weight_adds_forty_percent_of_the_excess() -> None:
    # IBW 73 kg (male, 70 in), actual 120 kg: 73 + 0.4 * 47 = 91.8 kg
    assert math.isclose(
        adjusted_body_weight_kg(actual_weight_kg=120, height_cm=177.8, sex=Sex.MALE), 91.8, rel_tol=1e-9
    )


def test_body_mass_index_is_weight_over_height_squared() -> None:
    assert math.isclose(body_mass_index(weight_kg=80, height_cm=200), 20.0, rel_tol=1e-12)


def test_dosing_weight_records_basis_formula_and_source() -> None:
    weight = dosing_weight(actual_weight_kg=120, basis=WeightBasis.ADJUSTED, height_cm=177.8, sex=Sex.MALE)
    assert weight.basis is WeightBasis.ADJUSTED
    assert math.isclose(weight.dosing_weight_kg, 91.8)
    assert math.isclose(weight.ideal_weight_kg or 0, 73.0)
    assert weight.formula is ADJUSTED_BODY_WEIGHT_FORMULA
    assert "Devine" in DEVINE_IDEAL_BODY_WEIGHT_FORMULA.source
    assert weight.bmi is not None and weight.bmi > 37


def test_actual_basis_needs_no_height() -> None:
    weight = dosing_weight(actual_weight_kg=80, basis=WeightBasis.ACTUAL)
    assert weight.dosing_weight_kg == 80
    assert weight.bmi is None


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"height_cm": None, "sex": Sex.MALE}, HEIGHT_REQUIRED),
        ({"height_cm": 170.0, "sex": None}, SEX_REQUIRED),
    ],
)
def test_ideal_basis_without_height_or_sex_is_a_hard_stop(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(DoseError) as excinfo:
        dosing_weight(actual_weight_kg=80, basis=WeightBasis.IDEAL, **kwargs)  # type: ignore[arg-type]
    assert message in excinfo.value.messages


def test_dosing_weight_above_actual_weight_is_warned() -> None:
    # a light, tall patient: IBW 73 kg > actual 60 kg
    weight = dosing_weight(actual_weight_kg=60, basis=WeightBasis.IDEAL, height_cm=177.8, sex=Sex.MALE)
    assert weight.warnings
