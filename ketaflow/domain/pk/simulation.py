"""Single-patient and population simulation on top of the exact solver."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike, NDArray

from .models import Covariates, PKModel, PKModelError, PKParameters
from .solver import FloatArray, Schedule, build_system, decompose, evaluate


@dataclass(frozen=True)
class SimulationResult:
    """Predicted concentrations (ng/mL) at ``times_min`` for one patient.

    ``metabolite_ng_per_ml`` is set only for parent-metabolite models. ``warnings`` lists every reason to
    distrust the numbers (covariates outside the model's range, derived ke0...).
    """

    model_id: str
    times_min: tuple[float, ...]
    plasma_ng_per_ml: tuple[float, ...]
    effect_ng_per_ml: tuple[float, ...]
    metabolite_ng_per_ml: tuple[float, ...] | None = None
    warnings: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        data: dict[str, object] = {
            "model": self.model_id,
            "times_min": list(self.times_min),
            "plasma_ng_per_ml": list(self.plasma_ng_per_ml),
            "effect_ng_per_ml": list(self.effect_ng_per_ml),
        }
        if self.metabolite_ng_per_ml is not None:
            data["metabolite_ng_per_ml"] = list(self.metabolite_ng_per_ml)
        data["warnings"] = list(self.warnings)
        return data


def simulate(
    model: PKModel,
    covariates: Covariates,
    schedule: Schedule,
    times_min: Sequence[float] | FloatArray,
    *,
    parameters: PKParameters | None = None,
) -> SimulationResult:
    """Plasma, effect-site (and metabolite) concentrations in ng/mL at ``times_min`` (minutes).

    Uses the model's typical parameters for the patient's weight unless individual ``parameters`` (one
    patient) are given, e.g. from :func:`ketaflow.domain.pk.bayes.individualise`.
    """
    params = parameters if parameters is not None else model.typical(covariates.weight_kg)
    if params.size != 1:
        raise PKModelError("simulate() is for one patient; use simulate_population() for many")
    system = build_system(params)
    values = evaluate(decompose(system), schedule, times_min)[0]
    rows = dict(zip(system.outputs, values, strict=True))
    metabolite = rows.get("metabolite")
    return SimulationResult(
        model_id=model.id,
        times_min=tuple(float(t) for t in np.atleast_1d(np.asarray(times_min, dtype=np.float64))),
        plasma_ng_per_ml=tuple(float(v) for v in rows["plasma"]),
        effect_ng_per_ml=tuple(float(v) for v in rows["effect"]),
        metabolite_ng_per_ml=None if metabolite is None else tuple(float(v) for v in metabolite),
        warnings=tuple(model.range_warnings(covariates)),
    )


def sample_parameters(
    model: PKModel,
    weights_kg: ArrayLike,
    rng: np.random.Generator,
    *,
    omega: FloatArray | None = None,
    names: Sequence[str] | None = None,
) -> PKParameters:
    """Individual parameters for one virtual patient per weight (kg): typical * exp(eta), eta ~ N(0, omega).

    Defaults to the model's own variability (``model.variability``; check its ``status``: for most racemic
    models it is assumed, not published).
    """
    typical = model.typical(np.asarray(weights_kg, dtype=np.float64))
    cov = model.variability.matrix() if omega is None else np.asarray(omega, dtype=np.float64)
    labels = tuple(model.variability.names if names is None else names)
    if cov.shape != (len(labels), len(labels)):
        raise PKModelError("variability matrix does not match the parameter names")
    etas = rng.multivariate_normal(np.zeros(len(labels)), cov, size=typical.size, method="eigh")
    return typical.scaled({name: np.exp(etas[:, i]) for i, name in enumerate(labels)})


@dataclass(frozen=True)
class PopulationResult:
    """Concentrations (ng/mL) of N virtual patients, arrays of shape (N, len(times_min))."""

    model_id: str
    times_min: FloatArray
    plasma_ng_per_ml: FloatArray
    effect_ng_per_ml: FloatArray
    parameters: PKParameters = field(repr=False)
    warnings: tuple[str, ...] = ()
    metabolite_ng_per_ml: FloatArray | None = None

    def percentiles(
        self, levels: Sequence[float] = (5.0, 50.0, 95.0), *, output: str = "plasma"
    ) -> FloatArray:
        """Percentiles over patients at each time: array (len(levels), len(times_min)) in ng/mL."""
        values = self.plasma_ng_per_ml if output == "plasma" else self.effect_ng_per_ml
        return np.asarray(np.percentile(values, list(levels), axis=0))


def simulate_population(
    model: PKModel,
    covariates: Sequence[Covariates],
    schedule: Schedule | Sequence[Schedule],
    times_min: Sequence[float] | FloatArray,
    *,
    seed: int | np.random.Generator = 0,
    omega: FloatArray | None = None,
    names: Sequence[str] | None = None,
    effect: bool = True,
    residual_error: bool = False,
) -> PopulationResult:
    """Simulate one virtual patient per covariate set with log-normal inter-individual variability.

    All patients share one schedule (mg, mg/min, minutes) unless a list of per-patient schedules is given
    (then each schedule is evaluated for its own patient). Vectorised over patients. With
    ``residual_error`` the plasma (and metabolite) values are "measured" ones: the model's published
    proportional residual error is applied (only models that publish one, e.g. Otto 2021).
    """
    rng = seed if isinstance(seed, np.random.Generator) else np.random.default_rng(seed)
    weights = np.array([c.weight_kg for c in covariates], dtype=np.float64)
    params = sample_parameters(model, weights, rng, omega=omega, names=names)
    system = build_system(params, effect=effect)
    modes = decompose(system)
    t = np.atleast_1d(np.asarray(times_min, dtype=np.float64))
    if isinstance(schedule, Schedule):
        values = evaluate(modes, schedule, t)
    else:
        if len(schedule) != len(covariates):
            raise PKModelError("give one schedule per patient")
        values = np.empty((len(covariates), len(system.outputs), t.size))
        for dose_schedule in dict.fromkeys(schedule):
            members = np.array([s == dose_schedule for s in schedule])
            sub = decompose(build_system(params.take(members), effect=effect))
            values[members] = evaluate(sub, dose_schedule, t)
    warnings: set[str] = set()
    for c in covariates:
        warnings.update(model.range_warnings(c))
    plasma = values[:, 0, :]
    effect_values = values[:, system.outputs.index("effect"), :] if effect else np.full_like(plasma, np.nan)
    metabolite = values[:, system.outputs.index("metabolite"), :] if "metabolite" in system.outputs else None
    if residual_error:
        if model.residual_proportional_sd is None:
            raise PKModelError(f"{model.id} publishes no residual error")
        plasma = plasma * (1.0 + model.residual_proportional_sd * rng.standard_normal(plasma.shape))
        if metabolite is not None and model.metabolite_residual_proportional_sd is not None:
            noise = rng.standard_normal(metabolite.shape)
            metabolite = metabolite * (1.0 + model.metabolite_residual_proportional_sd * noise)
    return PopulationResult(model.id, t, plasma, effect_values, params, tuple(sorted(warnings)), metabolite)


def population_covariates(weights_kg: NDArray[np.float64] | Sequence[float]) -> list[Covariates]:
    """Covariates for virtual adults with the given weights (kg) and no other covariate."""
    return [Covariates(weight_kg=float(w)) for w in weights_kg]
