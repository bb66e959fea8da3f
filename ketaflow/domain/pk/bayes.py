"""Bayesian individualisation: one patient's sessions -> MAP parameters with a Laplace (Gaussian) posterior.

Each patient has seven log-normal parameters, written as log multipliers ``eta`` of typical values:
clearance, central volume and ke0 (PK, typical values from the chosen model), the CADSS slope, the MOAA/S
EC50, the systolic-BP Emax, and the effect-site concentration at which the patient becomes discharge-ready.
The prior is eta ~ N(0, omega). Observations:

* CADSS / CADSS-6 totals, MOAA/S and systolic BP rise at recorded times: additive normal errors (ASSUMED
  SDs below) around the PD link of the predicted effect-site concentration;
* the observed time from stop to discharge-ready: the predicted log effect-site concentration at that moment
  should equal the log discharge threshold, with an ASSUMED SD of 0.2 (a pseudo-likelihood that avoids
  solving for the crossing time inside the fit).

The MAP estimate comes from Levenberg-Marquardt on the whitened residuals, the Jacobian from forward
differences evaluated as one batch of perturbed patients; the Laplace covariance is (J^T J)^-1 at the mode.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from . import pd
from .models import PKModel, PKModelError, PKParameters
from .solver import FloatArray, Schedule, build_system, decompose, evaluate_padded

ObservationKind = Literal["cadss", "cadss6", "moaas", "sbp_rise"]

PARAMETER_NAMES: tuple[str, ...] = (
    "cl",
    "v1",
    "ke0",
    "cadss_slope",
    "moaas_ec50",
    "sbp_emax",
    "discharge_ce",
)
PK_NAMES = ("cl", "v1", "ke0")

# ASSUMED prior variances (log scale) where the model publishes none.
_ASSUMED_PK_VARIANCE = math.log(1.0 + 0.3**2)  # 30% CV on CL and V1
_ASSUMED_KE0_VARIANCE = 0.25  # ke0 is derived for most models: wide prior
_PD_VARIANCE = {"cadss_slope": 0.25, "moaas_ec50": 0.16, "sbp_emax": 0.25, "discharge_ce": 0.16}

#: ASSUMED additive residual SDs, in each instrument's own units.
RESIDUAL_SD: dict[str, float] = {"cadss": 4.0, "cadss6": 1.5, "moaas": 0.5, "sbp_rise": 8.0}
#: ASSUMED SD of log effect-site concentration at the observed discharge-ready moment.
READY_LOG_SD = 0.2

_FD_STEP = 1e-6
_CE_FLOOR_NG_PER_ML = 1e-6


class FitError(ValueError):
    """Observations that cannot be fitted (unknown kind, time before the session, no sessions...)."""


@dataclass(frozen=True)
class Observation:
    """One recorded value at ``time_min`` minutes after the session's time zero."""

    time_min: float
    kind: ObservationKind
    value: float


@dataclass(frozen=True)
class SessionRecord:
    """One past session: the dose actually given (mg, mg/min, minutes), the patient's weight that day,
    what was observed, and the minutes from the end of dosing to discharge-ready (if recorded)."""

    weight_kg: float
    schedule: Schedule
    observations: tuple[Observation, ...] = ()
    ready_after_stop_min: float | None = None


@dataclass(frozen=True)
class PatientPosterior:
    """Gaussian posterior of the log multipliers ``eta`` (population prior when no session was fitted)."""

    model_id: str
    mode: tuple[float, ...]
    covariance: tuple[tuple[float, ...], ...]
    prior_covariance: tuple[tuple[float, ...], ...]
    n_sessions: int = 0
    n_observations: int = 0
    converged: bool = True
    iterations: int = 0
    names: tuple[str, ...] = PARAMETER_NAMES

    def mode_array(self) -> FloatArray:
        return np.asarray(self.mode, dtype=np.float64)

    def covariance_array(self) -> FloatArray:
        return np.asarray(self.covariance, dtype=np.float64)

    def multiplier(self, name: str, level: float = 0.9) -> tuple[float, float, float]:
        """Mode and central ``level`` interval of a parameter's multiplier of its typical value (unitless)."""
        i = self.names.index(name)
        z = _normal_quantile(0.5 + level / 2.0)
        sd = math.sqrt(self.covariance[i][i])
        return math.exp(self.mode[i]), math.exp(self.mode[i] - z * sd), math.exp(self.mode[i] + z * sd)

    @property
    def basis(self) -> str:
        if self.n_sessions == 0:
            return "population prior"
        return f"individual ({self.n_sessions} earlier sessions)"

    def as_dict(self) -> dict[str, object]:
        return {
            "model": self.model_id,
            "basis": self.basis,
            "parameters": {
                name: dict(zip(("multiplier", "low90", "high90"), self.multiplier(name), strict=True))
                for name in self.names
            },
            "n_sessions": self.n_sessions,
            "n_observations": self.n_observations,
            "converged": self.converged,
        }


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def prior_covariance(model: PKModel) -> FloatArray:
    """Prior covariance of the seven etas: the model's own CL/V1 variability when it has it, else assumed."""
    omega = np.zeros((len(PARAMETER_NAMES), len(PARAMETER_NAMES)))
    own = model.variability
    for i, a in enumerate(("cl", "v1")):
        for j, b in enumerate(("cl", "v1")):
            if a in own.names and b in own.names:
                omega[i, j] = own.omega[own.names.index(a)][own.names.index(b)]
            elif i == j:
                omega[i, j] = _ASSUMED_PK_VARIANCE
    omega[2, 2] = _ASSUMED_KE0_VARIANCE
    for name, variance in _PD_VARIANCE.items():
        k = PARAMETER_NAMES.index(name)
        omega[k, k] = variance
    return omega


def population_prior(model: PKModel) -> PatientPosterior:
    """The posterior of a patient with no recorded session: the population prior itself."""
    omega = prior_covariance(model)
    as_tuple = tuple(tuple(float(v) for v in row) for row in omega)
    return PatientPosterior(model.id, tuple(0.0 for _ in PARAMETER_NAMES), as_tuple, as_tuple)


def individual_parameters(model: PKModel, weights_kg: FloatArray, etas: FloatArray) -> PKParameters:
    """PK parameters for rows of ``etas`` (B, 7) at weights (B,) kg; only CL, V1 and ke0 are individual."""
    typical = model.typical(weights_kg)
    return typical.scaled({name: np.exp(etas[:, PARAMETER_NAMES.index(name)]) for name in PK_NAMES})


def predicted_effects(kinds: NDArray[np.str_], ce: FloatArray, etas: FloatArray) -> FloatArray:
    """PD predictions for observation ``kinds`` from effect-site concentrations ``ce`` (P, N) in ng/mL."""
    slope = pd.CADSS_LINEAR.slope * np.exp(etas[:, 3:4])
    moaas_ec50 = pd.MOAAS_EMAX.ec50_ng_per_ml * np.exp(etas[:, 4:5])
    sbp_emax = pd.SBP_RISE_EMAX.emax * np.exp(etas[:, 5:6])
    c = np.maximum(ce, 0.0)
    moaas_ratio = (c / moaas_ec50) ** pd.MOAAS_EMAX.gamma
    sbp_ratio = (c / pd.SBP_RISE_EMAX.ec50_ng_per_ml) ** pd.SBP_RISE_EMAX.gamma
    return np.select(
        [kinds == "cadss", kinds == "cadss6", kinds == "moaas"],
        [
            slope * c,
            slope * c * pd.CADSS6_PER_CADSS,
            pd.MOAAS_AWAKE * (1.0 - moaas_ratio / (1.0 + moaas_ratio)),
        ],
        default=sbp_emax * sbp_ratio / (1.0 + sbp_ratio),
    )


@dataclass
class _Packed:
    """Sessions as padded arrays, ready for one batched evaluation."""

    weights: FloatArray
    starts: FloatArray
    ends: FloatArray
    rates: FloatArray
    bolus_times: FloatArray
    bolus_doses: FloatArray
    times: FloatArray
    is_observation: NDArray[np.bool_]
    is_ready: NDArray[np.bool_]
    kinds: NDArray[np.str_]
    values: FloatArray
    sds: FloatArray
    n_observations: int = field(default=0)


def _pack(sessions: Sequence[SessionRecord]) -> _Packed:
    if not sessions:
        raise FitError("at least one session is needed")
    n = len(sessions)
    seg = max(1, max(len(s.schedule.infusions) for s in sessions))
    bol = max(len(s.schedule.boluses) for s in sessions)
    width = max(1, max(len(s.observations) + (s.ready_after_stop_min is not None) for s in sessions))
    starts, ends, rates = np.zeros((n, seg)), np.ones((n, seg)), np.zeros((n, seg))
    bolus_times, bolus_doses = np.zeros((n, bol)), np.zeros((n, bol))
    times = np.zeros((n, width))
    is_obs = np.zeros((n, width), dtype=bool)
    is_ready = np.zeros((n, width), dtype=bool)
    kinds, values, sds = [], [], []
    for i, session in enumerate(sessions):
        for k, inf in enumerate(session.schedule.infusions):
            starts[i, k], ends[i, k], rates[i, k] = inf.start_min, inf.end_min, inf.rate_mg_per_min
        for k, b in enumerate(session.schedule.boluses):
            bolus_times[i, k], bolus_doses[i, k] = b.time_min, b.dose_mg
        for k, obs in enumerate(session.observations):
            if obs.kind not in RESIDUAL_SD:
                raise FitError(f"unknown observation kind {obs.kind!r}")
            if not (math.isfinite(obs.time_min) and math.isfinite(obs.value)):
                raise FitError("observation times and values must be finite")
            times[i, k] = obs.time_min
            is_obs[i, k] = True
            kinds.append(obs.kind)
            values.append(obs.value)
            sds.append(RESIDUAL_SD[obs.kind])
        if session.ready_after_stop_min is not None:
            if session.ready_after_stop_min < 0:
                raise FitError("time to discharge-ready must not be negative")
            k = len(session.observations)
            times[i, k] = session.schedule.stop_min + session.ready_after_stop_min
            is_ready[i, k] = True
    return _Packed(
        weights=np.array([s.weight_kg for s in sessions], dtype=np.float64),
        starts=starts,
        ends=ends,
        rates=rates,
        bolus_times=bolus_times,
        bolus_doses=bolus_doses,
        times=times,
        is_observation=is_obs,
        is_ready=is_ready,
        kinds=np.array(kinds, dtype=str),
        values=np.array(values, dtype=np.float64),
        sds=np.array(sds, dtype=np.float64),
        n_observations=len(values),
    )


def _effect_site(model: PKModel, packed: _Packed, etas: FloatArray) -> FloatArray:
    """Effect-site concentrations (P, S, width) for P parameter sets over every session."""
    n_sets, n_sessions = etas.shape[0], packed.weights.size
    rep_etas = np.repeat(etas, n_sessions, axis=0)
    weights = np.tile(packed.weights, n_sets)
    params = individual_parameters(model, weights, rep_etas)
    system = build_system(params, effect=True, metabolite=False)

    def tile(a: FloatArray) -> FloatArray:
        return np.tile(a, (n_sets, 1))

    values = evaluate_padded(
        decompose(system),
        tile(packed.starts),
        tile(packed.ends),
        tile(packed.rates),
        tile(packed.bolus_times),
        tile(packed.bolus_doses),
        tile(packed.times),
    )
    return values[:, system.outputs.index("effect"), :].reshape(n_sets, n_sessions, -1)


def _residuals(model: PKModel, packed: _Packed, etas: FloatArray, prior_root: FloatArray) -> FloatArray:
    """Whitened residuals (P, N + R + 7) for P parameter sets; half their squared norm is -log posterior."""
    ce = _effect_site(model, packed, etas)
    obs_ce = ce[:, packed.is_observation]
    ready_ce = ce[:, packed.is_ready]
    predicted = predicted_effects(packed.kinds, obs_ce, etas)
    obs_part = (predicted - packed.values) / packed.sds
    log_threshold = np.log(pd.DISCHARGE_CE_NG_PER_ML) + etas[:, 6:7]
    ready_part = (np.log(np.maximum(ready_ce, _CE_FLOOR_NG_PER_ML)) - log_threshold) / READY_LOG_SD
    prior_part = etas @ prior_root.T
    return np.concatenate([obs_part, ready_part, prior_part], axis=1)


def individualise(
    model: PKModel, sessions: Sequence[SessionRecord], *, max_iterations: int = 50
) -> PatientPosterior:
    """MAP estimate and Laplace covariance of one patient's etas from their earlier sessions."""
    packed = _pack(sessions)
    omega = prior_covariance(model)
    prior_root = np.linalg.inv(np.linalg.cholesky(omega))  # whitening: eta^T omega^-1 eta = |L^-1 eta|^2
    dim = len(PARAMETER_NAMES)
    perturb = np.vstack([np.zeros(dim), _FD_STEP * np.eye(dim)])

    def evaluate_with_jacobian(eta: FloatArray) -> tuple[FloatArray, FloatArray]:
        r = _residuals(model, packed, eta[None, :] + perturb, prior_root)
        return r[0], ((r[1:] - r[0]) / _FD_STEP).T

    eta = np.zeros(dim)
    r, jac = evaluate_with_jacobian(eta)
    cost = float(r @ r)
    damping = 1e-3
    converged = False
    iterations = 0
    for iterations in range(1, max_iterations + 1):  # noqa: B007 - reported below
        gradient = jac.T @ r
        hessian = jac.T @ jac
        step = np.linalg.solve(hessian + damping * np.diag(np.diag(hessian)), -gradient)
        candidate = eta + step
        r_new, jac_new = evaluate_with_jacobian(candidate)
        cost_new = float(r_new @ r_new)
        if np.isfinite(cost_new) and cost_new <= cost:
            small = float(np.max(np.abs(step))) < 1e-7 or cost - cost_new < 1e-12 * max(cost, 1.0)
            eta, r, jac, cost = candidate, r_new, jac_new, cost_new
            damping = max(damping / 10.0, 1e-9)
            if small:
                converged = True
                break
        else:
            damping *= 10.0
            if damping > 1e8:
                break
    covariance = np.linalg.inv(jac.T @ jac)
    covariance = 0.5 * (covariance + covariance.T)
    return PatientPosterior(
        model_id=model.id,
        mode=tuple(float(v) for v in eta),
        covariance=tuple(tuple(float(v) for v in row) for row in covariance),
        prior_covariance=tuple(tuple(float(v) for v in row) for row in omega),
        n_sessions=len(sessions),
        n_observations=packed.n_observations + int(packed.is_ready.sum()),
        converged=converged,
        iterations=iterations,
    )


def check_model(model: PKModel, posterior: PatientPosterior) -> None:
    """Refuse to use a posterior fitted with another model."""
    if posterior.model_id != model.id:
        raise PKModelError(f"posterior was fitted with {posterior.model_id}, not {model.id}")
