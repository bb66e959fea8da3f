"""Independent double check by a second clinician."""

import pytest

from ketaflow.domain.dosing import (
    DoseOrder,
    DoubleCheckEntry,
    IvInfusionInputs,
    calculate_iv_infusion,
    double_check,
)


@pytest.fixture
def ordered() -> DoseOrder:
    return calculate_iv_infusion(
        IvInfusionInputs(mg_per_kg=0.5, minutes=40, weight_kg=80, concentration_mg_per_ml=10, bag_ml=100)
    )


@pytest.mark.parametrize(
    ("entry", "mismatched_fields"),
    [
        (DoubleCheckEntry(weight_kg=80.0, concentration_mg_per_ml=10.0), ()),
        (DoubleCheckEntry(weight_kg=80.05, concentration_mg_per_ml=10.0), ()),  # within 0.1 kg
        (DoubleCheckEntry(weight_kg=82.0, concentration_mg_per_ml=10.0), ("weight_kg",)),
        (DoubleCheckEntry(weight_kg=80.0, concentration_mg_per_ml=50.0), ("concentration_mg_per_ml",)),
        (
            DoubleCheckEntry(weight_kg=8.0, concentration_mg_per_ml=100.0),
            ("weight_kg", "concentration_mg_per_ml"),
        ),
        (
            DoubleCheckEntry(
                weight_kg=80.0, concentration_mg_per_ml=10.0, dose_mg=40.0, pump_rate_ml_per_h=150.0
            ),
            (),
        ),
        (
            DoubleCheckEntry(
                weight_kg=80.0, concentration_mg_per_ml=10.0, dose_mg=400.0, pump_rate_ml_per_h=15.0
            ),
            ("dose_mg", "pump_rate_ml_per_h"),
        ),
    ],
)
def test_double_check_lists_each_mismatch(
    ordered: DoseOrder, entry: DoubleCheckEntry, mismatched_fields: tuple[str, ...]
) -> None:
    result = double_check(ordered, entry)
    assert result.matches is (not mismatched_fields)
    assert tuple(m.field for m in result.mismatches) == mismatched_fields
    for mismatch in result.mismatches:
        assert mismatch.field in mismatch.message


def test_tolerance_is_configurable() -> None:
    ordered = calculate_iv_infusion(
        IvInfusionInputs(mg_per_kg=0.5, minutes=40, weight_kg=80, concentration_mg_per_ml=10, bag_ml=100)
    )
    entry = DoubleCheckEntry(weight_kg=80.4, concentration_mg_per_ml=10.0)
    assert not double_check(ordered, entry).matches
    assert double_check(ordered, entry, weight_tolerance_kg=0.5).matches
