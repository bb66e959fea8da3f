"""MAP individualisation with a Laplace posterior recovers simulated patients' parameters."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.domain.pk import (
    FitError,
    Observation,
    Schedule,
    SessionRecord,
    get_model,
    individualise,
    population_prior,
)
from ketaflow.domain.pk.bayes import PARAMETER_NAMES, prior_covariance
from ketaflow.domain.pk.recovery import simulate_sessions

Z90 = 1.6448536269514722


def _coverage(n_patients: int, seed: int, n_sessions: int = 5) -> tuple[float, np.ndarray]:
    model = get_model("kamp2020")
    rng = np.random.default_rng(seed)
    omega = prior_covariance(model)
    hits = []
    for _ in range(n_patients):
        true = rng.multivariate_normal(np.zeros(len(PARAMETER_NAMES)), omega)
        sessions = simulate_sessions(model, float(rng.uniform(55.0, 110.0)), true, rng, n_sessions=n_sessions)
        posterior = individualise(model, sessions)
        sd = np.sqrt(np.diag(posterior.covariance_array()))
        hits.append(np.abs(true - posterior.mode_array()) <= Z90 * sd)
    table = np.array(hits)
    return float(table.mean()), table.mean(axis=0)


def test_ninety_percent_intervals_cover_true_parameters_of_200_simulated_patients() -> None:
    pooled, per_parameter = _coverage(200, seed=0)
    assert 0.85 <= pooled <= 0.95
    assert np.all(per_parameter >= 0.80)


def test_twenty_sessions_pin_down_clearance_and_cadss_slope() -> None:
    model = get_model("kamp2020")
    rng = np.random.default_rng(7)
    true = np.array([0.3, -0.2, 0.0, 0.4, 0.0, -0.3, 0.2])
    posterior = individualise(model, simulate_sessions(model, 80.0, true, rng, n_sessions=20))
    assert posterior.converged
    for name in ("cl", "cadss_slope", "sbp_emax"):
        mode, low, high = posterior.multiplier(name)
        assert low < np.exp(true[PARAMETER_NAMES.index(name)]) < high
        assert high / low < 1.6
    prior_sd = np.sqrt(np.diag(posterior.prior_covariance))
    assert np.all(np.sqrt(np.diag(posterior.covariance_array())) <= prior_sd + 1e-12)


def test_no_information_returns_the_prior() -> None:
    model = get_model("kamp2020")
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    posterior = individualise(model, [SessionRecord(70.0, schedule)])
    np.testing.assert_allclose(posterior.mode_array(), 0.0, atol=1e-9)
    np.testing.assert_allclose(
        posterior.covariance_array(), population_prior(model).covariance_array(), rtol=1e-4
    )


def test_unknown_observation_kind_is_refused() -> None:
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    bad = SessionRecord(70.0, schedule, (Observation(20.0, "madrs", 10.0),))  # type: ignore[arg-type]
    with pytest.raises(FitError, match="unknown observation kind"):
        individualise(get_model("kamp2020"), [bad])


def test_cadss6_observations_are_understood_on_their_own_scale() -> None:
    model = get_model("kamp2020")
    schedule = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)
    full = individualise(model, [SessionRecord(70.0, schedule, (Observation(40.0, "cadss", 40.0),))])
    six = individualise(
        model, [SessionRecord(70.0, schedule, (Observation(40.0, "cadss6", 40.0 * 24 / 92),))]
    )
    assert full.multiplier("cadss_slope")[0] > 1.0
    assert six.multiplier("cadss_slope")[0] > 1.0


def test_otto_prior_uses_its_published_clearance_volume_covariance() -> None:
    omega = prior_covariance(get_model("otto2021"))
    assert omega[0, 0] == pytest.approx(0.026048)  # Otto 2021: omega^2 CL
    assert omega[1, 1] == pytest.approx(0.084177)  # Otto 2021: omega^2 V1
    assert omega[0, 1] == pytest.approx(0.02261)
    model = get_model("otto2021")
    rng = np.random.default_rng(2)
    posterior = individualise(model, simulate_sessions(model, 70.0, np.zeros(7), rng, n_sessions=4))
    assert posterior.converged
    assert posterior.model_id == "otto2021"
