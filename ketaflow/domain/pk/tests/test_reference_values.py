"""Published/recomputed reference concentrations (clinical.md, PK sections 2, 4a and 4b) to relative 1e-6."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.domain.pk import Covariates, Schedule, get_model, simulate

ADULT = Covariates(weight_kg=70.0, age_years=40.0, height_cm=170.0, sex="male")
TIMES_4A = (10.0, 20.0, 40.0, 60.0, 120.0, 240.0)
TIMES_4B = (10.0, 20.0, 40.0, 60.0, 120.0, 240.0, 300.0, 360.0)

# clinical.md 4a: 0.5 mg/kg (35 mg) over 40 min, plasma ng/mL
DEPRESSION_4A = {
    "domino": (181.809126, 209.584224, 240.330811, 55.108418, 35.829947, 17.340968),
    "kamp2020": (154.531515, 198.270563, 253.051835, 95.859956, 49.906191, 25.620787),
    "clements1981": (62.032422, 109.479524, 177.313276, 115.415174, 58.834227, 34.567507),
    "hijazi2003": (94.505886, 156.738453, 225.343546, 99.649267, 13.147363, 4.591324),
    "herd2007": (131.968001, 186.547294, 253.424892, 119.324083, 68.133417, 24.200111),
    "hornik2018": (212.779941, 347.628504, 495.558300, 223.310762, 70.802446, 48.428743),
}

# clinical.md 4b: 35 mg/h for 240 min then stop, plasma ng/mL
PAIN_4B = {
    "domino": (121.206084, 139.722816, 160.220540, 176.461762, 214.646576, 259.685641, 96.078962, 66.837307),
    "kamp2020": (
        103.021010,
        132.180376,
        168.701223,
        196.087013,
        251.129353,
        313.855390,
        138.719828,
        100.287327,
    ),
    "clements1981": (
        41.354948,
        72.986349,
        118.208850,
        149.929799,
        213.920541,
        295.657492,
        174.337238,
        133.133895,
    ),
    "hijazi2003": (
        63.003924,
        104.492302,
        150.229031,
        170.925147,
        189.682703,
        200.743514,
        33.873646,
        18.636469,
    ),
    "herd2007": (
        87.978667,
        124.364863,
        168.949928,
        203.914252,
        278.651783,
        349.733870,
        161.639130,
        96.329670,
    ),
    "hornik2018": (
        141.853294,
        231.752336,
        330.372200,
        380.626178,
        460.091554,
        567.297258,
        229.811033,
        187.886572,
    ),
}

# clinical.md section 2 (Otto 2021 typical values): 35 mg S-ketamine over 40 min, venous ng/mL
OTTO_S_KETAMINE = (56.095322, 97.962477, 158.041733, 103.754833, 55.105604, 25.165502)
OTTO_S_NORKETAMINE = (4.487747, 15.422660, 47.085424, 68.451828, 71.664406, 49.512917)
OTTO_S_KETAMINE_FROM_17_5_MG = (28.047661, 48.981238, 79.020866, 51.877417, 27.552802, 12.582751)


@pytest.mark.parametrize("model_id", sorted(DEPRESSION_4A))
def test_depression_protocol_matches_reference_table_4a(model_id: str) -> None:
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    result = simulate(get_model(model_id), ADULT, schedule, TIMES_4A)
    np.testing.assert_allclose(result.plasma_ng_per_ml, DEPRESSION_4A[model_id], rtol=1e-6)


@pytest.mark.parametrize("model_id", sorted(PAIN_4B))
def test_pain_protocol_matches_reference_table_4b(model_id: str) -> None:
    schedule = Schedule.from_segments([(0.0, 240.0, 35.0 / 60.0)])
    result = simulate(get_model(model_id), ADULT, schedule, TIMES_4B)
    np.testing.assert_allclose(result.plasma_ng_per_ml, PAIN_4B[model_id], rtol=1e-6)


def test_domino_example_from_the_issue() -> None:
    schedule = Schedule.constant_infusion(dose_mg=0.5 * 70.0, start_min=0.0, duration_min=40.0)
    result = simulate(get_model("domino"), ADULT, schedule, [40.0])
    assert result.plasma_ng_per_ml[0] == pytest.approx(240.330811, rel=1e-6)


def test_otto_s_ketamine_and_s_norketamine_match_reference() -> None:
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    result = simulate(get_model("otto2021"), ADULT, schedule, TIMES_4A)
    np.testing.assert_allclose(result.plasma_ng_per_ml, OTTO_S_KETAMINE, rtol=1e-6)
    assert result.metabolite_ng_per_ml is not None
    np.testing.assert_allclose(result.metabolite_ng_per_ml, OTTO_S_NORKETAMINE, rtol=1e-6)


def test_otto_s_half_of_a_racemic_dose_matches_reference() -> None:
    schedule = Schedule.constant_infusion(dose_mg=17.5, start_min=0.0, duration_min=40.0)
    result = simulate(get_model("otto2021"), ADULT, schedule, TIMES_4A)
    np.testing.assert_allclose(result.plasma_ng_per_ml, OTTO_S_KETAMINE_FROM_17_5_MG, rtol=1e-6)


def test_kamp_steady_state_equals_rate_over_clearance() -> None:
    # clinical.md 4c: 0.58333 mg/min / 1.4 L/min = 416.667 ng/mL
    schedule = Schedule.from_segments([(0.0, 1e5, 35.0 / 60.0)])
    result = simulate(get_model("kamp2020"), ADULT, schedule, [9e4])
    assert result.plasma_ng_per_ml[0] == pytest.approx(35.0 / 60.0 / 1.4 * 1000.0, rel=1e-9)
    assert result.effect_ng_per_ml[0] == pytest.approx(35.0 / 60.0 / 1.4 * 1000.0, rel=1e-9)
