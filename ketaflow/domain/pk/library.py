"""The model library: each ketamine/esketamine model as data, with its citation, population and limits.

Parameter values are transcribed from the sources named on each model (clinical.md PK 1.1 and 1.3); where
the published paper itself could not be read, the model says so in ``parameter_source`` and ``notes``.
"""

from __future__ import annotations

import math

import numpy as np

from .models import (
    DEFAULT_MODEL_ID,
    FloatArray,
    PKModel,
    PKModelError,
    PKParameters,
    TypicalFunction,
    ValidityRange,
    Variability,
)


def _zeros(weights: FloatArray) -> FloatArray:
    return np.zeros_like(weights)


def _micro_constant_model(
    *, v1_per_kg: float, k10: float, k12: float, k21: float, k13: float | None, k31: float | None, ke0: float
) -> TypicalFunction:
    """Models given as V1 in L/kg plus rate constants in 1/min (Domino, Clements, Hijazi)."""

    def typical(weights: FloatArray) -> PKParameters:
        v1 = v1_per_kg * weights
        three = k13 is not None and k31 is not None
        return PKParameters(
            v1=v1,
            cl=k10 * v1,
            q2=k12 * v1,
            v2=k12 * v1 / k21,
            q3=(k13 or 0.0) * v1,
            v3=(k13 * v1 / k31) if (k13 is not None and k31 is not None) else _zeros(weights),
            ke0=np.full_like(weights, ke0),
            n_peripheral=2 if three else 1,
        )

    return typical


def _l_per_h(value: float) -> float:
    return value / 60.0


def _kamp(weights: FloatArray) -> PKParameters:
    # Kamp 2020 as coded in opentiva 1.1.2 ("Klamp"): every parameter scaled linearly by WT/70.
    size = weights / 70.0
    return PKParameters(
        v1=25.0 * size,
        v2=56.0 * size,
        v3=157.0 * size,
        cl=_l_per_h(84.0) * size,
        q2=_l_per_h(161.0) * size,
        q3=_l_per_h(79.0) * size,
        ke0=np.full_like(weights, 2.791),  # opentiva: chosen for a 1-min time to peak effect (derived)
        n_peripheral=2,
    )


def _herd(weights: FloatArray) -> PKParameters:
    # Herd 2007 (children): volumes linear in WT/70, clearances allometric exponent 0.75.
    size = weights / 70.0
    return PKParameters(
        v1=38.7 * size,
        v2=102.0 * size,
        v3=_zeros(weights),
        cl=_l_per_h(90.0) * size**0.75,
        q2=_l_per_h(215.0) * size**0.75,
        q3=_zeros(weights),
        ke0=np.full_like(weights, 2.995),  # opentiva, derived (1-min time to peak)
        n_peripheral=1,
    )


def _hornik(weights: FloatArray) -> PKParameters:
    # Hornik 2018 (children): volumes linear in WT/70, clearances allometric exponent 0.75.
    size = weights / 70.0
    return PKParameters(
        v1=32.8 * size,
        v2=152.0 * size,
        v3=_zeros(weights),
        cl=_l_per_h(38.9) * size**0.75,
        q2=_l_per_h(54.9) * size**0.75,
        q3=_zeros(weights),
        ke0=np.full_like(weights, 4.212),  # opentiva, derived (1-min time to peak)
        n_peripheral=1,
    )


# Olofsen 2012 (Anesthesiology 117:353): mean S-ketamine t1/2ke0 6.1 min across endpoints, estimated with a
# different PK model, hence "borrowed" for Fanta/Otto.
OLOFSEN_2012_KE0_PER_MIN = math.log(2.0) / 6.1


def _otto(weights: FloatArray) -> PKParameters:
    # Fanta 2015 S-ketamine (as fixed in Otto 2021 / nlmixr2lib Otto_2021_s_ketamine.R): V1 linear in WT/70,
    # CL allometric 0.75, peripheral terms not weight-scaled (as in Otto's code).
    size = weights / 70.0
    return PKParameters(
        v1=133.0 * size,
        cl=_l_per_h(95.2) * size**0.75,
        v2=np.full_like(weights, 187.0),
        q2=np.full_like(weights, _l_per_h(23.2)),
        v3=np.full_like(weights, 98.8),
        q3=np.full_like(weights, _l_per_h(157.0)),
        ke0=np.full_like(weights, OLOFSEN_2012_KE0_PER_MIN),
        n_peripheral=2,
        # Otto 2021 S-norketamine (values as in the nlmixr2lib code), formed from all S-ketamine clearance
        # (fm = 1) and carried in S-ketamine mass units without a molecular-weight correction.
        m_v1=98.638 * size,
        m_cl=_l_per_h(57.72) * size**0.75,
        m_v2=np.full_like(weights, 160.04),
        m_q2=np.full_like(weights, _l_per_h(42.778)),
        fm=1.0,
    )


def _cv_to_variance(cv: float) -> float:
    """Log-scale variance giving the stated coefficient of variation of a log-normal parameter."""
    return math.log(1.0 + cv * cv)


def _assumed_variability(names: tuple[str, ...], cv: float = 0.3) -> Variability:
    variance = _cv_to_variance(cv)
    omega = tuple(tuple(variance if i == j else 0.0 for j in range(len(names))) for i in range(len(names)))
    return Variability(
        names=names,
        omega=omega,
        status="assumed",
        source=f"ASSUMED: {cv:.0%} CV log-normal, independent; the model's own variability was not obtained",
    )


_THREE = ("cl", "v1", "q2", "v2", "q3", "v3")
_TWO = ("cl", "v1", "q2", "v2")
_OPENTIVA = "opentiva 1.1.2 ketamine.py (clinical.md PK 1.1); primary paper not read"
_DERIVED_KE0 = "opentiva: ke0 chosen so the effect-site peak falls 1 min after a bolus (not published)"
_ADULT_RANGE_ASSUMED = "ASSUMED adult range; the paper's own range was not verified"

_MODELS: tuple[PKModel, ...] = (
    PKModel(
        id="kamp2020",
        name="Kamp 2020 (pooled raw data, arterial part)",
        drug="racemic ketamine (IV)",
        citation="Kamp J, Olofsen E, Henthorn TK, et al. Ketamine pharmacokinetics: a systematic review of "
        "the literature, meta-analysis, and population analysis. Anesthesiology 2020;133(6):1192-1213",
        doi="10.1097/ALN.0000000000003577",
        population="adults, raw data pooled from 14 studies",
        sampling="arterial",
        compartments=3,
        validity=ValidityRange((40.0, 150.0), (18.0, 90.0), _ADULT_RANGE_ASSUMED),
        ke0_per_min=2.791,
        ke0_status="derived",
        ke0_source=_DERIVED_KE0,
        variability=_assumed_variability(_THREE),
        typical_function=_kamp,
        parameter_source=_OPENTIVA,
        notes=(
            "Venous delay compartments of the published model are not included (as in opentiva).",
            "Linear weight scaling of all parameters is opentiva's reading, not checked against the paper.",
        ),
    ),
    PKModel(
        id="domino",
        name="Domino (classic TCI constants)",
        drug="racemic ketamine (IV)",
        citation="Domino EF, et al. (opentiva cites PMID 7198883; TCI literature cites Clin Pharmacol "
        "Ther 1984;36:645; which paper holds these constants is unverified)",
        doi=None,
        population="adult volunteers and surgical patients",
        sampling="unknown",
        compartments=3,
        validity=ValidityRange((40.0, 150.0), (18.0, 65.0), _ADULT_RANGE_ASSUMED),
        ke0_per_min=0.652,
        ke0_status="derived",
        ke0_source=_DERIVED_KE0,
        variability=_assumed_variability(_THREE),
        typical_function=_micro_constant_model(
            # opentiva 1.1.2 Domino: V1 0.063 L/kg, micro-constants in 1/min (clinical.md PK 1.1)
            v1_per_kg=0.063,
            k10=0.4381,
            k12=0.5921,
            k21=0.2470,
            k13=0.5900,
            k31=0.0146,
            ke0=0.652,
        ),
        parameter_source=_OPENTIVA,
        notes=("Tiny V1 (0.063 L/kg): concentrations fall unrealistically fast after a stop.",),
    ),
    PKModel(
        id="clements1981",
        name="Clements 1981 (250 ug/kg IV bolus data)",
        drug="racemic ketamine (IV)",
        citation="Clements JA, Nimmo WS. Br J Anaesth 1981;53:27",
        doi="10.1093/bja/53.1.27",
        population="adult volunteers",
        sampling="venous",
        compartments=2,
        validity=ValidityRange((40.0, 120.0), (18.0, 60.0), _ADULT_RANGE_ASSUMED),
        ke0_per_min=5.2,
        ke0_status="derived",
        ke0_source=_DERIVED_KE0,
        variability=_assumed_variability(_TWO),
        typical_function=_micro_constant_model(
            # opentiva 1.1.2 Clements250: V1 1.7522 L/kg, micro-constants in 1/min (clinical.md PK 1.1)
            v1_per_kg=1.7522,
            k10=0.0109,
            k12=0.0186,
            k21=0.0137,
            k13=None,
            k31=None,
            ke0=5.2,
        ),
        parameter_source=_OPENTIVA,
        notes=("V1 of 1.75 L/kg is implausible for a central volume; possible transcription issue.",),
    ),
    PKModel(
        id="hijazi2003",
        name="Hijazi 2003 (ICU, brain or spinal injury)",
        drug="racemic ketamine (IV)",
        citation="Hijazi Y, et al. Br J Anaesth 2003;90:155",
        doi="10.1093/bja/aeg028",
        population="adult ICU patients with brain or spinal cord injury",
        sampling="unknown",
        compartments=2,
        validity=ValidityRange(
            (40.0, 150.0),
            (18.0, 80.0),
            "ASSUMED adult range (opentiva's upper age of 18 contradicts the adult ICU population)",
        ),
        ke0_per_min=4.773,
        ke0_status="derived",
        ke0_source=_DERIVED_KE0,
        variability=_assumed_variability(_TWO),
        typical_function=_micro_constant_model(
            # opentiva 1.1.2 Hijazi: V1 1.08 L/kg, micro-constants in 1/min (clinical.md PK 1.1)
            v1_per_kg=1.08,
            k10=0.0333,
            k12=0.0088,
            k21=0.0030,
            k13=None,
            k31=None,
            ke0=4.773,
        ),
        parameter_source=_OPENTIVA,
        notes=("V1 of 1.08 L/kg is implausible for a central volume; possible transcription issue.",),
    ),
    PKModel(
        id="herd2007",
        name="Herd 2007 (children)",
        drug="racemic ketamine (IV)",
        citation="Herd DW, et al. Paediatr Anaesth 2007",
        doi="10.1111/j.1460-9592.2006.02145.x",
        population="children 1-14 years",
        sampling="venous",
        compartments=2,
        validity=ValidityRange((10.8, 74.8), (1.0, 14.0), "opentiva 1.1.2 limits"),
        ke0_per_min=2.995,
        ke0_status="derived",
        ke0_source=_DERIVED_KE0,
        variability=_assumed_variability(_TWO),
        typical_function=_herd,
        parameter_source=_OPENTIVA,
        paediatric=True,
        notes=("Paediatric model: out of range for every adult.",),
    ),
    PKModel(
        id="hornik2018",
        name="Hornik 2018 (children)",
        drug="racemic ketamine (IV)",
        citation="Hornik CP, et al. J Clin Pharmacol 2018",
        doi="10.1002/jcph.1116",
        population="children 1-18 years",
        sampling="unknown",
        compartments=2,
        validity=ValidityRange((2.0, 176.0), (1.0, 18.0), "opentiva 1.1.2 limits"),
        ke0_per_min=4.212,
        ke0_status="derived",
        ke0_source=_DERIVED_KE0,
        variability=_assumed_variability(_TWO),
        typical_function=_hornik,
        parameter_source=_OPENTIVA,
        paediatric=True,
        notes=("Paediatric model: out of range for every adult.",),
    ),
    PKModel(
        id="otto2021",
        name="Fanta 2015 S-ketamine with Otto 2021 S-norketamine",
        drug="S-ketamine (esketamine, IV)",
        citation="Fanta S, et al. Eur J Clin Pharmacol 2015;71:441 (doi 10.1007/s00228-015-1826-y); "
        "Otto ME, et al. Eur J Clin Pharmacol 2021;77:1181",
        doi="10.1007/s00228-021-03104-1",
        population="healthy adult volunteers (11 men, Fanta; 48 volunteers, Otto)",
        sampling="venous",
        compartments=3,
        validity=ValidityRange((50.0, 110.0), (18.0, 55.0), "ASSUMED from healthy-volunteer studies"),
        ke0_per_min=OLOFSEN_2012_KE0_PER_MIN,
        ke0_status="borrowed",
        ke0_source="Olofsen 2012: mean S-ketamine t1/2ke0 6.1 min, estimated with a different PK model",
        variability=Variability(
            names=("v1", "cl", "m_v1", "m_cl"),
            # Otto 2021 re-estimates (nlmixr2lib Otto_2021_s_ketamine.R): parent V1/CL and metabolite V/CL
            omega=(
                (0.084177, 0.02261, 0.0, 0.0),
                (0.02261, 0.026048, 0.0, 0.0),
                (0.0, 0.0, 0.040426, 0.04456),
                (0.0, 0.0, 0.04456, 0.10319),
            ),
            status="published",
            source="Otto 2021 as coded in nlmixr2lib Otto_2021_s_ketamine.R (clinical.md PK 1.3)",
        ),
        typical_function=_otto,
        parameter_source="nlmixr2lib Otto_2021_s_ketamine.R (clinical.md PK 1.3)",
        residual_proportional_sd=0.23609,  # Otto 2021: proportional residual SD, S-ketamine
        metabolite_name="S-norketamine",
        metabolite_residual_proportional_sd=0.14261,  # Otto 2021: proportional residual SD, S-norketamine
        notes=(
            "Dose is S-ketamine: for racemic ketamine use half the dose (no enantiomer interaction assumed).",
            "S-norketamine in S-ketamine mass units (fm = 1, no molecular-weight correction), as in Otto.",
        ),
    ),
)

MODELS: dict[str, PKModel] = {model.id: model for model in _MODELS}

# Esketamine intranasal (Perez-Ruixo 2020) is deliberately absent: its nasal absorption (two deposition
# fractions, first-pass liver compartment, ka values) could not be read in full, so it is not implemented.


def get_model(model_id: str) -> PKModel:
    """The model with this id; raises :class:`PKModelError` listing the known ids otherwise."""
    try:
        return MODELS[model_id]
    except KeyError:
        known = ", ".join(sorted(MODELS))
        raise PKModelError(f"unknown PK model {model_id!r} (known: {known})") from None


def list_models() -> list[PKModel]:
    """All models, the default first."""
    return sorted(MODELS.values(), key=lambda m: (m.id != DEFAULT_MODEL_ID, m.id))
