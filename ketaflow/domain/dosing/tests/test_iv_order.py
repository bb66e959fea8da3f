"""IV infusion orders: the figures in clinical.md ("Facts a software test can check" 16-19)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ketaflow.domain.dosing import (
    IV_DEPRESSION_DEFAULT,
    IV_PAIN_DEFAULT,
    VERSION,
    DoseError,
    IvInfusionInputs,
    IvRateInputs,
    Sex,
    WeightBasis,
    calculate_iv_infusion,
    calculate_iv_rate_infusion,
    errors,
)


def order(**overrides: object) -> IvInfusionInputs:
    values: dict[str, object] = {
        "mg_per_kg": 0.5,
        "minutes": 40.0,
        "weight_kg": 80.0,
        "concentration_mg_per_ml": 10.0,
        "bag_ml": 100.0,
    }
    values.update(overrides)
    return IvInfusionInputs(**values)  # type: ignore[arg-type]


def test_half_mg_per_kg_for_80_kg_over_40_minutes() -> None:
    result = calculate_iv_infusion(order())
    assert math.isclose(result.dose_mg, 40.0)
    assert math.isclose(result.rate_mg_per_h, 60.0)
    assert math.isclose(result.drug_volume_ml, 4.0)
    assert math.isclose(result.diluent_volume_ml, 96.0)
    assert math.isclose(result.final_concentration_mg_per_ml, 0.4)
    assert math.isclose(result.pump_rate_ml_per_h, 150.0)
    assert result.engine_version == VERSION
    assert result.weight.basis is WeightBasis.ACTUAL


def test_50_mg_per_ml_vial_gives_0_8_ml() -> None:
    assert math.isclose(calculate_iv_infusion(order(concentration_mg_per_ml=50.0)).drug_volume_ml, 0.8)


def test_70_kg_gives_35_mg_at_52_5_mg_per_h() -> None:
    result = calculate_iv_infusion(order(weight_kg=70.0))
    assert math.isclose(result.dose_mg, 35.0)
    assert math.isclose(result.rate_mg_per_h, 52.5)


def test_1_mg_per_kg_for_100_kg_reaches_the_default_cap_exactly_and_is_allowed() -> None:
    result = calculate_iv_infusion(order(mg_per_kg=1.0, weight_kg=100.0))
    assert math.isclose(result.dose_mg, 100.0)
    assert math.isclose(result.rate_mg_per_h, 150.0)
    assert result.warnings  # above the 0.75 mg/kg warning level


def test_display_rounds_but_keeps_the_exact_values() -> None:
    result = calculate_iv_infusion(order(weight_kg=73.3, concentration_mg_per_ml=50.0))
    assert result.dose_mg == pytest.approx(36.65)
    shown = result.display()
    assert shown["dose_mg"] == 36.6 or shown["dose_mg"] == 36.7
    assert shown["drug_volume_ml"] == 0.73
    assert shown["engine_version"] == VERSION


def test_adjusted_weight_basis_changes_the_dose() -> None:
    result = calculate_iv_infusion(
        order(weight_kg=120.0, weight_basis=WeightBasis.ADJUSTED, height_cm=177.8, sex=Sex.MALE)
    )
    assert math.isclose(result.weight.dosing_weight_kg, 91.8)
    assert math.isclose(result.dose_mg, 45.9)


def test_high_bmi_on_actual_weight_gets_a_warning() -> None:
    result = calculate_iv_infusion(order(weight_kg=120.0, height_cm=170.0, sex=Sex.FEMALE))
    assert any("BMI" in warning for warning in result.warnings)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"mg_per_kg": 1.0, "weight_kg": 120.0}, errors.DOSE_ABOVE_CAP.format(dose_mg=120.0, cap_mg=100.0)),
        ({"max_dose_mg": 30.0}, errors.DOSE_ABOVE_CAP.format(dose_mg=40.0, cap_mg=30.0)),
        ({"mg_per_kg": 1.5}, errors.MG_PER_KG_OUT_OF_RANGE.format(value=1.5, low=0.1, high=1.0)),
        ({"mg_per_kg": 0.05}, errors.MG_PER_KG_OUT_OF_RANGE.format(value=0.05, low=0.1, high=1.0)),
        ({"weight_kg": 19.0}, errors.WEIGHT_OUT_OF_RANGE.format(value=19.0, low=20.0, high=300.0)),
        ({"weight_kg": 301.0}, errors.WEIGHT_OUT_OF_RANGE.format(value=301.0, low=20.0, high=300.0)),
        (
            {"height_cm": 99.0, "sex": Sex.MALE},
            errors.HEIGHT_OUT_OF_RANGE.format(value=99.0, low=100.0, high=250.0),
        ),
        ({"concentration_mg_per_ml": 0.0}, errors.CONCENTRATION_NOT_POSITIVE),
        ({"concentration_mg_per_ml": -10.0}, errors.CONCENTRATION_NOT_POSITIVE),
        ({"concentration_mg_per_ml": 200.0}, errors.CONCENTRATION_TOO_HIGH.format(value=200.0, high=100.0)),
        ({"bag_ml": 0.0}, errors.BAG_NOT_POSITIVE),
        ({"bag_ml": 2.0}, errors.DRUG_VOLUME_EXCEEDS_BAG.format(drug_ml=4.0, bag_ml=2.0)),
        ({"minutes": 0.0}, errors.DURATION_NOT_POSITIVE),
        ({"minutes": 240.0}, errors.MINUTES_OUT_OF_RANGE.format(value=240.0, low=2.0, high=100.0)),
        (
            {"concentration_mg_per_ml": 100.0, "bag_ml": None},
            errors.FINAL_CONCENTRATION_TOO_HIGH.format(value=100.0, high=50.0),
        ),
        ({"weight_kg": math.nan}, errors.NOT_A_NUMBER.format(field="weight_kg")),
    ],
)
def test_unsafe_orders_are_hard_stops(overrides: dict[str, object], message: str) -> None:
    with pytest.raises(DoseError) as excinfo:
        calculate_iv_infusion(order(**overrides))
    assert message in excinfo.value.messages


def test_all_problems_are_reported_together() -> None:
    with pytest.raises(DoseError) as excinfo:
        calculate_iv_infusion(order(weight_kg=500.0, concentration_mg_per_ml=0.0))
    assert len(excinfo.value.messages) == 2
    assert str(excinfo.value) == " ".join(excinfo.value.messages)


def test_undiluted_syringe_uses_the_drug_volume_as_final_volume() -> None:
    result = calculate_iv_infusion(order(bag_ml=None))
    assert math.isclose(result.final_volume_ml, 4.0)
    assert math.isclose(result.pump_rate_ml_per_h, 6.0)


def test_crps_protocol_0_35_mg_per_kg_per_h_for_70_kg_over_4_h_is_98_mg() -> None:
    result = calculate_iv_rate_infusion(
        IvRateInputs(
            mg_per_kg_per_h=0.35, hours=4.0, weight_kg=70.0, concentration_mg_per_ml=10.0, bag_ml=250.0
        ),
        IV_PAIN_DEFAULT,
    )
    assert math.isclose(result.rate_mg_per_h, 24.5)
    assert math.isclose(result.dose_mg, 98.0)
    assert math.isclose(result.drug_volume_ml, 9.8)
    assert math.isclose(result.pump_rate_ml_per_h, 62.5)
    assert result.warnings == ()


def test_pain_rate_above_2_mg_per_kg_per_h_is_warned_not_blocked() -> None:
    result = calculate_iv_rate_infusion(
        IvRateInputs(
            mg_per_kg_per_h=2.5, hours=1.0, weight_kg=70.0, concentration_mg_per_ml=50.0, bag_ml=100.0
        )
    )
    assert any("above 2 mg/kg/h" in warning for warning in result.warnings)


def test_pain_bolus_above_0_35_mg_per_kg_is_warned_and_counted() -> None:
    result = calculate_iv_rate_infusion(
        IvRateInputs(
            mg_per_kg_per_h=0.5,
            hours=2.0,
            weight_kg=70.0,
            concentration_mg_per_ml=10.0,
            bag_ml=250.0,
            bolus_mg_per_kg=0.5,
        )
    )
    assert math.isclose(result.bolus_mg, 35.0)
    assert math.isclose(result.dose_mg, 70.0 + 35.0)
    assert any("bolus" in warning for warning in result.warnings)


def test_pain_session_dose_cap_is_a_hard_stop() -> None:
    with pytest.raises(DoseError) as excinfo:
        calculate_iv_rate_infusion(
            IvRateInputs(
                mg_per_kg_per_h=1.0,
                hours=4.0,
                weight_kg=100.0,
                concentration_mg_per_ml=10.0,
                bag_ml=500.0,
                max_dose_mg=300.0,
            )
        )
    assert errors.DOSE_ABOVE_CAP.format(dose_mg=400.0, cap_mg=300.0) in excinfo.value.messages


def test_protocol_defaults_cite_their_sources() -> None:
    assert IV_DEPRESSION_DEFAULT.mg_per_kg == 0.5
    assert IV_DEPRESSION_DEFAULT.minutes == 40
    assert "Murrough" in IV_DEPRESSION_DEFAULT.source
    assert "ASRA" in IV_PAIN_DEFAULT.source


def test_a_zero_cap_is_refused() -> None:
    with pytest.raises(DoseError) as excinfo:
        calculate_iv_infusion(order(max_dose_mg=0.0))
    assert excinfo.value.messages == (errors.CAP_NOT_POSITIVE,)


@given(
    mg_per_kg=st.floats(min_value=0.1, max_value=1.0),
    minutes=st.floats(min_value=2.0, max_value=100.0),
    weight_kg=st.floats(min_value=20.0, max_value=300.0),
    concentration=st.sampled_from([10.0, 50.0, 100.0]),
    bag_ml=st.sampled_from([50.0, 100.0, 250.0, 500.0]),
)
def test_order_quantities_are_consistent(
    mg_per_kg: float, minutes: float, weight_kg: float, concentration: float, bag_ml: float
) -> None:
    try:
        result = calculate_iv_infusion(
            order(
                mg_per_kg=mg_per_kg,
                minutes=minutes,
                weight_kg=weight_kg,
                concentration_mg_per_ml=concentration,
                bag_ml=bag_ml,
                max_dose_mg=1000.0,
            )
        )
    except DoseError as exc:  # only the bag can be too small
        assert all("bag volume" in m for m in exc.messages)
        return
    assert math.isclose(result.dose_mg, mg_per_kg * weight_kg)
    assert math.isclose(result.drug_volume_ml * concentration, result.dose_mg)
    assert math.isclose(result.rate_mg_per_h * minutes / 60, result.dose_mg)
    assert math.isclose(result.pump_rate_ml_per_h * minutes / 60, result.final_volume_ml)
    # what the pump delivers at the final concentration is the ordered dose
    assert math.isclose(
        result.pump_rate_ml_per_h * result.final_concentration_mg_per_ml, result.rate_mg_per_h
    )
    assert result.drug_volume_ml <= bag_ml
