"""Protocol dose specifications as frozen data, with their sources.

A clinic stores its own protocols in the database; these are the defaults the demo seeds and the CLI
uses. Figures marked UNVERIFIED in clinical.md are placeholders a medical director must confirm.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ketaflow.domain.dosing.weight import WeightBasis


@dataclass(frozen=True)
class IvDoseProtocol:
    """A fixed dose in mg/kg infused over a number of minutes (IV ketamine for depression).

    Ranges are hard stops; ``warn_*`` figures only add a warning to the order.
    """

    name: str
    mg_per_kg: float
    minutes: float
    min_mg_per_kg: float
    max_mg_per_kg: float
    warn_above_mg_per_kg: float
    min_minutes: float
    max_minutes: float
    warn_below_minutes: float
    max_dose_mg: float
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    source: str = ""
    unverified: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class IvRateProtocol:
    """A rate in mg/kg/h run for a number of hours, with an optional bolus (IV ketamine for pain)."""

    name: str
    mg_per_kg_per_h: float
    hours: float
    min_mg_per_kg_per_h: float
    max_mg_per_kg_per_h: float
    warn_above_mg_per_kg_per_h: float
    max_bolus_mg_per_kg: float
    warn_above_bolus_mg_per_kg: float
    min_hours: float
    max_hours: float
    max_dose_mg: float | None = None
    max_rate_mg_per_h: float | None = None
    weight_basis: WeightBasis = WeightBasis.ACTUAL
    source: str = ""
    unverified: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class EsketamineSpec:
    """Esketamine nasal spray: whole 28 mg devices, allowed doses, spacing and observation time."""

    # SPRAVATO-PI: 28 mg per device (2 sprays); 56 mg = 2 devices, 84 mg = 3 devices
    device_mg: int = 28
    # SPRAVATO-PI (US): 56 or 84 mg; 28 mg starting doses for people ≥65 are in non-US labels only
    allowed_doses_mg: tuple[int, ...] = (56, 84)
    # SPRAVATO-PI: rest 5 minutes between devices
    minutes_between_devices: int = 5
    # SPRAVATO-PI §5.1/5.2 and REMS Patient Monitoring Form: at least 120 min from the first device
    minimum_monitoring_minutes: int = 120
    source: str = "SPRAVATO (esketamine) US Prescribing Information; SPRAVATO REMS Patient Monitoring Form"


IV_DEPRESSION_DEFAULT = IvDoseProtocol(
    name="IV ketamine for depression",
    # Murrough 2013 (AJP, Biol Psychiatry); Andrade 2017: 0.5 mg/kg over 40 min is the usual dose
    mg_per_kg=0.5,
    minutes=40.0,
    # Fava 2018 dose-finding arms 0.1-1.0 mg/kg; Andrade 2017: as low as 0.1 mg/kg
    min_mg_per_kg=0.1,
    max_mg_per_kg=1.0,
    # Andrade 2017: up to 0.75 mg/kg "in some patients"; above it we ask the prescriber to look twice
    warn_above_mg_per_kg=0.75,
    # Andrade 2017: infusion times from 2 to 100 min have been studied, 40 min is conventional
    min_minutes=2.0,
    max_minutes=100.0,
    warn_below_minutes=40.0,
    # UNVERIFIED placeholder: no source gives a mg cap; 1.0 mg/kg (Fava 2018 top arm) x 100 kg
    max_dose_mg=100.0,
    weight_basis=WeightBasis.ACTUAL,
    source="Murrough 2013 (Am J Psychiatry; Biol Psychiatry); Andrade 2017 (J Clin Psychiatry); Fava 2018 "
    "(Mol Psychiatry)",
    unverified=("max_dose_mg",),
)

IV_PAIN_DEFAULT = IvRateProtocol(
    name="IV ketamine for chronic pain (CRPS)",
    # ASRA/AAPM/ASA 2018 (Cohen): CRPS protocol 0.35 mg/kg/h over 4 h daily
    mg_per_kg_per_h=0.35,
    hours=4.0,
    # UNVERIFIED placeholder lower bound: catches a rate typed in the wrong unit
    min_mg_per_kg_per_h=0.05,
    # ASRA-2018: up to 7 mg/kg/h only in refractory cases in intensive care; nothing higher is reported
    max_mg_per_kg_per_h=7.0,
    # ASRA-2018 (Guideline Central summary): infusion 0.5-2 mg/kg/h; above 2 we warn, we do not block
    warn_above_mg_per_kg_per_h=2.0,
    # Pennsylvania low-dose ketamine guidance 2020: boluses of no more than 0.5 mg/kg
    max_bolus_mg_per_kg=0.5,
    # ASRA-2018 (Guideline Central summary): bolus up to 0.35 mg/kg
    warn_above_bolus_mg_per_kg=0.35,
    # UNVERIFIED placeholders: an outpatient day
    min_hours=0.25,
    max_hours=8.0,
    max_dose_mg=None,
    max_rate_mg_per_h=None,
    weight_basis=WeightBasis.ACTUAL,
    source="Cohen 2018 ASRA/AAPM/ASA consensus (Reg Anesth Pain Med), Guideline Central summary; "
    "Pennsylvania low-dose ketamine guidance 2020",
    unverified=("min_mg_per_kg_per_h", "min_hours", "max_hours"),
)

ESKETAMINE_DEFAULT = EsketamineSpec()
