"""Impossible vital-sign values are refused with a clear message."""

import math

import pytest

from ketaflow.domain.monitoring import VitalSignError, validate_vital_signs, vital_sign_problems, vitals
from ketaflow.domain.monitoring.tests.helpers import NORMAL, reading


def test_a_normal_reading_is_accepted() -> None:
    assert vital_sign_problems(reading(0, **NORMAL, etco2_mmhg=38.0, temperature_c=36.8, moaas=5)) == ()


@pytest.mark.parametrize(
    ("values", "message"),
    [
        (
            {"sbp_mmhg": 400.0},
            vitals.IMPLAUSIBLE_VALUE.format(label="Systolic BP", value=400, unit=" mmHg", low=40, high=300),
        ),
        (
            {"spo2_pct": 120.0},
            vitals.IMPLAUSIBLE_VALUE.format(label="SpO2", value=120, unit="%", low=50, high=100),
        ),
        (
            {"dbp_mmhg": 5.0},
            vitals.IMPLAUSIBLE_VALUE.format(label="Diastolic BP", value=5, unit=" mmHg", low=20, high=200),
        ),
        (
            {"hr_per_min": 400.0},
            vitals.IMPLAUSIBLE_VALUE.format(label="Heart rate", value=400, unit="/min", low=20, high=250),
        ),
        (
            {"rr_per_min": 90.0},
            vitals.IMPLAUSIBLE_VALUE.format(label="Respiratory rate", value=90, unit="/min", low=0, high=70),
        ),
        (
            {"etco2_mmhg": 150.0},
            vitals.IMPLAUSIBLE_VALUE.format(label="EtCO2", value=150, unit=" mmHg", low=0, high=100),
        ),
        (
            {"temperature_c": 98.6},
            vitals.IMPLAUSIBLE_VALUE.format(label="Temperature", value=98.6, unit=" °C", low=30, high=44),
        ),
        ({"moaas": 7}, vitals.IMPLAUSIBLE_VALUE.format(label="MOAA/S", value=7, unit="", low=0, high=5)),
        ({"moaas": 2.5}, vitals.MOAAS_NOT_WHOLE),
        ({"sbp_mmhg": 80.0, "dbp_mmhg": 90.0}, vitals.DIASTOLIC_NOT_BELOW_SYSTOLIC),
        ({"hr_per_min": math.nan}, vitals.NOT_A_NUMBER.format(label="Heart rate")),
        ({}, vitals.EMPTY_READING),
    ],
)
def test_impossible_values_are_refused(values: dict[str, float], message: str) -> None:
    problems = vital_sign_problems(reading(0, **values))
    assert message in problems
    with pytest.raises(VitalSignError) as excinfo:
        validate_vital_signs(reading(0, **values))
    assert message in excinfo.value.messages


def test_apnoea_is_a_real_reading_not_an_impossible_one() -> None:
    assert vital_sign_problems(reading(0, rr_per_min=0.0, etco2_mmhg=0.0)) == ()
