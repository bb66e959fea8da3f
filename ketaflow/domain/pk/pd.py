"""Links from effect-site concentration (ng/mL) to what the clinic observes.

No published concentration-effect fit exists for CADSS, MOAA/S or blood pressure with ketamine (clinical.md
PK 3 and gap 4). Bowdle 1998 only supports the *shape* of the dissociation link: linear, not Emax, between
50 and 200 ng/mL at steady state (VAS items, not CADSS). Every number below is therefore ASSUMED, says so in
``status``, and is meant as a weak prior that each patient's own sessions override (see bayes.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

FloatArray = NDArray[np.float64]
Status = Literal["published", "assumed"]

#: CADSS has 23 items scored 0-4 (total 0-92); CADSS-6 keeps 6 of them (0-24).
CADSS_MAX = 92.0
CADSS6_MAX = 24.0
#: ASSUMED: a CADSS-6 total is the full CADSS scaled by 24/92 (same average item score).
CADSS6_PER_CADSS = CADSS6_MAX / CADSS_MAX
#: MOAA/S: 5 = responds readily to name in a normal tone, 0 = no response.
MOAAS_AWAKE = 5.0


@dataclass(frozen=True)
class LinearLink:
    """effect = intercept + slope * Ce, Ce in ng/mL; ``slope`` in effect units per ng/mL."""

    name: str
    unit: str
    slope: float
    intercept: float
    status: Status
    source: str
    valid_ng_per_ml: tuple[float, float]

    def effect(self, concentration_ng_per_ml: ArrayLike) -> FloatArray:
        """Predicted effect for effect-site concentrations in ng/mL."""
        return np.asarray(self.intercept + self.slope * np.asarray(concentration_ng_per_ml, dtype=np.float64))

    def concentration_for(self, effect: float) -> float:
        """The effect-site concentration (ng/mL) that gives ``effect``."""
        return (effect - self.intercept) / self.slope


@dataclass(frozen=True)
class EmaxLink:
    """effect = e0 + emax * Ce^gamma / (ec50^gamma + Ce^gamma); ec50 in ng/mL, emax may be negative."""

    name: str
    unit: str
    e0: float
    emax: float
    ec50_ng_per_ml: float
    gamma: float
    status: Status
    source: str

    def effect(self, concentration_ng_per_ml: ArrayLike) -> FloatArray:
        """Predicted effect for effect-site concentrations in ng/mL."""
        c = np.maximum(np.asarray(concentration_ng_per_ml, dtype=np.float64), 0.0)
        ratio = (c / self.ec50_ng_per_ml) ** self.gamma
        return np.asarray(self.e0 + self.emax * ratio / (1.0 + ratio))

    def concentration_for(self, effect: float) -> float:
        """The effect-site concentration (ng/mL) that gives ``effect`` (must lie strictly between e0 and e0+emax)."""
        fraction = (effect - self.e0) / self.emax
        if not 0.0 < fraction < 1.0:
            raise ValueError(f"{self.name}: effect {effect:g} {self.unit} is never reached")
        return float(self.ec50_ng_per_ml * (fraction / (1.0 - fraction)) ** (1.0 / self.gamma))


# ASSUMED: 0.1 CADSS points per ng/mL puts a 250 ng/mL end-of-infusion peak at ~25 points, in the range
# reported for 0.5 mg/kg over 40 min; the linear shape follows Bowdle 1998 (Anesthesiology 88:82).
CADSS_LINEAR = LinearLink(
    name="CADSS total",
    unit="points (0-92)",
    slope=0.1,
    intercept=0.0,
    status="assumed",
    source="shape: Bowdle 1998 (linear 50-200 ng/mL, VAS items); slope ASSUMED",
    valid_ng_per_ml=(50.0, 200.0),
)

# ASSUMED Emax alternative for concentrations beyond Bowdle's range (priors, not fitted to any data).
CADSS_EMAX = EmaxLink(
    name="CADSS total",
    unit="points (0-92)",
    e0=0.0,
    emax=60.0,
    ec50_ng_per_ml=400.0,
    gamma=1.5,
    status="assumed",
    source="ASSUMED priors; no published CADSS Emax fit (clinical.md PK gap 4)",
)

# ASSUMED: loss of response to voice near anaesthetic concentrations (1200-2400 ng/mL, Zanos 2018 Table 1),
# so EC50 1000 ng/mL with a steep slope leaves MOAA/S at 4-5 in the 100-250 ng/mL range of the clinic.
MOAAS_EMAX = EmaxLink(
    name="MOAA/S",
    unit="score (0-5)",
    e0=MOAAS_AWAKE,
    emax=-MOAAS_AWAKE,
    ec50_ng_per_ml=1000.0,
    gamma=3.0,
    status="assumed",
    source="ASSUMED; anchored on anaesthetic range 1200-2400 ng/mL (Zanos 2018 Table 1)",
)

# ASSUMED: concentration-dependent pressor effect (Langsjo 2005: MAP up to +27%); 35 mmHg Emax and EC50
# 300 ng/mL give ~15 mmHg systolic rise at 250 ng/mL.
SBP_RISE_EMAX = EmaxLink(
    name="systolic BP rise",
    unit="mmHg",
    e0=0.0,
    emax=35.0,
    ec50_ng_per_ml=300.0,
    gamma=1.0,
    status="assumed",
    source="ASSUMED; direction and concentration dependence from Langsjo 2005",
)

# ASSUMED: discharge-ready once the effect-site concentration is below ~60 ng/mL. clinical.md PK 3 infers
# 50-100 ng/mL from "symptoms resolve within 1-2 h"; that inference is itself unverified.
DISCHARGE_CE_NG_PER_ML = 60.0

ASSUMPTIONS: dict[str, str] = {
    "cadss_linear": CADSS_LINEAR.source,
    "cadss_emax": CADSS_EMAX.source,
    "moaas_emax": MOAAS_EMAX.source,
    "sbp_rise_emax": SBP_RISE_EMAX.source,
    "discharge_ce_ng_per_ml": "ASSUMED 60 ng/mL (clinical.md PK 3 inference of 50-100 ng/mL, unverified)",
    "cadss6_scaling": "ASSUMED CADSS-6 = CADSS x 24/92",
}
