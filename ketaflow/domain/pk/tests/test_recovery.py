"""Recovery forecasts and dose proposals."""

from __future__ import annotations

import numpy as np
import pytest

from ketaflow.domain.pk import (
    ENGINE_VERSION,
    Covariates,
    DoseTarget,
    ProtocolLimits,
    Schedule,
    forecast_recovery,
    get_model,
    individualise,
    propose_dose,
    simulate,
)
from ketaflow.domain.pk.bayes import PARAMETER_NAMES
from ketaflow.domain.pk.pd import DISCHARGE_CE_NG_PER_ML
from ketaflow.domain.pk.recovery import simulate_sessions

ADULT = Covariates(weight_kg=70.0, age_years=40.0)
SCHEDULE = Schedule.constant_infusion(dose_mg=35.0, start_min=0.0, duration_min=40.0)


def test_population_forecast_crosses_the_threshold_at_the_predicted_time() -> None:
    model = get_model("kamp2020")
    forecast = forecast_recovery(model, ADULT, SCHEDULE)
    at = simulate(model, ADULT, SCHEDULE, [forecast.ready_at_min - 1e-3, forecast.ready_at_min + 1e-3])
    assert at.effect_ng_per_ml[0] > DISCHARGE_CE_NG_PER_ML > at.effect_ng_per_ml[1]
    assert forecast.low_after_stop_min < forecast.ready_after_stop_min < forecast.high_after_stop_min
    assert forecast.basis == "population prior"
    assert any("population prior" in w for w in forecast.warnings)


def test_bigger_dose_means_longer_wait() -> None:
    model = get_model("kamp2020")
    short = forecast_recovery(model, ADULT, SCHEDULE)
    long = forecast_recovery(model, ADULT, SCHEDULE.scaled(1.5))
    assert long.ready_after_stop_min > short.ready_after_stop_min


def test_already_below_threshold_means_no_wait() -> None:
    forecast = forecast_recovery(get_model("kamp2020"), ADULT, SCHEDULE.scaled(0.05))
    assert forecast.ready_after_stop_min == 0.0
    assert forecast.remaining_min(100.0) == (0.0, 0.0, 0.0)


def test_individual_forecast_tracks_a_slow_patient() -> None:
    model = get_model("kamp2020")
    rng = np.random.default_rng(11)
    slow = np.zeros(len(PARAMETER_NAMES))
    slow[PARAMETER_NAMES.index("cl")] = -0.5  # clears 40% slower than typical
    sessions = simulate_sessions(model, 70.0, slow, rng, n_sessions=8)
    posterior = individualise(model, sessions)
    individual = forecast_recovery(model, ADULT, SCHEDULE, posterior=posterior)
    population = forecast_recovery(model, ADULT, SCHEDULE)
    assert individual.ready_after_stop_min > population.ready_after_stop_min
    assert individual.high_after_stop_min - individual.low_after_stop_min < (
        population.high_after_stop_min - population.low_after_stop_min
    )


def test_dose_proposal_stays_within_limits_and_is_never_applied() -> None:
    model = get_model("kamp2020")
    rng = np.random.default_rng(5)
    posterior = individualise(model, simulate_sessions(model, 70.0, np.zeros(7), rng, n_sessions=10))
    proposal = propose_dose(
        model, ADULT, DoseTarget(15.0, 25.0, 30.0), ProtocolLimits(0.3, 1.0, 60.0), posterior=posterior
    )
    assert 0.3 <= proposal.mg_per_kg <= 60.0 / 70.0 + 1e-12
    assert proposal.total_mg == pytest.approx(proposal.mg_per_kg * 70.0)
    assert proposal.target_met
    assert 15.0 <= proposal.predicted_peak_cadss[0] <= 25.0
    assert proposal.predicted_peak_sbp_rise_mmhg[2] <= 30.0
    assert proposal.requires_prescriber_approval
    assert proposal.engine_version == ENGINE_VERSION
    assert proposal.inputs["limits"] == {
        "min_mg_per_kg": 0.3,
        "max_mg_per_kg": 1.0,
        "max_total_mg": 60.0,
        "duration_min": 40.0,
        "step_mg_per_kg": 0.01,
    }


def test_unreachable_target_is_reported_not_hidden() -> None:
    proposal = propose_dose(
        get_model("kamp2020"), ADULT, DoseTarget(80.0, 90.0, 100.0), ProtocolLimits(0.3, 0.6, 100.0)
    )
    assert not proposal.target_met
    assert proposal.mg_per_kg == pytest.approx(0.6)
    assert any("target range" in r for r in proposal.reasons)
