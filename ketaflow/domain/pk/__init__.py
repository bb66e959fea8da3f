"""Pure PK/PD engine: ketamine compartment models, exact infusion solver, population simulation, PD links,
recovery forecasts and Bayesian individualisation. No Django imports (import-linter contract)."""

from .bayes import FitError, Observation, PatientPosterior, SessionRecord, individualise, population_prior
from .library import MODELS, get_model, list_models
from .models import DEFAULT_MODEL_ID, Covariates, PKModel, PKModelError, PKParameters
from .recovery import (
    DoseProposal,
    DoseTarget,
    ProtocolLimits,
    RecoveryForecast,
    forecast_recovery,
    propose_dose,
)
from .simulation import (
    PopulationResult,
    SimulationResult,
    sample_parameters,
    simulate,
    simulate_population,
)
from .solver import Bolus, Infusion, Schedule, ScheduleError
from .version import ENGINE_VERSION

__all__ = [
    "DoseProposal",
    "DoseTarget",
    "FitError",
    "Observation",
    "PatientPosterior",
    "ProtocolLimits",
    "RecoveryForecast",
    "SessionRecord",
    "forecast_recovery",
    "individualise",
    "population_prior",
    "propose_dose",
    "DEFAULT_MODEL_ID",
    "ENGINE_VERSION",
    "MODELS",
    "Bolus",
    "Covariates",
    "Infusion",
    "PKModel",
    "PKModelError",
    "PKParameters",
    "PopulationResult",
    "Schedule",
    "ScheduleError",
    "SimulationResult",
    "get_model",
    "list_models",
    "sample_parameters",
    "simulate",
    "simulate_population",
]
