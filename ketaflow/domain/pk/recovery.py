"""Predicted recovery wait and next-session dose proposal, from a patient's posterior (or the prior).

Recovery: the patient is predicted discharge-ready once the effect-site concentration has fallen, for good,
below their discharge threshold (a parameter of the posterior, ASSUMED typical value 60 ng/mL). The 90%
interval propagates the posterior of CL, V1, ke0 and the threshold, plus the scatter of observed ready times
around the prediction, through the model with sigma points (mode +/- one posterior SD along each principal
axis), on a log(minutes + 1) scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from numpy.typing import NDArray

from . import pd
from .bayes import (
    PARAMETER_NAMES,
    READY_LOG_SD,
    RESIDUAL_SD,
    Observation,
    PatientPosterior,
    SessionRecord,
    check_model,
    individual_parameters,
    population_prior,
    predicted_effects,
)
from .models import Covariates, PKModel
from .solver import FloatArray, Schedule, build_system, decompose, evaluate, mode_state
from .version import ENGINE_VERSION

#: Forecasts look this far past the stop (minutes); later readiness is reported as "beyond horizon".
HORIZON_MIN = 24 * 60.0
Z90 = 1.6448536269514722  # standard normal 95th percentile: two-sided 90% interval
_SEARCH_GRID_MIN = np.concatenate([np.arange(0.0, 120.0, 0.5), np.arange(120.0, HORIZON_MIN + 1.0, 4.0)])
_RECOVERY_DIMS = ("cl", "v1", "ke0", "discharge_ce")


@dataclass(frozen=True)
class RecoveryForecast:
    """Minutes from the end of dosing until predicted discharge-ready, with a 90% interval.

    ``ready_at_*`` are the same instants in minutes from the session's time zero.
    """

    ready_after_stop_min: float
    low_after_stop_min: float
    high_after_stop_min: float
    stop_min: float
    ready_at_min: float
    ready_at_low_min: float
    ready_at_high_min: float
    threshold_ng_per_ml: float
    basis: str
    warnings: tuple[str, ...] = ()

    def remaining_min(self, now_min: float) -> tuple[float, float, float]:
        """Minutes still to wait at ``now_min`` (central, low, high), never negative."""
        return (
            max(0.0, self.ready_at_min - now_min),
            max(0.0, self.ready_at_low_min - now_min),
            max(0.0, self.ready_at_high_min - now_min),
        )


def _sigma_etas(posterior: PatientPosterior, dims: Sequence[str], extra_var: dict[str, float]) -> FloatArray:
    """Mode, then mode +/- each column of the Cholesky factor of the covariance restricted to ``dims``."""
    mode = posterior.mode_array()
    cov = posterior.covariance_array()
    index = [PARAMETER_NAMES.index(d) for d in dims]
    sub = cov[np.ix_(index, index)].copy()
    for name, var in extra_var.items():
        k = dims.index(name)
        sub[k, k] += var
    root = np.linalg.cholesky(sub)
    points = np.repeat(mode[None, :], 2 * len(dims) + 1, axis=0)
    for k in range(len(dims)):
        points[1 + 2 * k, index] += root[:, k]
        points[2 + 2 * k, index] -= root[:, k]
    return points


def _spread(values: FloatArray) -> tuple[float, float, float]:
    """Central value and 90% interval from sigma-point values (mode, +1, -1, +2, -2, ...) on a log scale."""
    g = np.log(values + 1.0)
    half = (g[1::2] - g[2::2]) / 2.0
    sd = float(np.sqrt(np.sum(half**2)))
    return float(values[0]), float(np.exp(g[0] - Z90 * sd) - 1.0), float(np.exp(g[0] + Z90 * sd) - 1.0)


def time_to_fall_below(
    model: PKModel, weight_kg: float, etas: FloatArray, schedule: Schedule, thresholds_ng_per_ml: FloatArray
) -> FloatArray:
    """Minutes after ``schedule.stop_min`` until the effect-site concentration stays below each threshold.

    ``etas`` (P, 7) and ``thresholds_ng_per_ml`` (P,) give one answer per row; ``HORIZON_MIN`` if never.
    """
    params = individual_parameters(model, np.full(etas.shape[0], weight_kg), etas)
    modes = decompose(build_system(params, effect=True, metabolite=False))
    if np.any(modes.defective):
        # A ke0 equal to a disposition eigenvalue: nudging it by 1e-6 changes the forecast by far less than
        # its uncertainty and keeps the closed form usable.
        params.ke0[modes.defective] *= 1.0 + 1e-6
        modes = decompose(build_system(params, effect=True, metabolite=False))
    stop = schedule.stop_min
    z = mode_state(modes, schedule, stop)
    effect_row = modes.system.outputs.index("effect")
    amplitude = modes.output_modes[:, effect_row, :] * z  # (P, n): Ce(stop + s) = sum a_i exp(lam_i s)
    lam = modes.eigenvalues
    curve = np.einsum("pn,pnm->pm", amplitude, np.exp(lam[:, :, None] * _SEARCH_GRID_MIN[None, None, :]))
    above = curve >= thresholds_ng_per_ml[:, None]
    any_above = above.any(axis=1)
    last = _SEARCH_GRID_MIN.size - 1 - np.argmax(above[:, ::-1], axis=1)
    result = np.zeros(etas.shape[0])
    beyond = any_above & (last == _SEARCH_GRID_MIN.size - 1)
    result[beyond] = HORIZON_MIN
    refine = any_above & ~beyond
    if np.any(refine):
        rows = np.flatnonzero(refine)
        lo = _SEARCH_GRID_MIN[last[rows]]
        hi = _SEARCH_GRID_MIN[last[rows] + 1]
        a, lr, thr = amplitude[rows], lam[rows], thresholds_ng_per_ml[rows]
        f_lo = curve[rows, last[rows]] - thr
        f_hi = curve[rows, last[rows] + 1] - thr
        s = lo + (hi - lo) * f_lo / (f_lo - f_hi)
        for _ in range(6):  # Newton, kept inside the bracket where Ce is decreasing through the threshold
            e = np.exp(lr * s[:, None])
            value = np.sum(a * e, axis=1) - thr
            slope = np.sum(a * lr * e, axis=1)
            s = np.clip(s - value / np.where(slope < 0, slope, -1e-12), lo, hi)
        result[rows] = s
    return result


def forecast_recovery(
    model: PKModel,
    covariates: Covariates,
    schedule: Schedule,
    *,
    posterior: PatientPosterior | None = None,
) -> RecoveryForecast:
    """Predicted recovery wait after the end of ``schedule`` (a live session's given + planned doses, or a
    planned session) with a 90% interval, calibrated by the patient's ``posterior`` when given."""
    post = posterior if posterior is not None else population_prior(model)
    check_model(model, post)
    etas = _sigma_etas(post, _RECOVERY_DIMS, {"discharge_ce": READY_LOG_SD**2})
    thresholds = pd.DISCHARGE_CE_NG_PER_ML * np.exp(etas[:, PARAMETER_NAMES.index("discharge_ce")])
    waits = time_to_fall_below(model, covariates.weight_kg, etas, schedule, thresholds)
    central, low, high = _spread(waits)
    low, high = max(0.0, min(low, central)), min(HORIZON_MIN, max(high, central))
    warnings = list(model.range_warnings(covariates))
    if central >= HORIZON_MIN:
        warnings.append("predicted readiness lies beyond the 24 h horizon")
    if post.n_sessions == 0:
        warnings.append("no earlier sessions: forecast from the population prior (ASSUMED PD values)")
    stop = schedule.stop_min
    return RecoveryForecast(
        ready_after_stop_min=central,
        low_after_stop_min=low,
        high_after_stop_min=high,
        stop_min=stop,
        ready_at_min=stop + central,
        ready_at_low_min=stop + low,
        ready_at_high_min=stop + high,
        threshold_ng_per_ml=float(thresholds[0]),
        basis=post.basis,
        warnings=tuple(warnings),
    )


@dataclass(frozen=True)
class DoseTarget:
    """What the clinician aims for: peak predicted CADSS total within a range, systolic rise below a limit."""

    peak_cadss_low: float
    peak_cadss_high: float
    max_sbp_rise_mmhg: float


@dataclass(frozen=True)
class ProtocolLimits:
    """The protocol's dosing limits: mg/kg range, absolute cap (mg), infusion length (min), dose step."""

    min_mg_per_kg: float
    max_mg_per_kg: float
    max_total_mg: float
    duration_min: float = 40.0
    step_mg_per_kg: float = 0.01


@dataclass(frozen=True)
class DoseProposal:
    """A proposed next-session dose. It is a suggestion for a prescriber, never applied by the engine."""

    mg_per_kg: float
    total_mg: float
    rate_mg_per_min: float
    duration_min: float
    predicted_peak_cadss: tuple[float, float, float]
    predicted_peak_sbp_rise_mmhg: tuple[float, float, float]
    recovery: RecoveryForecast
    target_met: bool
    reasons: tuple[str, ...]
    inputs: dict[str, object] = field(default_factory=dict)
    engine_version: str = ""
    requires_prescriber_approval: bool = True


def _peak_effect_site_per_mg_per_kg(
    model: PKModel, weight_kg: float, etas: FloatArray, duration_min: float
) -> FloatArray:
    """Peak effect-site concentration (ng/mL) for 1 mg/kg over ``duration_min``, one value per eta row."""
    params = individual_parameters(model, np.full(etas.shape[0], weight_kg), etas)
    modes = decompose(build_system(params, effect=True, metabolite=False))
    unit = Schedule.constant_infusion(dose_mg=weight_kg, start_min=0.0, duration_min=duration_min)
    grid = np.arange(0.0, duration_min + 180.0, 0.25)
    effect = evaluate(modes, unit, grid)[:, modes.system.outputs.index("effect"), :]
    return np.asarray(effect.max(axis=1))


def propose_dose(
    model: PKModel,
    covariates: Covariates,
    target: DoseTarget,
    limits: ProtocolLimits,
    *,
    posterior: PatientPosterior | None = None,
    engine_version: str = "",
) -> DoseProposal:
    """Choose the mg/kg dose (within ``limits``) whose predicted peak CADSS is nearest the middle of the
    target range while the upper 90% bound of the predicted peak systolic rise stays under the limit.

    Concentrations are linear in dose, so one unit-dose simulation per sigma point serves every candidate.
    """
    post = posterior if posterior is not None else population_prior(model)
    check_model(model, post)
    weight = covariates.weight_kg
    cap = min(limits.max_mg_per_kg, limits.max_total_mg / weight)
    reasons: list[str] = []
    if cap < limits.min_mg_per_kg:
        reasons.append("the total-mg cap is below the protocol's minimum mg/kg for this weight")
        cap = limits.min_mg_per_kg
    steps = int(math.floor((cap - limits.min_mg_per_kg) / limits.step_mg_per_kg + 1e-9))
    candidates = limits.min_mg_per_kg + limits.step_mg_per_kg * np.arange(steps + 1)
    dims = ("cl", "v1", "ke0", "cadss_slope", "sbp_emax")
    etas = _sigma_etas(post, dims, {})
    peak_unit = _peak_effect_site_per_mg_per_kg(model, weight, etas, limits.duration_min)  # (K,)
    peak_ce = candidates[None, :] * peak_unit[:, None]  # (K, doses)
    cadss = pd.CADSS_LINEAR.slope * np.exp(etas[:, 3:4]) * peak_ce
    sbp = pd.SBP_RISE_EMAX.effect(peak_ce) * np.exp(etas[:, 5:6])
    cadss_spread = [_spread(cadss[:, j]) for j in range(candidates.size)]
    sbp_spread = [_spread(sbp[:, j]) for j in range(candidates.size)]
    middle = (target.peak_cadss_low + target.peak_cadss_high) / 2.0
    safe = np.array([s[2] <= target.max_sbp_rise_mmhg for s in sbp_spread])
    in_range = np.array([target.peak_cadss_low <= c[0] <= target.peak_cadss_high for c in cadss_spread])
    distance = np.abs(np.array([c[0] for c in cadss_spread]) - middle)
    if np.any(safe & in_range):
        pick = int(np.argmin(np.where(safe & in_range, distance, np.inf)))
        target_met = True
    elif np.any(safe):
        pick = int(np.argmin(np.where(safe, distance, np.inf)))
        target_met = False
        reasons.append("no dose within the limits puts the predicted peak CADSS in the target range")
    else:
        pick = 0
        target_met = False
        reasons.append("even the minimum dose may exceed the systolic-rise limit (upper 90% bound)")
    dose = float(candidates[pick])
    total = dose * weight
    schedule = Schedule.constant_infusion(dose_mg=total, start_min=0.0, duration_min=limits.duration_min)
    recovery = forecast_recovery(model, covariates, schedule, posterior=post)
    if post.n_sessions == 0:
        reasons.append("no earlier sessions: proposal rests on ASSUMED population PD values")
    return DoseProposal(
        mg_per_kg=dose,
        total_mg=total,
        rate_mg_per_min=total / limits.duration_min,
        duration_min=limits.duration_min,
        predicted_peak_cadss=cadss_spread[pick],
        predicted_peak_sbp_rise_mmhg=sbp_spread[pick],
        recovery=recovery,
        target_met=target_met,
        reasons=tuple(reasons),
        inputs={
            "model": model.id,
            "covariates": asdict(covariates),
            "target": asdict(target),
            "limits": asdict(limits),
            "posterior": post.as_dict(),
        },
        engine_version=engine_version or ENGINE_VERSION,
    )


def simulate_sessions(
    model: PKModel,
    weight_kg: float,
    true_etas: NDArray[np.float64],
    rng: np.random.Generator,
    *,
    n_sessions: int,
    mg_per_kg: Sequence[float] = (0.5, 0.6, 0.75),
    duration_min: float = 40.0,
    observe_at_min: Sequence[float] = (20.0, 40.0, 60.0),
) -> list[SessionRecord]:
    """Synthetic past sessions of a virtual patient with known etas (for tests and benchmarks).

    Noise comes from the fitting model's own error model; doses cycle through ``mg_per_kg``.
    """
    sessions: list[SessionRecord] = []
    etas = np.asarray(true_etas, dtype=np.float64)[None, :]
    params = individual_parameters(model, np.array([weight_kg]), etas)
    modes = decompose(build_system(params, effect=True, metabolite=False))
    kinds = np.array(["cadss", "moaas", "sbp_rise"])
    for k in range(n_sessions):
        dose = mg_per_kg[k % len(mg_per_kg)] * weight_kg
        schedule = Schedule.constant_infusion(dose_mg=dose, start_min=0.0, duration_min=duration_min)
        times = np.asarray(observe_at_min, dtype=np.float64)
        ce = evaluate(modes, schedule, times)[0, modes.system.outputs.index("effect")]
        observations = []
        for t, c in zip(times, ce, strict=True):
            for kind in kinds:
                value = predicted_effects(np.array([kind]), np.array([[c]]), etas)[0, 0]
                value += RESIDUAL_SD[str(kind)] * rng.standard_normal()
                observations.append(Observation(float(t), str(kind), float(value)))  # type: ignore[arg-type]
        threshold = pd.DISCHARGE_CE_NG_PER_ML * math.exp(
            etas[0, PARAMETER_NAMES.index("discharge_ce")] + READY_LOG_SD * rng.standard_normal()
        )
        wait = time_to_fall_below(model, weight_kg, etas, schedule, np.array([threshold]))[0]
        sessions.append(SessionRecord(weight_kg, schedule, tuple(observations), float(wait)))
    return sessions
