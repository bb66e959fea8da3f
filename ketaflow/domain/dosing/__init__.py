"""Pure dosing core: weight bases, protocol specs, dose orders, double checks, delivered dose.

No Django imports (import-linter contract). Public API re-exported here; see docs/dosing.md.
"""

from ketaflow.domain.dosing.delivery import (
    Bolus,
    EventKind,
    InfusionEvent,
    PumpState,
    RateSegment,
    delivered_mg,
    delivered_mg_from_events,
    segments_from_events,
    split_segment,
)
from ketaflow.domain.dosing.double_check import (
    DoubleCheckEntry,
    DoubleCheckResult,
    Mismatch,
    double_check,
)
from ketaflow.domain.dosing.errors import DoseError
from ketaflow.domain.dosing.orders import (
    DoseOrder,
    EsketaminePlan,
    IvInfusionInputs,
    IvRateInputs,
    calculate_iv_infusion,
    calculate_iv_rate_infusion,
    esketamine_plan,
)
from ketaflow.domain.dosing.protocols import (
    ESKETAMINE_DEFAULT,
    IV_DEPRESSION_DEFAULT,
    IV_PAIN_DEFAULT,
    EsketamineSpec,
    IvDoseProtocol,
    IvRateProtocol,
)
from ketaflow.domain.dosing.version import VERSION
from ketaflow.domain.dosing.weight import (
    ACTUAL_BODY_WEIGHT_FORMULA,
    ADJUSTED_BODY_WEIGHT_FORMULA,
    BMI_FORMULA,
    DEVINE_IDEAL_BODY_WEIGHT_FORMULA,
    DosingWeight,
    Sex,
    WeightBasis,
    WeightFormula,
    adjusted_body_weight_kg,
    body_mass_index,
    dosing_weight,
    ideal_body_weight_kg,
)

__all__ = [
    "ACTUAL_BODY_WEIGHT_FORMULA",
    "ADJUSTED_BODY_WEIGHT_FORMULA",
    "BMI_FORMULA",
    "DEVINE_IDEAL_BODY_WEIGHT_FORMULA",
    "ESKETAMINE_DEFAULT",
    "IV_DEPRESSION_DEFAULT",
    "IV_PAIN_DEFAULT",
    "VERSION",
    "Bolus",
    "DoseError",
    "DoseOrder",
    "DosingWeight",
    "DoubleCheckEntry",
    "DoubleCheckResult",
    "EsketaminePlan",
    "EsketamineSpec",
    "EventKind",
    "InfusionEvent",
    "IvDoseProtocol",
    "IvInfusionInputs",
    "IvRateInputs",
    "IvRateProtocol",
    "Mismatch",
    "PumpState",
    "RateSegment",
    "Sex",
    "WeightBasis",
    "WeightFormula",
    "adjusted_body_weight_kg",
    "body_mass_index",
    "calculate_iv_infusion",
    "calculate_iv_rate_infusion",
    "delivered_mg",
    "delivered_mg_from_events",
    "double_check",
    "dosing_weight",
    "esketamine_plan",
    "ideal_body_weight_kg",
    "segments_from_events",
    "split_segment",
]
