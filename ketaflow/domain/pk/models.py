"""What a compartment model is: covariates, parameters, variability, validity range and citation.

Units used throughout the PK package: time in minutes, volumes in L, clearances in L/min, amounts in mg,
rate constants in 1/min, concentrations in ng/mL (= mg/L x 1000).

Every model is a mammillary model with first-order elimination from the central compartment. The models
themselves, as data, are in ``library.py``."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
from numpy.typing import NDArray

FloatArray = NDArray[np.float64]
Sex = Literal["male", "female"]
Ke0Status = Literal["derived", "borrowed", "published"]

#: The model used when none is named (docs/adr/0003-default-pk-model.md).
DEFAULT_MODEL_ID = "kamp2020"

#: Every field of :class:`PKParameters` that inter-individual variability may act on.
PARAMETER_NAMES = ("v1", "cl", "v2", "q2", "v3", "q3", "ke0", "m_v1", "m_cl", "m_v2", "m_q2")


class PKModelError(ValueError):
    """An unknown model or a covariate that no model can use (e.g. a non-positive weight)."""


@dataclass(frozen=True)
class Covariates:
    """One patient's covariates: weight in kg, age in years, height in cm, sex."""

    weight_kg: float
    age_years: float | None = None
    height_cm: float | None = None
    sex: Sex | None = None

    def __post_init__(self) -> None:
        if not math.isfinite(self.weight_kg) or self.weight_kg <= 0:
            raise PKModelError(f"weight must be a positive number of kg, got {self.weight_kg}")
        if self.age_years is not None and (not math.isfinite(self.age_years) or self.age_years < 0):
            raise PKModelError(f"age must be a non-negative number of years, got {self.age_years}")


@dataclass(frozen=True)
class ValidityRange:
    """The weights (kg) and ages (years) a model was built from; ``source`` says where the limits come from."""

    weight_kg: tuple[float, float]
    age_years: tuple[float, float]
    source: str


@dataclass(frozen=True)
class Variability:
    """Log-normal inter-individual variability: parameter_i = typical_i * exp(eta_i), eta ~ N(0, omega).

    ``omega`` is the covariance matrix of the etas (variances on the diagonal), in the order of ``names``.
    ``status`` is "published" when it comes from the model's source, "assumed" otherwise.
    """

    names: tuple[str, ...]
    omega: tuple[tuple[float, ...], ...]
    status: Literal["published", "assumed"]
    source: str

    def matrix(self) -> FloatArray:
        """The covariance matrix as a NumPy array (unitless, log scale)."""
        return np.asarray(self.omega, dtype=np.float64)


@dataclass
class PKParameters:
    """Volumes (L), clearances (L/min) and ke0 (1/min) for a batch of patients (arrays of shape (P,)).

    A two-compartment model has ``v3``/``q3`` set to zero and ``n_peripheral == 1``. The metabolite
    fields are set only for parent-metabolite models (``has_metabolite``); ``fm`` is the fraction of parent
    clearance that forms the metabolite.
    """

    v1: FloatArray
    cl: FloatArray
    v2: FloatArray
    q2: FloatArray
    v3: FloatArray
    q3: FloatArray
    ke0: FloatArray
    n_peripheral: int
    m_v1: FloatArray | None = None
    m_cl: FloatArray | None = None
    m_v2: FloatArray | None = None
    m_q2: FloatArray | None = None
    fm: float = 1.0

    @property
    def has_metabolite(self) -> bool:
        return self.m_v1 is not None

    @property
    def size(self) -> int:
        return int(self.v1.shape[0])

    def get(self, name: str) -> FloatArray:
        value = getattr(self, name)
        if value is None:
            raise PKModelError(f"parameter {name} is not part of this model")
        return np.asarray(value, dtype=np.float64)

    def scaled(self, factors: dict[str, FloatArray]) -> PKParameters:
        """A copy with each named parameter multiplied by the given per-patient factors (unitless)."""
        changes: dict[str, FloatArray] = {name: self.get(name) * f for name, f in factors.items()}
        return replace(self, **changes)  # type: ignore[arg-type]

    def take(self, index: NDArray[np.intp] | slice) -> PKParameters:
        """The parameters of a subset of the patients."""
        changes: dict[str, FloatArray | None] = {}
        for name in PARAMETER_NAMES:
            value = getattr(self, name)
            changes[name] = None if value is None else np.asarray(value)[index]
        return replace(self, **changes)  # type: ignore[arg-type]


TypicalFunction = Callable[[FloatArray], PKParameters]


@dataclass(frozen=True)
class PKModel:
    """A compartment model with everything needed to cite it and to know when it does not apply."""

    id: str
    name: str
    drug: str
    citation: str
    doi: str | None
    population: str
    sampling: str
    compartments: int
    validity: ValidityRange
    ke0_per_min: float
    ke0_status: Ke0Status
    ke0_source: str
    variability: Variability
    typical_function: TypicalFunction = field(repr=False)
    parameter_source: str = ""
    residual_proportional_sd: float | None = None
    metabolite_name: str | None = None
    metabolite_residual_proportional_sd: float | None = None
    paediatric: bool = False
    notes: tuple[str, ...] = ()

    def typical(self, weight_kg: FloatArray | float) -> PKParameters:
        """Typical (population) parameters for the given body weights (kg), one patient per weight."""
        weights = np.atleast_1d(np.asarray(weight_kg, dtype=np.float64))
        if np.any(~np.isfinite(weights)) or np.any(weights <= 0):
            raise PKModelError("weight must be a positive number of kg")
        return self.typical_function(weights)

    def range_warnings(self, covariates: Covariates) -> list[str]:
        """Human-readable warnings when the covariates fall outside the model's validity range."""
        warnings: list[str] = []
        low_w, high_w = self.validity.weight_kg
        if not low_w <= covariates.weight_kg <= high_w:
            warnings.append(
                f"{self.id}: weight {covariates.weight_kg:g} kg is outside the model's range "
                f"{low_w:g}-{high_w:g} kg ({self.validity.source})"
            )
        low_a, high_a = self.validity.age_years
        if covariates.age_years is None:
            if self.paediatric:
                warnings.append(f"{self.id}: paediatric model used without an age")
        elif not low_a <= covariates.age_years <= high_a:
            warnings.append(
                f"{self.id}: age {covariates.age_years:g} years is outside the model's range "
                f"{low_a:g}-{high_a:g} years ({self.validity.source})"
            )
        if self.ke0_status == "derived":
            warnings.append(f"{self.id}: effect-site ke0 {self.ke0_per_min:g}/min is derived, not published")
        return warnings

    def describe(self) -> dict[str, object]:
        """A JSON-ready summary (used by ``ketaflow pk models``)."""
        return {
            "id": self.id,
            "name": self.name,
            "drug": self.drug,
            "citation": self.citation,
            "doi": self.doi,
            "population": self.population,
            "sampling": self.sampling,
            "compartments": self.compartments,
            "weight_kg_range": list(self.validity.weight_kg),
            "age_years_range": list(self.validity.age_years),
            "range_source": self.validity.source,
            "ke0_per_min": self.ke0_per_min,
            "ke0_status": self.ke0_status,
            "ke0_source": self.ke0_source,
            "variability_status": self.variability.status,
            "parameter_source": self.parameter_source,
            "metabolite": self.metabolite_name,
            "paediatric": self.paediatric,
            "default": self.id == DEFAULT_MODEL_ID,
            "notes": list(self.notes),
        }
