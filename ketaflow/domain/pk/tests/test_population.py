"""Population simulation: vectorised virtual patients and percentiles."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.domain.pk import Covariates, PKModelError, Schedule, get_model, simulate, simulate_population
from ketaflow.domain.pk.solver import build_system, reference_solve

TIMES = np.array([10.0, 20.0, 40.0, 60.0, 120.0, 240.0])
SCHEDULE = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)


def test_each_virtual_patient_matches_its_own_matrix_exponential() -> None:
    model = get_model("kamp2020")
    population = simulate_population(
        model, [Covariates(weight_kg=w) for w in (50.0, 70.0, 90.0)], SCHEDULE, TIMES
    )
    system = build_system(population.parameters)
    for i in range(3):
        ref = reference_solve(
            system.rate_matrix[i], system.input_vector, system.output_matrix[i], SCHEDULE, TIMES
        )
        np.testing.assert_allclose(population.plasma_ng_per_ml[i], ref[0], rtol=1e-9)
        np.testing.assert_allclose(population.effect_ng_per_ml[i], ref[-1], rtol=1e-9)


def test_every_virtual_patient_differs_and_percentiles_are_ordered() -> None:
    population = simulate_population(
        get_model("kamp2020"), [Covariates(weight_kg=70.0)] * 500, SCHEDULE, TIMES
    )
    assert np.unique(population.plasma_ng_per_ml[:, 2]).size == 500
    p5, p50, p95 = population.percentiles()
    assert np.all(p5 < p50) and np.all(p50 < p95)


def test_median_is_close_to_the_typical_patient() -> None:
    model = get_model("kamp2020")
    population = simulate_population(model, [Covariates(weight_kg=70.0)] * 2000, SCHEDULE, TIMES, seed=1)
    typical = simulate(model, Covariates(weight_kg=70.0), SCHEDULE, TIMES)
    np.testing.assert_allclose(population.percentiles([50.0])[0], typical.plasma_ng_per_ml, rtol=0.06)


def test_zero_variability_reproduces_the_typical_curve() -> None:
    model = get_model("otto2021")
    population = simulate_population(
        model, [Covariates(weight_kg=70.0)] * 3, SCHEDULE, TIMES, omega=np.zeros((4, 4))
    )
    typical = simulate(model, Covariates(weight_kg=70.0), SCHEDULE, TIMES)
    np.testing.assert_allclose(
        population.plasma_ng_per_ml, np.tile(typical.plasma_ng_per_ml, (3, 1)), rtol=1e-12
    )


def test_per_patient_schedules_are_supported() -> None:
    model = get_model("domino")
    covs = [Covariates(weight_kg=60.0), Covariates(weight_kg=80.0)]
    schedules = [SCHEDULE, SCHEDULE.scaled(2.0)]
    population = simulate_population(model, covs, schedules, TIMES, omega=np.zeros((6, 6)))
    np.testing.assert_allclose(population.plasma_ng_per_ml[1], 2 * population.plasma_ng_per_ml[0] * 60 / 80)


def test_otto_population_carries_s_norketamine_and_its_residual_error() -> None:
    model = get_model("otto2021")
    covs = [Covariates(weight_kg=70.0)] * 4000
    exact = simulate_population(model, covs, SCHEDULE, TIMES, seed=3)
    measured = simulate_population(model, covs, SCHEDULE, TIMES, seed=3, residual_error=True)
    assert exact.metabolite_ng_per_ml is not None and measured.metabolite_ng_per_ml is not None
    ratio = measured.plasma_ng_per_ml / exact.plasma_ng_per_ml
    assert np.std(ratio) == pytest.approx(0.23609, rel=0.05)  # Otto 2021 proportional residual SD
    metabolite_ratio = measured.metabolite_ng_per_ml / exact.metabolite_ng_per_ml
    assert np.std(metabolite_ratio) == pytest.approx(0.14261, rel=0.05)


def test_residual_error_is_refused_when_the_model_publishes_none() -> None:
    with pytest.raises(PKModelError, match="publishes no residual error"):
        simulate_population(
            get_model("kamp2020"), [Covariates(weight_kg=70.0)], SCHEDULE, TIMES, residual_error=True
        )
